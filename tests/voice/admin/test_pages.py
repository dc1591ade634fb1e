"""The call log page, the voice dashboard page and its live JSON, and the admin index links."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CallLogFactory,
    LeadFactory,
    PropertyFactory,
    TourFactory,
    UserFactory,
)
from tests.voice.samples import (
    RECORDING_URL,
    SUMMARY,
    create_call_history,
    create_ended_call_with_tour,
    create_live_call,
)
from voice.admin.transcripts import call_log_transcript_turns
from voice.admin.views import calls_per_day_chart
from voice.calls.selectors import ASSISTANT, CALLER, SYSTEM, TOOL, TOOL_RESULT, DayCount
from voice.models import CallLog, TranscriptLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return LeadFactory(first_name="Maya", last_name="Chen", phone="+14155550123")


@pytest.fixture
def ended_call(lead):
    return create_ended_call_with_tour(lead=lead)


def _page(admin_client, call: CallLog) -> str:
    response = admin_client.get(reverse("admin:voice_calllog_change", args=[call.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    """Visible text, whitespace collapsed (for order checks)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Conversation parsing -------------------------------------------------------------------
def test_turns_are_chat_lines_with_tool_calls_and_their_results_inline(ended_call):
    call, _ = ended_call
    turns = call_log_transcript_turns(call_log=call)

    assert [t.kind for t in turns] == [
        SYSTEM,
        ASSISTANT,
        CALLER,
        TOOL,
        ASSISTANT,
        CALLER,
        TOOL,
        ASSISTANT,
        CALLER,
        ASSISTANT,
    ]
    assert [t.clock for t in turns[1:4]] == ["0:00", "0:04", "0:09"]
    assert turns[8].clock == "0:30"  # only an epoch-ms `time`: measured from the call start
    availability = turns[3].tool_calls[0]
    assert availability.label == "Checked availability"
    assert availability.arguments == [("bedrooms", "2"), ("move_in_date", "2026-04-01")]
    assert availability.result.startswith("2 two-bedroom homes")
    booking = turns[6].tool_calls[0]
    assert (booking.name, booking.label) == ("schedule_tour", "Booked a tour")
    assert ("unit", "312") in booking.arguments
    assert booking.result == "Booked: in-person tour on Saturday at 11:00 for unit 312."


def test_turns_read_odd_items_leniently():
    call = CallLogFactory(
        messages=[
            "not a dict",
            {"role": "bot"},  # no text
            {"role": "BOT", "message": "  Hello there  ", "secondsFromStart": "1.5"},
            {"role": "weird-role", "message": "Something else"},
            {"message": "no role at all"},
            {
                "role": "tool_calls",
                "toolCalls": [
                    {"id": "t1", "function": {"name": "qualify_lead", "arguments": "{broken"}},
                    {"id": "t2", "function": {"name": "custom_tool", "arguments": ["x"]}},
                    "junk",
                ],
            },
            {"role": "tool_call_result", "toolCallId": "zzz", "name": "orphan", "result": "42"},
            {"role": "tool_call_result", "toolCallId": "t1", "result": {"ok": True}},
        ]
    )

    turns = call_log_transcript_turns(call_log=call)

    assert [(t.kind, t.text) for t in turns[:3]] == [
        (ASSISTANT, "Hello there"),
        ("note", "Something else"),
        ("note", "no role at all"),
    ]
    assert turns[0].clock == "0:01"
    tool = turns[3]
    assert [c.label for c in tool.tool_calls] == ["Saved the caller's details", "Custom tool"]
    assert tool.tool_calls[0].arguments == [("arguments", "{broken")]
    assert tool.tool_calls[0].result == '{"ok": true}'
    assert tool.tool_calls[1].arguments == [("arguments", '["x"]')]
    assert (turns[4].kind, turns[4].name, turns[4].text) == (TOOL_RESULT, "orphan", "42")


def test_turns_fall_back_to_the_plain_transcript():
    call = CallLogFactory(
        messages=[], transcript="AI: Hi, Harbor View.\nUser: Do you allow cats?\nthat is, two\n"
    )
    turns = call_log_transcript_turns(call_log=call)
    assert [(t.kind, t.text) for t in turns] == [
        (ASSISTANT, "Hi, Harbor View."),
        (CALLER, "Do you allow cats? that is, two"),
    ]


