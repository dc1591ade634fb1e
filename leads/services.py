"""Writes on leads: caller upsert, call facts, fair lead scoring, tour booking, activities.

Every service is idempotent where a Vapi webhook can call it twice (vapi-reference.md §10.1):
leads are looked up by (property, phone), call activities are unique per call, a tour booked twice
for the same lead and time is returned instead of duplicated.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.validation import full_clean_with_field_errors
from leads.compliance.services import lead_do_not_call_sync, lead_note_opt_out_record
from leads.models import Lead, LeadActivity, Tour
from leads.selectors import lead_get_by_phone, tour_slot_taken_count, tour_slots_free
from properties.localtime import (
    LocalTime,
    local_time_first_reached,
    local_time_resolve,
    local_today,
)
from properties.models import Property, Unit
from properties.selectors import (
    office_hours_on,
    property_get_for_update,
    unit_list_offerable,
)

# Pipeline order: a call never moves a lead backwards (a caller who already toured and calls
# to ask about parking stays "toured").
_STATUS_RANK = {
    Lead.Status.NEW: 0,
    Lead.Status.CONTACTED: 1,
    Lead.Status.LOST: 1,
    Lead.Status.QUALIFIED: 2,
    Lead.Status.UNQUALIFIED: 2,
    Lead.Status.TOUR_SCHEDULED: 3,
    Lead.Status.TOURED: 4,
    Lead.Status.APPLIED: 5,
    Lead.Status.LEASED: 6,
}

QUALIFIED_MIN_SCORE = 50
# Activities that happen once per call; the DB enforces it (lead_activity_once_per_call).
_ONCE_PER_CALL = {LeadActivity.Kind.CALL_STARTED, LeadActivity.Kind.CALL_ENDED}


# Leads -------------------------------------------------------------------------------------------


def lead_get_or_create_for_caller(
    *,
    property_id: int,
    phone: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    source: str = Lead.Source.PHONE,
) -> tuple[Lead, bool]:
    """The property's lead for this caller number, created if new. Safe under concurrent calls.

    Without a number a new lead is created each time; callers keep the lead on the call log so the
    same call doesn't make two.
    """
    email = email if _email_ok(email) else ""
    lead = lead_get_by_phone(property_id=property_id, phone=phone)
    if lead is not None:
        _lead_fill_blanks(lead=lead, first_name=first_name, last_name=last_name, email=email)
        return lead, False
    lead = Lead(
        property_id=property_id,
        phone=phone or "",
        first_name=first_name[:100],
        last_name=last_name[:100],
        email=email,
        source=source,
    )
    # The unique (property, phone) constraint is left to the database: another delivery for the
    # same caller may be inserting right now, and only the DB can settle that race.
    lead.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        existing = lead_get_by_phone(property_id=property_id, phone=phone)
        if existing is None:
            raise
        return existing, False
    return lead, True


def lead_update_from_call(
    *,
    lead: Lead,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    move_in_date: date | None = None,
    bedrooms: int | None = None,
    budget: Decimal | None = None,
    has_pets: bool | None = None,
    pets: str = "",
    contacted_at: datetime | None = None,
) -> Lead:
    """Apply what a caller told us. Names and email only fill blanks (staff may have corrected
    them); what the caller is looking for is overwritten by the latest call."""
    changed = _lead_fill_blanks(
        lead=lead, first_name=first_name, last_name=last_name, email=email, save=False
    )
    wants = {
        "move_in_date": move_in_date,
        "desired_bedrooms": bedrooms,
        "budget": budget,
        "has_pets": has_pets,
        "pets": pets[:255] if pets else None,
    }
    for name, value in wants.items():
        if value is not None and getattr(lead, name) != value:
            setattr(lead, name, value)
            changed.append(name)
    if contacted_at is not None and (
        lead.last_contacted_at is None or lead.last_contacted_at < contacted_at
    ):
        lead.last_contacted_at = contacted_at
        changed.append("last_contacted_at")
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
    return lead


def lead_status_advance(*, lead: Lead, status: str) -> bool:
    """Move the lead to `status` unless it is already further down the pipeline."""
    if lead.status == status or _STATUS_RANK[lead.status] > _STATUS_RANK[status]:
        return False
    lead.status = status
    lead.save(update_fields=["status", "updated_at"])
    return True


def lead_activity_record(
    *,
    lead: Lead,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    vapi_call_id: str = "",
) -> None:
    """Add an activity. "call started"/"call ended" are kept once per call even when two
    deliveries race (INSERT ... ON CONFLICT DO NOTHING on the partial unique constraint)."""
    activity = LeadActivity(
        lead=lead, kind=kind, text=text[:2000], data=data or {}, vapi_call_id=vapi_call_id
    )
    if kind in _ONCE_PER_CALL and vapi_call_id:
        LeadActivity.objects.bulk_create([activity], ignore_conflicts=True)
    else:
        activity.save()


# Scoring (leasing-domain.md §3) ------------------------------------------------------------------


@dataclass(frozen=True)
class QualifyAnswers:
    """What the caller said. Deliberately no field for income, credit or anything about a
    protected class: qualification is fit and intent only (leasing-domain.md §3, HUD 2024)."""

    move_in_date: date | None = None
    bedrooms: int | None = None
    budget: Decimal | None = None
    has_pets: bool | None = None
    pets: str = ""


@dataclass
class LeadScore:
    score: int
    factors: dict[str, dict[str, Any]]
    missing: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def lead_score(
    *,
    answers: QualifyAnswers,
    units: list[Unit],
    pets_allowed: bool,
    today: date,
    named: bool,
    reachable: bool,
    tour_booked: bool,
) -> LeadScore:
    """Score 0-100 from fit (timing, unit type, budget, pets vs policy) and intent (engagement).

    Pure function; every factor is stored with its points, maximum and reason so staff can see
    why. Unknown answers score 0 and are listed in `missing` so the assistant asks for them.
    """
    factors: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    gaps: list[str] = []

    def put(name: str, points: int, maximum: int, reason: str) -> None:
        factors[name] = {"points": points, "max": maximum, "reason": reason}

    if answers.move_in_date is None:
        put("move_in", 0, 30, "move-in date unknown")
        missing.append("move-in date")
    else:
        days = max((answers.move_in_date - today).days, 0)
        for limit, points in ((30, 30), (60, 22), (90, 12)):
            if days <= limit:
                put("move_in", points, 30, f"moves in within {limit} days")
                break
        else:
            put("move_in", 5, 30, "moves in more than 90 days out")

    matching = units
    if answers.bedrooms is None:
        put("unit_type", 0, 20, "bedrooms unknown")
        missing.append("bedrooms")
    else:
        matching = [unit for unit in units if unit.bedrooms == answers.bedrooms]
        if matching:
            put("unit_type", 20, 20, f"{_beds(answers.bedrooms)} on offer")
        else:
            put("unit_type", 5, 20, f"no {_beds(answers.bedrooms)} on offer")
            gaps.append(f"no {_beds(answers.bedrooms)} is available")

    cheapest = min((unit.monthly_rent for unit in matching or units), default=None)
    if answers.budget is None:
        put("budget", 0, 25, "budget unknown")
        missing.append("budget")
    elif cheapest is None:
        put("budget", 0, 25, "nothing on offer to compare with")
    elif answers.budget >= cheapest:
        put("budget", 25, 25, f"budget covers the cheapest match (${cheapest:,.0f})")
    elif answers.budget >= cheapest * Decimal("0.9"):
        put("budget", 15, 25, f"budget within 10% of the cheapest match (${cheapest:,.0f})")
    else:
        put("budget", 0, 25, f"budget below the cheapest match (${cheapest:,.0f})")
        gaps.append(f"the budget is below our lowest matching rent of ${cheapest:,.0f}")

    if answers.has_pets is None:
        put("pets", 5, 10, "pets not discussed")
    elif not answers.has_pets:
        put("pets", 10, 10, "no pets")
    elif pets_allowed:
        put("pets", 10, 10, "pets allowed by the policy")
    else:
        put("pets", 0, 10, "pets not allowed here")
        gaps.append("this community does not allow pets")

    engagement = 5 * sum((named, reachable, tour_booked))
    put(
        "engagement",
        engagement,
        15,
        ", ".join(
            reason
            for reason, ok in (
                ("gave a name", named),
                ("reachable", reachable),
                ("booked a tour", tour_booked),
            )
            if ok
        )
        or "no engagement signals yet",
    )
    score = sum(factor["points"] for factor in factors.values())
    return LeadScore(score=min(score, 100), factors=factors, missing=missing, gaps=gaps)


def lead_qualify(
    *,
    lead: Lead,
    answers: QualifyAnswers,
    today: date | None = None,
    vapi_call_id: str = "",
) -> LeadScore:
    """Store what the caller said, score the lead, set qualified/unqualified, add an activity.

    `today` is the date on the property's calendar (the default): "moves in within 30 days"
    counts from the property's today, not the server's.
    """
    lead_update_from_call(
        lead=lead,
        move_in_date=answers.move_in_date,
        bedrooms=answers.bedrooms,
        budget=answers.budget,
        has_pets=answers.has_pets,
        pets=answers.pets,
    )
    known = QualifyAnswers(
        move_in_date=lead.move_in_date,
        bedrooms=lead.desired_bedrooms,
        budget=lead.budget,
        has_pets=lead.has_pets,
        pets=lead.pets,
    )
    result = lead_score(
        answers=known,
        units=unit_list_offerable(property_id=lead.property_id),
        pets_allowed=lead.property.pets_allowed,
        today=today or local_today(tz=lead.property.tz),
        named=bool(lead.first_name),
        reachable=bool(lead.phone or lead.email),
        tour_booked=lead.status == Lead.Status.TOUR_SCHEDULED
        or lead.tours.filter(status=Tour.Status.SCHEDULED).exists(),
    )
    lead.score = result.score
    lead.score_factors = result.factors
    lead.save(update_fields=["score", "score_factors", "updated_at"])
    status = (
        Lead.Status.QUALIFIED if result.score >= QUALIFIED_MIN_SCORE else Lead.Status.UNQUALIFIED
    )
    lead_status_advance(lead=lead, status=status)
    lead_activity_record(
        lead=lead,
        kind=LeadActivity.Kind.QUALIFIED,
        text=f"Scored {result.score}/100 on the call ({status}).",
        data={"score": result.score, "factors": result.factors},
        vapi_call_id=vapi_call_id,
    )
    return result


# Tours -------------------------------------------------------------------------------------------


@dataclass
class TourBooking:
    """The outcome of a booking attempt: a tour, or why not plus free times nearby.

    A naive time the property's clocks never show (spring forward) is rejected as
    "missing_time"; one they show twice (fall back) as "ambiguous_time" with the instants that
    could be booked in `choices`, so that the caller is asked which one. `asked` is the local time
    as resolved, for saying what happened.
    """

    tour: Tour | None = None
    created: bool = False
    # "past" | "closed" | "full" | "no_property" | "missing_time" | "ambiguous_time" |
    # "offset_mismatch" (a `utc_offset` the property's clocks don't show at that time)
    rejection: str = ""
    alternatives: list[datetime] = field(default_factory=list)
    choices: list[datetime] = field(default_factory=list)
    asked: LocalTime | None = None
    utc_offset: timedelta | None = None


def tour_schedule(
    *,
    property_id: int,
    lead: Lead,
    starts_at: datetime,
    utc_offset: timedelta | None = None,
    kind: str = Tour.Kind.IN_PERSON,
    unit_number: str = "",
    vapi_call_id: str = "",
    now: datetime | None = None,
) -> TourBooking:
    """Book a tour if the time is in the future, inside office hours and the slot has room.

    A naive `starts_at` is a wall-clock time at the property (properties/localtime.py) and must
    name exactly one instant, or `utc_offset` (as the caller wrote it) must pick one: that is
    how a caller chooses between the two 1:30s of a fall-back night. An aware `starts_at` is an
    instant, taken as given. Locks the property row first, so two callers racing for the last
    place in a slot are serialised: exactly one gets it, the other is offered alternatives.
    Booking the same lead at the same time twice returns the existing tour.
    """
    now = (now or timezone.now()).astimezone(UTC)
    prop = property_get_for_update(property_id=property_id)
    if prop is None:
        return TourBooking(rejection="no_property")
    if timezone.is_naive(starts_at):  # the assistant speaks in the property's local time
        asked = local_time_resolve(wall=starts_at, tz=prop.tz)
        if asked.missing:
            around = local_time_first_reached(wall=starts_at, tz=prop.tz)
            return TourBooking(
                rejection="missing_time",
                asked=asked,
                alternatives=tour_slots_free(property=prop, around=around, now=now),
            )
        if utc_offset is not None:
            # An offset the property's clocks don't show at that time is a guess (often
            # today's offset for a date after the change): it would move the tour by an hour.
            same = [at for at in asked.instants if at.astimezone(prop.tz).utcoffset() == utc_offset]
            if not same:
                return TourBooking(rejection="offset_mismatch", asked=asked, utc_offset=utc_offset)
            starts_at = same[0]
        elif asked.ambiguous:
            # Never pick one of the two for the caller: a tour an hour off is a no-show. Only
            # when neither could be booked anyway does the first one get the usual answer.
            bookable = [at for at in asked.instants if _tour_fits(prop, at, now=now)]
            if bookable:
                return TourBooking(rejection="ambiguous_time", asked=asked, choices=bookable)
            starts_at = asked.instants[0]
        else:
            starts_at = asked.instant
    # UTC from here on: `starts_at + slot` in the property's zone would be wall-clock arithmetic.
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        return TourBooking(
            rejection="past",
            alternatives=tour_slots_free(property=prop, around=now, now=now),
        )
    if not _tour_fits(prop, starts_at, now=now):
        return TourBooking(
            rejection="closed",
            alternatives=tour_slots_free(property=prop, around=starts_at, now=now),
        )
    existing = lead.tours.filter(starts_at=starts_at, status=Tour.Status.SCHEDULED).first()
    if existing is not None:
        return TourBooking(tour=existing, created=False)
    if tour_slot_taken_count(property=prop, starts_at=starts_at) >= prop.tours_per_slot:
        return TourBooking(
            rejection="full",
            alternatives=tour_slots_free(property=prop, around=starts_at, now=now),
        )
    unit = prop.units.filter(unit_number=unit_number).first() if unit_number else None
    tour = Tour(
        lead=lead,
        property=prop,
        unit=unit,
        starts_at=starts_at,
        kind=kind,
        vapi_call_id=vapi_call_id,
        notes="Booked by the voice assistant.",
    )
    tour.full_clean()
    tour.save()
    lead_status_advance(lead=lead, status=Lead.Status.TOUR_SCHEDULED)
    local = starts_at.astimezone(prop.tz)
    lead_activity_record(
        lead=lead,
        kind=LeadActivity.Kind.TOUR_SCHEDULED,
        # %Z tells the two 1:30s of a fall-back night apart (PDT, then PST).
        text=f"{tour.get_kind_display()} tour booked for {local:%a %b %d, %Y %H:%M %Z} "
        f"({prop.timezone}){f', unit {unit.unit_number}' if unit else ''}.",
        data={"tour_id": tour.pk, "starts_at": starts_at.isoformat()},
        vapi_call_id=vapi_call_id,
    )
    return TourBooking(tour=tour, created=True)


def _tour_fits(prop: Property, starts_at: datetime, *, now: datetime) -> bool:
    """In the future, and the whole slot inside one of that local day's office-hour windows."""
    starts_at = starts_at.astimezone(UTC)
    ends_at = starts_at + timedelta(minutes=prop.tour_slot_minutes)
    day = starts_at.astimezone(prop.tz).date()
    return starts_at > now and any(
        window.opens_at <= starts_at and ends_at <= window.closes_at
        for window in office_hours_on(property=prop, day=day)
    )


