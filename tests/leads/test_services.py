"""Lead services: caller upsert, fair scoring, pipeline order, tour booking rules."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, LeadActivity
from leads.services import (
    QualifyAnswers,
    lead_activity_record,
    lead_get_or_create_for_caller,
    lead_score,
    lead_status_advance,
    tour_schedule,
)
from properties.models import Unit
from tests.factories import LeadFactory, PropertyFactory, TourFactory, UnitFactory

TODAY = date(2026, 12, 1)


def _units(*specs):
    return [Unit(bedrooms=beds, monthly_rent=Decimal(rent)) for beds, rent in specs]


def _score(**answers):
    return lead_score(
        answers=QualifyAnswers(**answers),
        units=_units((1, "2000"), (2, "3000")),
        pets_allowed=False,
        today=TODAY,
        named=True,
        reachable=True,
        tour_booked=False,
    )


def test_lead_score_perfect_fit():
    result = _score(
        move_in_date=TODAY + timedelta(days=10), bedrooms=2, budget=Decimal(3000), has_pets=False
    )
    assert result.score == 95
    assert result.missing == []
    assert result.gaps == []


@pytest.mark.parametrize(
    ("days", "points"), [(-3, 30), (30, 30), (31, 22), (60, 22), (90, 12), (91, 5)]
)
def test_lead_score_move_in_timing(days, points):
    result = _score(move_in_date=TODAY + timedelta(days=days))
    assert result.factors["move_in"]["points"] == points


def test_lead_score_budget_and_pets_gaps():
    result = _score(bedrooms=2, budget=Decimal(2750), has_pets=True)
    assert result.factors["budget"]["points"] == 15  # within 10 %
    assert result.factors["pets"]["points"] == 0
    assert result.gaps == ["this community does not allow pets"]
    low = _score(bedrooms=2, budget=Decimal(1000))
    assert low.gaps == ["the budget is below our lowest matching rent of $3,000"]


def test_lead_score_unknowns_are_listed_to_ask():
    result = _score()
    assert result.missing == ["move-in date", "bedrooms", "budget"]
    assert result.score == 5 + 10  # pets not discussed + engagement


def test_lead_score_has_no_input_for_income_credit_or_protected_classes():
    fields = set(QualifyAnswers.__dataclass_fields__)
    assert fields == {"move_in_date", "bedrooms", "budget", "has_pets", "pets"}


@pytest.mark.django_db
def test_lead_get_or_create_for_caller_is_idempotent():
    prop = PropertyFactory()
    lead, created = lead_get_or_create_for_caller(
        property_id=prop.pk, phone="+12065550100", first_name="Ann", email="not-an-email"
    )
    assert created
    assert lead.email == ""
    again, created = lead_get_or_create_for_caller(
        property_id=prop.pk, phone="+12065550100", last_name="Lee"
    )
    assert (again, created, again.last_name) == (lead, False, "Lee")


@pytest.mark.django_db
def test_lead_status_never_moves_backwards():
    lead = LeadFactory(status=Lead.Status.TOURED)
    assert not lead_status_advance(lead=lead, status=Lead.Status.QUALIFIED)
    assert lead_status_advance(lead=lead, status=Lead.Status.APPLIED)


@pytest.mark.django_db
def test_call_activities_are_kept_once_per_call():
    lead = LeadFactory()
    for _ in range(2):
        lead_activity_record(lead=lead, kind="call_started", text="x", vapi_call_id="c1")
        lead_activity_record(lead=lead, kind="note", text="y", vapi_call_id="c1")
    assert LeadActivity.objects.filter(kind="call_started").count() == 1
    assert LeadActivity.objects.filter(kind="note").count() == 2


@pytest.mark.django_db
def test_tour_schedule_rules():
    prop = PropertyFactory(tours_per_slot=2, tour_slot_minutes=30)  # Mon-Fri 9-17
    UnitFactory(property=prop, unit_number="7A")
    lead = LeadFactory(property=prop)
    now = datetime(2026, 11, 30, 8, 0, tzinfo=prop.tz)  # a Monday morning
    tuesday_two = datetime(2026, 12, 1, 14, 0)
    booking = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=tuesday_two, unit_number="7A", now=now
    )
    assert booking.created
    assert booking.tour.starts_at == datetime.combine(date(2026, 12, 1), time(14), prop.tz)
    assert booking.tour.unit.unit_number == "7A"
    assert lead.status == Lead.Status.TOUR_SCHEDULED

    TourFactory(lead=LeadFactory(property=prop), starts_at=booking.tour.starts_at)
    full = tour_schedule(
        property_id=prop.pk, lead=LeadFactory(property=prop), starts_at=tuesday_two, now=now
    )
    assert full.rejection == "full"
    assert [start.astimezone(prop.tz).strftime("%a %H:%M") for start in full.alternatives] == [
        "Tue 13:00",
        "Tue 13:30",
        "Tue 14:30",
    ]
    saturday = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=datetime(2026, 12, 5, 11), now=now
    )
    assert saturday.rejection == "closed"
    assert saturday.alternatives[0].astimezone(prop.tz).strftime("%a %H:%M") == "Mon 09:00"
    past = tour_schedule(
        property_id=prop.pk, lead=lead, starts_at=now - timedelta(hours=1), now=now
    )
    assert past.rejection == "past"
    assert past.alternatives[0] > now
    assert tour_schedule(property_id=0, lead=lead, starts_at=tuesday_two).rejection == "no_property"


@pytest.mark.django_db
def test_tour_slot_counts_only_overlapping_scheduled_tours():
    prop = PropertyFactory(tours_per_slot=1, tour_slot_minutes=30)
    now = timezone.make_aware(datetime(2026, 11, 30, 8, 0), prop.tz)
    start = datetime(2026, 12, 1, 14, 0, tzinfo=prop.tz)
    TourFactory(lead=LeadFactory(property=prop), starts_at=start, status="cancelled")
    TourFactory(lead=LeadFactory(property=prop), starts_at=start + timedelta(minutes=30))
    booking = tour_schedule(
        property_id=prop.pk, lead=LeadFactory(property=prop), starts_at=start, now=now
    )
    assert booking.created