# Call log page --------------------------------------------------------------------------
def test_call_log_page_shows_the_conversation_as_a_chat(admin_client, ended_call):
    call, _ = ended_call
    html = _page(admin_client, call)

    text = _text(html)
    hello = text.index("this is Ava. How can I help?")
    looking = text.index("looking for a two-bedroom")
    checked = text.index("Checked availability")
    saturday = text.index("could I come Saturday at 11?")
    assert hello < looking < checked < saturday
    assert "Caller · 0:04" in text
    assert "Assistant · 0:11" in text
    assert 'class="v-turn k-caller"' in html
    assert 'class="v-turn k-assistant"' in html
    assert "Result: 2 two-bedroom homes: unit 312 at $4,250" in text
    assert "Booked: in-person tour on Saturday at 11:00 for unit 312." in text
    assert "property_id" not in text
    assert "Assistant instructions (system prompt)" in text


def test_call_log_page_shows_recording_outcome_summary_and_data(admin_client, ended_call):
    call, _ = ended_call
    html = _page(admin_client, call)
    text = _text(html)

    assert f'<audio class="v-audio" controls preload="none" src="{RECORDING_URL}">' in html
    assert '<span class="v-pill o-answered">Answered</span>' in html
    assert '<span class="v-stat-value v-wide" id="ended-reason">Caller hung up</span>' in html
    assert "1:35" in text  # duration
    assert "$0.18" in text  # cost
    assert SUMMARY in text
    assert "Call goal met: Yes" in text
    assert "<dt>Tour interest</dt><dd>Yes</dd>" in html
    assert "<dt>Has pets</dt><dd>No</dd>" in html
    assert "<dt>Budget</dt><dd>4400</dd>" in html


def test_call_log_page_links_the_lead_and_the_tours_booked_on_it(admin_client, ended_call):
    call, tour = ended_call
    other_tour = TourFactory(lead=call.lead, vapi_call_id="another-call")
    html = _page(admin_client, call)

    assert reverse("admin:leads_lead_change", args=[call.lead_id]) in html
    assert reverse("admin:leads_tour_change", args=[tour.pk]) in html
    assert reverse("admin:leads_tour_change", args=[other_tour.pk]) not in html
    assert reverse("admin:properties_property_change", args=[call.property_id]) in html


def test_call_log_page_is_read_only(admin_client, ended_call):
    call, _ = ended_call
    html = _page(admin_client, call)
    assert 'name="_save"' not in html
    response = admin_client.post(
        reverse("admin:voice_calllog_change", args=[call.pk]), {"summary": "changed"}
    )
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.summary == SUMMARY


def test_call_log_page_without_transcript_or_recording(admin_client):
    call = CallLogFactory(
        status=CallLog.Status.ENDED,
        ended_reason="call.in-progress.error-vapifault-openai-llm-failed",
        lead=None,
    )
    text = _text(_page(admin_client, call))
    assert "No transcript was recorded for this call." in text
    assert "No recording." in text
    assert "Vapi error during the call (openai llm failed)" in text
    assert "Call from +12065550100" in text


def test_call_log_page_of_a_call_in_progress_shows_its_live_transcript(admin_client, lead):
    call = create_live_call(lead=lead)
    html = _page(admin_client, call)

    assert '<span class="v-pill o-live">In progress</span>' in html
    assert (
        f'data-live-calls-url="{reverse("admin:voice_live_calls")}?call={call.vapi_call_id}"'
        in html
    )
    assert "Cats and dogs are welcome, up to two pets." in html
    assert "voice/live_calls.js" in html


def test_call_log_list_shows_outcomes_in_plain_words(admin_client, ended_call):
    CallLogFactory(status=CallLog.Status.ENDED, ended_reason="voicemail")
    response = admin_client.get(reverse("admin:voice_calllog_changelist"))
    text = _text(response.content.decode())
    assert "Answered: Caller hung up" in text
    assert "Voicemail: Went to voicemail" in text