# Helpers -----------------------------------------------------------------------------------------


def _lead_fill_blanks(
    *, lead: Lead, first_name: str = "", last_name: str = "", email: str = "", save: bool = True
) -> list[str]:
    changed = []
    for name, value in (("first_name", first_name), ("last_name", last_name), ("email", email)):
        if name == "email" and not _email_ok(value):
            continue
        if value and not getattr(lead, name):
            setattr(lead, name, value[:100])
            changed.append(name)
    if save and changed:
        lead.save(update_fields=[*changed, "updated_at"])
    return changed


def _email_ok(value: str) -> bool:
    if not value:
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _beds(bedrooms: int) -> str:
    return "studio" if bedrooms == 0 else f"{bedrooms}-bedroom"


def _apply_flags(lead: Lead) -> None:
    # Record when consent was given and when the lead opted out (TCPA: we must be able to show it).
    now = timezone.now()
    if lead.consent_to_call and lead.consent_recorded_at is None:
        lead.consent_recorded_at = now
    if not lead.consent_to_call:
        lead.consent_recorded_at = None
    if lead.do_not_call and lead.opted_out_at is None:
        lead.opted_out_at = now
    if not lead.do_not_call:
        lead.opted_out_at = None


def _validate(lead: Lead) -> None:
    full_clean_with_field_errors(
        lead, constraint_fields={"lead_phone_unique_per_property": "phone"}
    )


