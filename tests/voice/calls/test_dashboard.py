"""Dashboard numbers against a fixture set of calls and tours, with a frozen `now`.

Time zone: America/Los_Angeles. `now` is Tue 2026-03-10 10:00 PDT; daylight saving time began on
Sun 2026-03-08, so the 7-day window starts at a PST midnight and today at a PDT midnight.

Day boundaries are each property's own zone (calls without a property: settings.TIME_ZONE);
the multi-zone tests sit at late-night instants where UTC, Eastern and Pacific dates differ.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CallLogFactory, LeadFactory, PropertyFactory, TourFactory
from voice.calls.selectors import (
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
from voice.models import CallLog

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

    assert (today.key, today.start, today.first_day) == (
        "today",
        at(2026, 3, 10),
        date(2026, 3, 10),
    )
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


def test_dashboard_takes_four_queries(calls, django_assert_num_queries):
    with django_assert_num_queries(4):  # zones, windows, days, reasons
        dashboard = call_log_dashboard(now=NOW)
    assert [(z.zone, z.today, z.fallback) for z in dashboard.zones] == [
        ("America/Los_Angeles", date(2026, 3, 10), True)
    ]
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


# Day boundaries in each property's zone ---------------------------------------------------
# 2026-12-03 06:30 UTC is Wed 2 Dec 22:30 in Los Angeles and Thu 3 Dec 01:30 in New York.
LATE = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


@pytest.fixture
def calls_in_two_zones(settings):
    settings.TIME_ZONE = "UTC"
    pacific = PropertyFactory(name="Harbor View", timezone="America/Los_Angeles")
    eastern = PropertyFactory(name="Hudson Yards", timezone="America/New_York")

    def call(prop, when, **kwargs):
        return make_call(when, property=prop, status=ENDED, ended_reason="", **kwargs)

    utc = partial(datetime, tzinfo=UTC)
    call(pacific, utc(2026, 12, 2, 23, 0))  # 15:00 PST Dec 2: today in LA (not in UTC)
    call(pacific, utc(2026, 12, 2, 7, 59))  # 23:59 PST Dec 1: yesterday in LA
    call(eastern, utc(2026, 12, 3, 5, 30))  # 00:30 EST Dec 3: today in NY
    call(eastern, utc(2026, 12, 3, 4, 59))  # 23:59 EST Dec 2: yesterday in NY (today in UTC)
    call(None, utc(2026, 12, 3, 0, 30))  # no property: today in UTC
    call(None, utc(2026, 12, 2, 23, 30))  # no property: yesterday in UTC
    return pacific, eastern


def test_today_is_each_propertys_own_day(calls_in_two_zones):
    today, week, _ = call_log_window_stats(now=LATE)

    assert today.calls == 3
    assert week.calls == 6
    assert today.first_day is None  # the zones disagree on the date
    assert week.first_day is None
    # The earliest of the local midnights: Wed 2 Dec in Los Angeles.
    assert today.start == datetime(2026, 12, 2, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_daily_counts_use_each_propertys_day(calls_in_two_zones):
    days = call_log_daily_counts(now=LATE, days=3)

    # The chart ends on the latest local today (3 Dec in New York and UTC).
    assert [(d.day, d.total) for d in days] == [
        (date(2026, 12, 1), 1),  # LA 23:59 Dec 1
        (date(2026, 12, 2), 3),  # LA 15:00, NY 23:59, no property 23:30 UTC
        (date(2026, 12, 3), 2),  # NY 00:30, no property 00:30 UTC
    ]


def test_dashboard_zones_list_property_zones_and_the_fallback(calls_in_two_zones):
    dashboard = call_log_dashboard(now=LATE)

    assert [(z.zone, z.today, z.local_now.hour, z.fallback) for z in dashboard.zones] == [
        ("America/Los_Angeles", date(2026, 12, 2), 22, False),
        ("America/New_York", date(2026, 12, 3), 1, False),
        ("UTC", date(2026, 12, 3), 6, True),
    ]


def test_dashboard_page_states_the_zones_at_a_late_night_instant(
    admin_client, admin_user, calls_in_two_zones, clock
):
    # 02:50 in Los Angeles on Thu 3 Dec is 10:50 UTC: both zones agree on the date here, so
    # move to 22:30 Pacific on Wed 2 Dec, when UTC and New York are already on Thu 3 Dec.
    clock.move_to(LATE)
    admin_client.force_login(admin_user)  # a session from the suite's instant may have expired

    html = admin_client.get(reverse("admin:voice_dashboard")).content.decode()

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Days run midnight to midnight in each property's own time zone" in text
    assert "America/Los_Angeles : today is Wednesday 2 December, now 22:30" in text
    assert "America/New_York : today is Thursday 3 December, now 01:30" in text
    assert "UTC (no property) : today is Thursday 3 December, now 06:30" in text
    assert "calls without a property use UTC (DJANGO_TIME_ZONE)" in text
    today = html[html.index('id="window-today"') : html.index('id="window-7d"')]
    assert re.search(r'data-metric="calls">3<', today)
    assert "from midnight at each property" in today


def test_one_zone_shows_the_date_the_window_starts(admin_client, admin_user, clock):
    # 02:50 Pacific: the UTC date is the same, the Pacific hour is before dawn.
    clock.move_to(datetime(2026, 12, 3, 10, 50, tzinfo=UTC))
    admin_client.force_login(admin_user)
    make_call(datetime(2026, 12, 3, 8, 30, tzinfo=UTC), property=PropertyFactory())  # 00:30 PST
    make_call(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), property=PropertyFactory())  # Dec 2 PST

    html = admin_client.get(reverse("admin:voice_dashboard")).content.decode()

    today = html[html.index('id="window-today"') : html.index('id="window-7d"')]
    assert "since Thu 3 Dec" in today
    assert re.search(r'data-metric="calls">1<', today)


# The counters follow the live feed ----------------------------------------------------------
def _feed(admin_client) -> dict:
    return admin_client.get(reverse("admin:voice_live_calls"), {"windows": "1"}).json()


def test_live_feed_carries_the_counters_as_the_page_shows_them(admin_client):
    make_call(timezone.now(), property=PropertyFactory(), status=ENDED, duration_seconds=90)

    html = admin_client.get(reverse("admin:voice_dashboard")).content.decode()
    windows = {w["key"]: w for w in _feed(admin_client)["windows"]}

    assert list(windows) == ["today", "7d", "30d"]
    today = html[html.index('id="window-today"') : html.index('id="window-7d"')]
    for name, value in windows["today"]["metrics"].items():
        assert f'data-metric="{name}">{value}<' in today, name
    assert windows["today"]["metrics"]["calls"] == "1"
    assert windows["today"]["metrics"]["avg_duration"] == "1:30"


def test_counters_follow_a_call_from_live_to_answered(admin_client):
    assert "windows" not in admin_client.get(reverse("admin:voice_live_calls")).json()
    call = CallLogFactory(status=CallLog.Status.IN_PROGRESS)

    data = _feed(admin_client)
    assert [c["vapi_call_id"] for c in data["calls"]] == [call.vapi_call_id]
    today = data["windows"][0]["metrics"]
    assert (today["calls"], today["caption"], today["answered"]) == (
        "1",
        "call, 1 in progress",
        "0",
    )
    assert data["windows"][0]["split"]["live"] == 1

    call.status = ENDED
    call.ended_reason = "customer-ended-call"
    call.save()

    data = _feed(admin_client)
    assert data["calls"] == []
    today = data["windows"][0]["metrics"]
    assert (today["calls"], today["caption"], today["answered"]) == ("1", "call", "1")
    assert data["windows"][0]["split"] == {
        "answered": 1,
        "voicemail": 0,
        "no_answer": 0,
        "failed": 0,
        "live": 0,
    }