def test_call_log_list_is_short_columns_in_the_propertys_zone(admin_client, clock):
    # 22:30 on Wed 2 Dec in Los Angeles is already Thu 3 Dec in UTC.
    clock.move_to(datetime(2026, 12, 3, 6, 30, tzinfo=UTC))
    admin_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    CallLogFactory(
        property=PropertyFactory(timezone="America/Los_Angeles"),
        lead=None,
        direction=CallLog.Direction.OUTBOUND,
        customer_number="+19165550123",
        duration_seconds=4000,
        cost=Decimal("12.3456"),
    )

    response = admin_client.get(reverse("admin:voice_calllog_changelist"))

    headers = [
        h.lower()
        for h in re.findall(
            r'<th scope="col"[^>]*>.*?<a [^>]*>([^<]+)</a>', response.content.decode(), re.S
        )
    ]
    assert headers == ["when", "caller", "property", "outcome", "duration", "cost"]
    text = _text(response.content.decode())
    assert "2 Dec 22:30 PST" in text
    assert "+19165550123 Outbound" in text
    assert "1:06:40" in text
    assert "$12.35" in text


def test_call_log_by_vapi_id_redirects_to_its_page(admin_client, ended_call):
    call, _ = ended_call
    url = reverse("admin:voice_calllog_by_vapi_id", args=[call.vapi_call_id])
    response = admin_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:voice_calllog_change", args=[call.pk])
    missing = admin_client.get(reverse("admin:voice_calllog_by_vapi_id", args=["nope"]))
    assert missing.status_code == 404


# Dashboard ------------------------------------------------------------------------------
def test_dashboard_page_shows_windows_chart_reasons_and_live_calls(
    admin_client, lead, django_assert_max_num_queries
):
    create_call_history(lead=lead)
    live = create_live_call(lead=lead)

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:voice_dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    for window in ("Today", "Last 7 days", "Last 30 days"):
        assert window in text
    assert 'id="window-30d"' in html
    assert "Days run midnight to midnight in each property's own time zone" in text
    assert f"{lead.property.timezone} : today is" in text
    assert html.count('<rect class="hit"') == 30
    assert '<rect class="o-answered"' in html
    assert "Caller hung up" in text  # top ended reasons, in plain words
    assert "<code>customer-ended-call</code>" in html
    assert f'data-vapi-call-id="{live.vapi_call_id}"' in html
    assert "Hi, do you allow dogs?" in html
    assert "voice/live_calls.js" in html
    assert "cdn" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_dashboard_numbers_on_the_page(admin_client, lead):
    for reason, seconds, cost in [
        ("customer-ended-call", 100, "0.20"),
        ("customer-ended-call", 200, "0.30"),
        ("voicemail", 20, "0.05"),
        ("customer-did-not-answer", None, None),
    ]:
        CallLogFactory(
            ended_reason=reason, duration_seconds=seconds, cost=cost, property=lead.property
        )
    TourFactory(lead=lead, vapi_call_id="not-a-logged-call")
    first = CallLog.objects.filter(ended_reason="customer-ended-call").first()
    TourFactory(lead=lead, vapi_call_id=first.vapi_call_id)

    html = admin_client.get(reverse("admin:voice_dashboard")).content.decode()
    today = html[html.index('id="window-today"') : html.index('id="window-7d"')]

    def metric(name: str) -> str:
        match = re.search(rf'data-metric="{name}">([^<]*)<', today)
        assert match, name
        return match.group(1)

    assert metric("calls") == "4"
    assert (metric("answered"), metric("voicemail"), metric("no_answer")) == ("2", "1", "1")
    assert metric("avg_duration") == "2:30"
    assert metric("cost") == "$0.55"
    assert metric("tours") == "1"
    assert metric("conversion") == "50%"


def test_live_json_lists_calls_in_progress_with_their_lines(admin_client, lead):
    live = create_live_call(lead=lead)
    CallLogFactory(status=CallLog.Status.ENDED)
    stale = CallLogFactory(status=CallLog.Status.IN_PROGRESS)
    CallLog.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=3))

    data = admin_client.get(reverse("admin:voice_live_calls")).json()

    assert [c["vapi_call_id"] for c in data["calls"]] == [live.vapi_call_id]
    call = data["calls"][0]
    assert call["who"] == "Maya Chen"
    assert call["url"] == reverse("admin:voice_calllog_change", args=[live.pk])
    assert call["status_label"] == "In progress"
    assert 38 <= call["elapsed_seconds"] <= 60
    assert [(line["role"], line["clock"]) for line in call["lines"]] == [
        ("assistant", "0:02"),
        ("caller", "0:08"),
        ("assistant", "0:14"),
    ]
    assert call["lines"][1]["text"] == "Hi, do you allow dogs?"