def lead_create(*, prop: Property, **data: Any) -> Lead:
    """Create a lead for one of the user's properties.

    Raises django ValidationError, e.g. when the property already has a lead with this phone.
    """
    lead = Lead(property=prop, **data)
    _apply_flags(lead)
    _validate(lead)
    with transaction.atomic():
        lead.save()
        lead_do_not_call_sync(lead=lead)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, **data: Any) -> Lead:
    """Change the given fields; a status change is recorded as a `status_changed` activity."""
    old_status = lead.status
    for name, value in data.items():
        setattr(lead, name, value)
    _apply_flags(lead)
    _validate(lead)
    lead.save()
    # An opt-out outlives the box being unticked: the organization's list keeps it (64.1200(d)).
    lead_do_not_call_sync(lead=lead)
    if lead.status != old_status:
        LeadActivity.objects.create(
            lead=lead,
            kind=LeadActivity.Kind.STATUS_CHANGED,
            text=f"Status changed from {old_status} to {lead.status}.",
            data={"from": old_status, "to": lead.status},
        )
    return lead


def lead_delete(*, lead: Lead) -> None:
    """Delete the lead with its activities and tours; its calls stay, without the lead."""
    lead.delete()


@transaction.atomic
def lead_note_create(*, lead: Lead, text: str, user=None) -> LeadActivity:
    """Add a staff note; a note recording an opt-out ("lead emailed: don't call") suppresses the
    number too (calling-compliance.md §7 rule 9: a staff entry is a channel)."""
    note = LeadActivity.objects.create(lead=lead, kind=LeadActivity.Kind.NOTE, text=text)
    lead_note_opt_out_record(lead=lead, text=text, note=note, user=user)
    return note


@transaction.atomic
def tour_create(*, lead: Lead, **data: Any) -> Tour:
    """Book a tour for the lead at its property, and note it on the lead's activity feed."""
    tour = Tour(lead=lead, property_id=lead.property_id, **data)
    tour.full_clean()
    tour.save()
    local = timezone.localtime(tour.starts_at, lead.property.tz)
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.TOUR_SCHEDULED,
        text=f"{tour.get_kind_display()} tour booked for {local:%Y-%m-%d %H:%M}.",
        data={"tour_id": tour.pk, "starts_at": tour.starts_at.isoformat()},
    )
    return tour


def tour_update(*, tour: Tour, **data: Any) -> Tour:
    for name, value in data.items():
        setattr(tour, name, value)
    tour.full_clean()
    tour.save()
    return tour


def tour_delete(*, tour: Tour) -> None:
    tour.delete()
