"""A realistic ended call (Vapi artifact messages, analysis, recording) with the tour it booked,
and a call in progress with live transcript lines; shared by the page and browser tests."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from leads.models import Lead, LeadActivity, Tour
from tests.factories import CallLogFactory
from voice.models import CallLog, TranscriptLine

RECORDING_URL = "https://storage.vapi.test/recordings/harbor-view-call.wav"
STEREO_RECORDING_URL = "https://storage.vapi.test/recordings/harbor-view-call-stereo.wav"
SUMMARY = (
    "Maya is looking for a two-bedroom from early April with a budget around $4,400. "
    "She booked an in-person tour of unit 312 for Saturday at 11:00."
)


def sample_messages(*, started_at: datetime, tour_start: str) -> list[dict[str, Any]]:
    """Vapi `artifact.messages` as they arrive: mixed role spellings, arguments as a JSON string
    and as an object, one line with only an epoch-ms `time`."""
    epoch_ms = started_at.timestamp() * 1000
    return [
        {
            "role": "system",
            "message": "You are Ava, the friendly leasing assistant for Harbor View Apartments.",
            "time": epoch_ms,
            "secondsFromStart": 0,
        },
        {
            "role": "bot",
            "message": "Thanks for calling Harbor View Apartments, this is Ava. How can I help?",
            "time": epoch_ms + 400,
            "endTime": epoch_ms + 3900,
            "secondsFromStart": 0.4,
        },
        {
            "role": "user",
            "message": "Hi! I'm looking for a two-bedroom, moving in around the start of April.",
            "time": epoch_ms + 4100,
            "secondsFromStart": 4.1,
        },
        {
            "role": "tool_calls",
            "time": epoch_ms + 9200,
            "secondsFromStart": 9.2,
            "toolCalls": [
                {
                    "id": "call_avail_1",
                    "type": "function",
                    "function": {
                        "name": "check_availability",
                        "arguments": '{"bedrooms": 2, "move_in_date": "2026-04-01", '
                        '"property_id": "1"}',
                    },
                }
            ],
        },
        {
            "role": "tool_call_result",
            "toolCallId": "call_avail_1",
            "name": "check_availability",
            "result": "2 two-bedroom homes: unit 312 at $4,250 and unit 315 at $4,350.",
            "time": epoch_ms + 9900,
            "secondsFromStart": 9.9,
        },
        {
            "role": "assistant",
            "message": "We have two: unit 312 at $4,250 a month and unit 315 at $4,350. "
            "Would you like to come and see them?",
            "time": epoch_ms + 11500,
            "secondsFromStart": 11.5,
        },
        {
            "role": "user",
            "message": "Yes please, could I come Saturday at 11?",
            "time": epoch_ms + 19000,
            "secondsFromStart": 19.0,
        },
        {
            "role": "tool-calls",
            "time": epoch_ms + 21300,
            "secondsFromStart": 21.3,
            "toolCalls": [
                {
                    "id": "call_tour_1",
                    "type": "function",
                    "function": {
                        "name": "schedule_tour",
                        "arguments": {
                            "first_name": "Maya",
                            "last_name": "Chen",
                            "start_time": tour_start,
                            "tour_type": "in_person",
                            "unit": "312",
                        },
                    },
                }
            ],
        },
        {
            "role": "tool-call-result",
            "toolCallId": "call_tour_1",
            "name": "schedule_tour",
            "result": "Booked: in-person tour on Saturday at 11:00 for unit 312.",
            "secondsFromStart": 22.0,
        },
        {
            "role": "bot",
            "message": "You're all set for Saturday at 11 a.m. We'll text you a reminder.",
            "secondsFromStart": 23.4,
        },
        {"role": "user", "message": "Perfect, thank you!", "time": epoch_ms + 30200},
        {"role": "bot", "message": "You're welcome, see you Saturday!", "secondsFromStart": 32.0},
    ]


def create_ended_call_with_tour(
    *, lead: Lead, started_at: datetime | None = None
) -> tuple[CallLog, Tour]:
    started_at = started_at or timezone.now() - timedelta(minutes=20)
    tour_at = started_at + timedelta(days=3)
    call = CallLogFactory(
        property=lead.property,
        lead=lead,
        customer_number=lead.phone,
        direction=CallLog.Direction.INBOUND,
        status=CallLog.Status.ENDED,
        ended_reason="customer-ended-call",
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=95),
        duration_seconds=95,
        cost=Decimal("0.1834"),
        messages=sample_messages(
            started_at=started_at, tour_start=tour_at.strftime("%Y-%m-%dT%H:%M")
        ),
        transcript="AI: Thanks for calling Harbor View Apartments.\nUser: Hi!",
        recording_url=RECORDING_URL,
        stereo_recording_url=STEREO_RECORDING_URL,
        summary=SUMMARY,
        structured_data={
            "first_name": "Maya",
            "last_name": "Chen",
            "bedrooms": 2,
            "budget": 4400,
            "move_in_date": "2026-04-01",
            "has_pets": False,
            "tour_interest": True,
        },
        success_evaluation="true",
        metadata={"leadId": str(lead.pk), "propertyId": str(lead.property_id)},
    )
    unit = lead.property.units.filter(unit_number="312").first()
    tour = Tour.objects.create(
        lead=lead,
        property=lead.property,
        unit=unit,
        starts_at=tour_at,
        kind=Tour.Kind.IN_PERSON,
        vapi_call_id=call.vapi_call_id,
    )
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.CALL_ENDED,
        text="Inbound call ended: caller hung up after booking a tour.",
        vapi_call_id=call.vapi_call_id,
    )
    return call, tour


def create_live_call(*, lead: Lead, seconds_ago: int = 40) -> CallLog:
    started_at = timezone.now() - timedelta(seconds=seconds_ago)
    call = CallLogFactory(
        property=lead.property,
        lead=lead,
        customer_number=lead.phone,
        status=CallLog.Status.IN_PROGRESS,
        started_at=started_at,
    )
    lines = [
        ("assistant", "Thanks for calling Harbor View Apartments, this is Ava."),
        ("user", "Hi, do you allow dogs?"),
        ("assistant", "Yes! Cats and dogs are welcome, up to two pets."),
    ]
    for index, (role, text) in enumerate(lines):
        TranscriptLine.objects.create(
            vapi_call_id=call.vapi_call_id,
            role=role,
            text=text,
            spoken_at=started_at + timedelta(seconds=2 + 6 * index),
        )
    return call


# (days ago, hour, ended reason, duration seconds, cost, booked a tour)
HISTORY = [
    (0, 9, "customer-ended-call", 184, "0.31", True),
    (0, 8, "voicemail", 22, "0.04", False),
    (1, 16, "assistant-said-end-call-phrase", 240, "0.42", True),
    (1, 11, "customer-did-not-answer", None, None, False),
    (2, 10, "customer-ended-call", 95, "0.17", False),
    (2, 14, "assistant-forwarded-call", 130, "0.22", False),
    (3, 12, "customer-ended-call", 310, "0.55", True),
    (4, 15, "customer-busy", None, None, False),
    (5, 9, "silence-timed-out", 60, "0.09", False),
    (6, 17, "customer-ended-call", 205, "0.36", True),
    (8, 10, "twilio-failed-to-connect-call", None, "0.01", False),
    (9, 13, "customer-ended-call", 150, "0.26", False),
    (11, 11, "voicemail", 25, "0.05", False),
    (12, 15, "customer-ended-call", 275, "0.48", True),
    (15, 9, "assistant-ended-call", 88, "0.15", False),
    (18, 16, "customer-ended-call", 199, "0.34", True),
    (21, 12, "customer-did-not-answer", None, None, False),
    (24, 10, "customer-ended-call", 120, "0.21", False),
    (27, 14, "exceeded-max-duration", 600, "1.02", False),
]


def create_call_history(*, lead: Lead, now: datetime | None = None) -> list[CallLog]:
    """A month of varied calls on the lead's property, for the dashboard's chart and lists."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    calls = []
    for days_ago, hour, reason, seconds, cost, booked in HISTORY:
        at = min(today.replace(hour=hour) - timedelta(days=days_ago), now - timedelta(minutes=5))
        call = CallLogFactory(
            property=lead.property,
            lead=lead if booked else None,
            status=CallLog.Status.ENDED,
            ended_reason=reason,
            started_at=at,
            ended_at=at + timedelta(seconds=seconds or 0),
            duration_seconds=seconds,
            cost=None if cost is None else Decimal(cost),
            summary="Caller asked about two-bedroom availability." if seconds else "",
        )
        CallLog.objects.filter(pk=call.pk).update(created_at=at)
        if booked:
            Tour.objects.create(
                lead=lead,
                property=lead.property,
                starts_at=at + timedelta(days=2),
                vapi_call_id=call.vapi_call_id,
            )
        calls.append(call)
    return calls