def test_live_json_for_one_call(admin_client, lead):
    first = create_live_call(lead=lead)
    create_live_call(lead=LeadFactory(property=lead.property))
    TranscriptLine.objects.create(
        vapi_call_id=first.vapi_call_id, role="bot", text="Anything else?", spoken_at=timezone.now()
    )

    url = f"{reverse('admin:voice_live_calls')}?call={first.vapi_call_id}"
    data = admin_client.get(url).json()

    assert [c["vapi_call_id"] for c in data["calls"]] == [first.vapi_call_id]
    assert data["calls"][0]["lines"][-1] == {
        "role": "assistant",
        "text": "Anything else?",
        "clock": data["calls"][0]["lines"][-1]["clock"],
    }


def test_live_json_takes_two_queries_whatever_the_number_of_calls(
    admin_client, lead, django_assert_max_num_queries
):
    for _ in range(4):
        create_live_call(lead=LeadFactory(property=lead.property))
    with django_assert_max_num_queries(2 + 3):  # + session and user
        data = admin_client.get(reverse("admin:voice_live_calls")).json()
    assert len(data["calls"]) == 4
    # The dashboard's feed adds the counters: the property zones and one aggregate.
    with django_assert_max_num_queries(2 + 2 + 3):
        data = admin_client.get(reverse("admin:voice_live_calls"), {"windows": "1"}).json()
    assert data["windows"][0]["metrics"]["calls"] == "4"


def test_staff_without_call_log_permission_gets_403(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:voice_dashboard")).status_code == 403
    assert client.get(reverse("admin:voice_live_calls")).status_code == 403


# Admin index -----------------------------------------------------------------------------
def test_admin_index_links_the_dashboard_in_a_card_and_in_the_app_list(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    url = reverse("admin:voice_dashboard")
    assert 'id="voice-dashboard-card"' in html
    assert html.count(f'href="{url}"') >= 2
    app = admin_client.get(reverse("admin:app_list", args=["voice"])).content.decode()
    assert f'href="{url}"' in app


@pytest.mark.parametrize(
    ("busiest", "ticks"),
    [
        (0, ["0", "1", "2", "3", "4"]),
        (4, ["0", "1", "2", "3", "4"]),
        (7, ["0", "2", "4", "6", "8"]),
        (13, ["0", "5", "10", "15", "20"]),
        (33, ["0", "10", "20", "30", "40"]),
        (1234, ["0", "500", "1000", "1500", "2000"]),
    ],
)
def test_chart_y_axis_has_four_whole_steps(busiest, ticks):
    days = [
        DayCount(day=date(2026, 3, 1), answered=busiest, voicemail=0, no_answer=0, failed=0, live=0)
    ]
    chart = calls_per_day_chart(days)
    assert [t.label for t in chart.ticks] == ticks


def test_chart_stacks_outcomes_per_day_and_labels_every_week():
    days = [
        DayCount(
            day=date(2026, 3, 1) + timedelta(days=i),
            answered=i % 3,
            voicemail=1,
            no_answer=0,
            failed=0,
            live=0,
        )
        for i in range(30)
    ]
    chart = calls_per_day_chart(days)
    assert len(chart.days) == 30
    last = chart.days[-1]
    assert [r.css for r in last.rects] == ["o-answered", "o-voicemail"]
    assert last.rects[0].y + last.rects[0].height == pytest.approx(chart.bottom)
    assert last.rects[1].y + last.rects[1].height == pytest.approx(last.rects[0].y)
    assert last.title == "Mon 30 Mar: 3 calls (2 answered, 1 voicemail)"
    assert [d.label for d in chart.days if d.label] == [
        "2 Mar",
        "9 Mar",
        "16 Mar",
        "23 Mar",
        "30 Mar",
    ]


def test_call_log_page_says_whether_and_why_the_call_was_recorded(admin_client, ended_call):
    call, _ = ended_call
    basis = "not recorded: California requires all-party consent and none was given"
    CallLog.objects.filter(pk=call.pk).update(recorded=False, recording_basis=basis)

    html = _page(admin_client, call)

    assert f'<p class="v-small" id="recording-basis">Recorded: no ({basis})</p>' in html
