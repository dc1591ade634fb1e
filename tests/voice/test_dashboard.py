"""Dashboard numbers against a fixture set of calls and tours, with a frozen `now`.

Time zone: America/Los_Angeles. `now` is Tue 2026-03-10 10:00 PDT; daylight saving time began on
Sun 2026-03-08, so the 7-day window starts at a PST midnight and today at a PDT midnight.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import CallLogFactory, LeadFactory, PropertyFactory, TourFactory
from voice.models import CallLog
from voice.selectors import (
    ANSWERED,
    FAILED,
    LIVE,
    NO_ANSWER,
    OUTCOME_RULES,
    VOICEMAIL,
    call_log_daily_counts,
    call_log_dashboard,
    call_log_top_ended_reasons,
    call_log_window_stats,
    call_outcome,
    call_outcome_q,
    ended_reason_label,
)

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=LA)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LA)


def make_call(created_at: datetime, *, tours: int = 0, **kwargs) -> CallLog:
    call = CallLogFactory(**kwargs)
    CallLog.objects.filter(pk=call.pk).update(created_at=created_at)
    if tours:
        lead = LeadFactory(property=call.property)
        TourFactory.create_batch(tours, lead=lead, vapi_call_id=call.vapi_call_id)
    return call


ENDED = CallLog.Status.ENDED


@pytest.fixture
def calls(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    prop = PropertyFactory()

    def call(when, reason="", status=ENDED, **kwargs):
        return make_call(when, property=prop, status=status, ended_reason=reason, **kwargs)

    # Today (from 00:00 PDT) ...
    call(at(2026, 3, 10, 9, 0), "customer-ended-call", duration_seconds=300, cost="0.50", tours=1)
    call(at(2026, 3, 10, 0, 0), "assistant-ended-call", duration_seconds=120, cost="0.20")
    call(at(2026, 3, 10, 9, 30), status=CallLog.Status.IN_PROGRESS)
    call(at(2026, 3, 10, 10, 0, 1), "customer-ended-call", duration_seconds=50, tours=1)  # future
    # ... the 7 days (from Wed 2026-03-04 00:00 PST) ...
    call(at(2026, 3, 9, 23, 59, 59), "voicemail", duration_seconds=30, cost="0.05")
    call(at(2026, 3, 8, 10, 0), "silence-timed-out", cost="0.10")  # no duration
    call(at(2026, 3, 7, 15, 0), "assistant-forwarded-call", duration_seconds=200, cost="0.30")
    call(at(2026, 3, 6, 12, 0), "call.start.error-subscription-frozen")
    call(at(2026, 3, 5, 12, 0), "twilio-failed-to-connect-call", cost="0.01")
    call(at(2026, 3, 4, 0, 0), "customer-did-not-answer", cost="0.00")
    # ... the 30 days (from Mon 2026-02-09 00:00 PST) ...
    call(at(2026, 3, 3, 23, 59), "customer-ended-call", duration_seconds=600, cost="1.00", tours=2)
    call(at(2026, 2, 9, 0, 0), "customer-busy")
    # ... and older.
    call(at(2026, 2, 8, 23, 59), "customer-ended-call", duration_seconds=1000, cost="9", tours=1)
    # Tours not booked on a call in the window.
    TourFactory(vapi_call_id="")
    TourFactory(vapi_call_id="call-that-is-not-logged")


def test_window_stats_today_7_and_30_days(calls):
    today, week, month = call_log_window_stats(now=NOW)

    assert (today.key, today.start) == ("today", at(2026, 3, 10))
    assert (today.calls, today.answered, today.voicemail, today.no_answer) == (3, 2, 0, 0)
    assert (today.failed, today.live) == (0, 1)
    assert today.avg_duration_seconds == 210
    assert today.avg_duration == "3:30"
    assert today.cost == Decimal("0.70")
    assert (today.calls_with_tour, today.tours_booked) == (1, 1)
    assert today.conversion == 0.5

    assert (week.key, week.start) == ("7d", at(2026, 3, 4))
    assert (week.calls, week.answered, week.voicemail, week.no_answer) == (9, 4, 1, 1)
    assert (week.failed, week.live) == (2, 1)
    assert week.avg_duration_seconds == pytest.approx(620 / 3)
    assert week.cost == Decimal("1.16")
    assert (week.calls_with_tour, week.tours_booked) == (1, 1)
    assert week.conversion == 0.25

    assert (month.key, month.start) == ("30d", at(2026, 2, 9))
    assert (month.calls, month.answered, month.voicemail, month.no_answer) == (11, 5, 1, 2)
    assert (month.failed, month.live) == (2, 1)
    assert month.avg_duration_seconds == 305
    assert month.cost == Decimal("2.16")
    assert (month.calls_with_tour, month.tours_booked) == (2, 3)
    assert month.conversion == 0.4


def test_window_stats_without_calls_are_zero():
    today, _, _ = call_log_window_stats(now=NOW)
    assert (today.calls, today.answered, today.cost, today.tours_booked) == (0, 0, Decimal(0), 0)
    assert today.avg_duration_seconds is None
    assert today.conversion is None


def test_daily_counts_cover_30_local_days_oldest_first(calls):
    days = call_log_daily_counts(now=NOW)

    assert len(days) == 30
    assert (days[0].day, days[-1].day) == (date(2026, 2, 9), date(2026, 3, 10))
    by_day = {d.day: d for d in days}
    today = by_day[date(2026, 3, 10)]
    assert (today.answered, today.live, today.total) == (2, 1, 3)
    assert by_day[date(2026, 3, 9)].voicemail == 1
    assert by_day[date(2026, 3, 4)].no_answer == 1
    assert by_day[date(2026, 3, 3)].answered == 1
    assert by_day[date(2026, 2, 9)].no_answer == 1
    assert by_day[date(2026, 3, 5)].failed == 1
    assert by_day[date(2026, 2, 20)].total == 0
    assert sum(d.total for d in days) == 11


def test_top_ended_reasons_in_plain_words(calls):
    reasons = call_log_top_ended_reasons(now=NOW, limit=3)

    assert [(r.reason, r.count) for r in reasons] == [
        ("customer-ended-call", 2),
        ("assistant-ended-call", 1),
        ("assistant-forwarded-call", 1),
    ]
    assert reasons[0].label == "Caller hung up"


def test_dashboard_takes_three_queries(calls, django_assert_num_queries):
    with django_assert_num_queries(3):
        dashboard = call_log_dashboard(now=NOW)
    assert dashboard.today == date(2026, 3, 10)
    assert [w.calls for w in dashboard.windows] == [3, 9, 11]


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (ENDED, "customer-ended-call", ANSWERED),
        (ENDED, "", ANSWERED),
        (ENDED, "assistant-forwarded-call", ANSWERED),
        (ENDED, "pipeline-error-openai-llm-failed", ANSWERED),
        (ENDED, "voicemail", VOICEMAIL),
        (ENDED, "customer-did-not-answer", NO_ANSWER),
        (ENDED, "customer-busy", NO_ANSWER),
        (ENDED, "twilio-failed-to-connect-call", FAILED),
        (ENDED, "call.start.error-subscription-insufficient-credits", FAILED),
        (ENDED, "assistant-request-returned-error", FAILED),
        (CallLog.Status.RINGING, "", LIVE),
        (CallLog.Status.IN_PROGRESS, "", LIVE),
    ],
)
def test_outcome_in_python_and_sql_agree(status, reason, outcome):
    call = CallLogFactory(status=status, ended_reason=reason)
    assert call_outcome(status=status, ended_reason=reason) == outcome
    matching = [o for o in (ANSWERED, VOICEMAIL, NO_ANSWER, FAILED, LIVE) if _in(call, o)]
    assert matching == [outcome]


def _in(call: CallLog, outcome: str) -> bool:
    return CallLog.objects.filter(call_outcome_q(outcome=outcome), pk=call.pk).exists()


def test_every_bucket_reason_has_plain_words():
    for exact, _ in OUTCOME_RULES.values():
        for reason in exact:
            label = ended_reason_label(reason=reason)
            assert label
            assert label != reason


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("customer-ended-call", "Caller hung up"),
        ("voicemail", "Went to voicemail"),
        ("assistant-forwarded-call", "Transferred to the leasing office"),
        (
            "call.in-progress.error-vapifault-openai-llm-failed",
            "Vapi error during the call (openai llm failed)",
        ),
        ("pipeline-error-deepgram-returning-502", "Voice pipeline error (deepgram returning 502)"),
        ("some-brand-new_reason.value", "Some brand new reason value"),
        ("", ""),
    ],
)
def test_ended_reason_label(reason, label):
    assert ended_reason_label(reason=reason) == label


def test_dashboard_page_and_live_json_need_staff(client, django_user_model):
    user = django_user_model.objects.create_user(username="renter", password="pw-123456789")
    client.force_login(user)
    login = reverse("admin:login")
    for name in ("admin:voice_dashboard", "admin:voice_live_calls"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    client.logout()
    response = client.get(reverse("admin:voice_live_calls"))
    assert response.status_code == 302
    assert response["Location"].startswith(login)
