"""The lead page: activity timeline (newest first), score breakdown, tours and calls."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from leads.admin import lead_score_factors
from leads.models import LeadActivity
from tests.factories import CallLogFactory, LeadActivityFactory, LeadFactory, TourFactory
from voice.models import CallLog

pytestmark = pytest.mark.django_db


def _page(admin_client, lead) -> str:
    response = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def lead():
    return LeadFactory(
        first_name="Maya",
        last_name="Chen",
        score=72,
        score_factors={
            "move_in": {"points": 25, "max": 25, "note": "Moving within 30 days"},
            "budget": {"points": 10, "max": 25, "note": "Budget below the cheapest match"},
            "pets": {"points": -5, "note": "Three dogs; the policy allows two"},
            "engagement": 12,
        },
    )


def test_timeline_lists_activities_newest_first_with_a_label_and_icon_per_kind(admin_client, lead):
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for hours, kind, text in [
        (0, LeadActivity.Kind.NOTE, "Web form: asked about two-bedrooms."),
        (3, LeadActivity.Kind.CALL_STARTED, "Inbound call started."),
        (1, LeadActivity.Kind.QUALIFIED, "Moving 1 April, budget $4,400."),
        (2, LeadActivity.Kind.TOUR_SCHEDULED, "Tour booked for Saturday 11:00."),
    ]:
        activity = LeadActivityFactory(lead=lead, kind=kind, text=text)
        LeadActivity.objects.filter(pk=activity.pk).update(created_at=base + timedelta(hours=hours))

    timeline = _section(_page(admin_client, lead), "lead-timeline")

    kinds = re.findall(r'<li class="activity-(\w+)">', timeline)
    assert kinds == ["call_started", "tour_scheduled", "qualified", "note"]
    labels = re.findall(r'<span class="v-kind">([^<]+)</span>', timeline)
    assert labels == ["Call started", "Tour scheduled", "Qualified", "Note"]
    assert timeline.count("<svg") == 4
    assert 'class="v-icon a-tour_scheduled"' in timeline
    assert "Tour booked for Saturday 11:00." in timeline


def test_timeline_links_call_activities_to_the_call_page(admin_client, lead):
    call = CallLogFactory(lead=lead, property=lead.property)
    LeadActivityFactory(
        lead=lead, kind=LeadActivity.Kind.CALL_ENDED, text="Ended.", vapi_call_id=call.vapi_call_id
    )
    timeline = _section(_page(admin_client, lead), "lead-timeline")
    link = reverse("admin:voice_calllog_by_vapi_id", args=[call.vapi_call_id])
    assert f'href="{link}"' in timeline
    assert admin_client.get(link)["Location"] == reverse(
        "admin:voice_calllog_change", args=[call.pk]
    )


def test_empty_timeline_says_so(admin_client, lead):
    assert "Nothing has happened with this lead yet." in _page(admin_client, lead)


def test_score_card_shows_the_factor_breakdown(admin_client, lead):
    score = _section(_page(admin_client, lead), "lead-score")

    assert "<span>72</span>" in score
    rows = re.findall(
        r'<span>([^<]+)</span><strong class="v-points">([^<]+)</strong>', score.replace("\n", "")
    )
    assert rows == [
        ("Move in", "+25 / 25"),
        ("Engagement", "+12"),
        ("Budget", "+10 / 25"),
        ("Pets", "-5"),
    ]
    assert "Three dogs; the policy allows two" in score
    assert 'class="v-negative"' in score
    assert 'style="width: 40%"' in score  # 10 of 25


@pytest.mark.parametrize(
    ("factors", "expected"),
    [
        ({}, []),
        (None, []),
        ("not json", []),
        ({"bedrooms": 15}, [("Bedrooms", 15.0, None, "")]),
        ({"budget": "12.5"}, [("Budget", 12.5, None, "")]),
        ({"source": "website"}, [("Source", 0.0, None, "website")]),
        (
            {"move_in": {"points": 20, "max": 25, "note": "Soon"}},
            [("Move in", 20.0, 25.0, "Soon")],
        ),
        ({"pets": {"score": -5, "reason": "Too many"}}, [("Pets", -5.0, None, "Too many")]),
        (
            [{"factor": "engagement", "points": 8}, {"name": "budget", "points": 9}, "junk"],
            [("Budget", 9.0, None, ""), ("Engagement", 8.0, None, "")],
        ),
    ],
)
def test_score_factors_are_read_leniently(factors, expected):
    rows = lead_score_factors(factors)
    assert [(r.label, r.points, r.max_points, r.note) for r in rows] == expected


def test_score_factor_bar_width():
    rows = lead_score_factors({"a": {"points": 30, "max": 20}, "b": -50, "c": {"points": 1}})
    assert [r.percent for r in rows] == [100, 1, 50]


def test_unscored_lead(admin_client):
    lead = LeadFactory(score=None, score_factors={})
    assert "not scored yet" in _section(_page(admin_client, lead), "lead-score")


def test_tours_are_listed_newest_first_with_the_call_that_booked_them(admin_client, lead):
    call = CallLogFactory(lead=lead, property=lead.property)
    early = TourFactory(lead=lead, starts_at=datetime(2026, 4, 2, 10, tzinfo=UTC))
    late = TourFactory(
        lead=lead, starts_at=datetime(2026, 4, 9, 15, tzinfo=UTC), vapi_call_id=call.vapi_call_id
    )

    tours = _section(_page(admin_client, lead), "lead-tours")

    late_url = reverse("admin:leads_tour_change", args=[late.pk])
    early_url = reverse("admin:leads_tour_change", args=[early.pk])
    assert tours.index(late_url) < tours.index(early_url)
    assert "Thu 9 Apr 2026, 08:00 PDT" in tours  # the property's time zone (Los Angeles)
    assert reverse("admin:voice_calllog_by_vapi_id", args=[call.vapi_call_id]) in tours


def test_calls_card_lists_the_leads_calls_with_outcomes(admin_client, lead):
    answered = CallLogFactory(
        lead=lead, ended_reason="customer-ended-call", duration_seconds=125, summary="Booked."
    )
    CallLogFactory(lead=lead, ended_reason="voicemail")
    CallLogFactory(lead=lead, status=CallLog.Status.IN_PROGRESS)
    CallLogFactory()  # someone else's

    calls = _section(_page(admin_client, lead), "lead-calls")

    assert calls.count("<tr>") == 4  # header + 3 calls
    assert reverse("admin:voice_calllog_change", args=[answered.pk]) in calls
    assert '<span class="v-pill o-answered">Answered</span>' in calls
    assert "Caller hung up" in calls
    assert '<span class="v-pill o-voicemail">Voicemail</span>' in calls
    assert '<span class="v-pill o-live">In progress</span>' in calls
    assert "2:05" in calls
    assert f"?lead__id__exact={lead.pk}" in calls


def test_lead_calls_filter_link_works(admin_client, lead):
    CallLogFactory(lead=lead, customer_number="+12065550111")
    CallLogFactory(customer_number="+12065550122")
    response = admin_client.get(
        reverse("admin:voice_calllog_changelist"), {"lead__id__exact": lead.pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "+12065550111" in html
    assert "+12065550122" not in html


def test_lead_page_still_saves_the_form(admin_client, lead):
    page = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "property": lead.property_id,
            "first_name": "Maya-Lin",
            "activities-TOTAL_FORMS": 0,
            "activities-INITIAL_FORMS": 0,
            "tours-TOTAL_FORMS": 0,
            "tours-INITIAL_FORMS": 0,
        }
    )
    data.pop("metadata", None)
    data["metadata"] = "{}"
    response = admin_client.post(reverse("admin:leads_lead_change", args=[lead.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead.refresh_from_db()
    assert lead.first_name == "Maya-Lin"
