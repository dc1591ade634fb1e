"""The four leasing tools, called the way Vapi calls them (one tool-calls delivery each)."""

import json
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import pytest

from leads.models import Lead, LeadActivity, Tour
from properties.models import OfficeHours, Property
from tests.clock import EASTERN, PACIFIC, at, today_in
from tests.factories import LeadFactory, TourFactory
from tests.voice.webhook_helpers import (
    CALLER,
    next_weekday_at,
    post_concurrently,
    post_vapi,
    world_build,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import CallLog, WebhookEvent
from voice.vapi.payload import tool_calls_parse

pytestmark = pytest.mark.django_db

_ids = iter(range(10**6))


def call_tool(client, world, name, arguments, *, string_arguments=False, call_id=None):
    """One tool-calls delivery for `name`; returns its single result entry."""
    message = world.fixture("tool_calls__check_availability", call_id=call_id or world.call_id)
    tool_call = message["message"]["toolCallList"][0]
    tool_call["id"] = f"call_tool_{next(_ids)}"
    tool_call["function"] = {
        "name": name,
        "arguments": json.dumps(arguments) if string_arguments else arguments,
    }
    message["message"]["toolWithToolCallList"] = []
    response = post_vapi(client, message)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["toolCallId"] == tool_call["id"]
    assert result["name"] == name
    assert len(set(result) & {"result", "error"}) == 1
    text = result.get("result") or result["error"]
    assert "\n" not in text
    return result


def _property_args(world, **arguments):
    return {"property_id": str(world.property.pk), **arguments}


# Parsing (vapi-reference.md §8.4) ----------------------------------------------------------------


def test_tool_call_shapes():
    message = {
        "type": "tool-calls",
        "toolCallList": [
            {"id": "a", "function": {"name": "x", "arguments": '{"bedrooms": 2}'}},
            {"id": "b", "function": {"name": "y", "parameters": {"q": 1}}},
            {"id": "c", "name": "z", "arguments": {"r": 2}},
            {"id": "d", "function": {"name": "w", "arguments": "{not json"}},
            {"id": "e", "function": {"name": "v", "arguments": "[1]"}},
            {"toolCallId": "f", "function": {"name": "u", "arguments": ""}},
        ],
    }
    parsed = tool_calls_parse(message)
    assert [(c.id, c.name, c.arguments) for c in parsed[:3]] == [
        ("a", "x", {"bedrooms": 2}),
        ("b", "y", {"q": 1}),
        ("c", "z", {"r": 2}),
    ]
    assert parsed[3].error == "The arguments are not valid JSON."
    assert parsed[4].error == "The arguments must be a JSON object."
    assert (parsed[5].id, parsed[5].arguments) == ("f", {})
    legacy = {"type": "function-call", "functionCall": {"name": "x", "parameters": {"a": 1}}}
    assert tool_calls_parse(legacy)[0].arguments == {"a": 1}


def test_unknown_tool_and_invalid_arguments_are_error_strings(client, world):
    assert call_tool(client, world, "order_pizza", {})["error"] == "Unknown tool 'order_pizza'."
    bad = call_tool(client, world, "check_availability", _property_args(world, bedrooms="two"))
    assert bad["error"] == "Invalid arguments: bedrooms must be a whole number."
    bad = call_tool(client, world, "check_availability", _property_args(world, max_rent=[1]))
    assert bad["error"].startswith("Invalid arguments: max_rent")
    bad = call_tool(client, world, "schedule_tour", _property_args(world, first_name="Al"))
    assert bad["error"] == "Missing required arguments: start_time."
    assert not WebhookEvent.objects.filter(status="failed").exists()


def test_property_comes_from_metadata_or_assistant_when_the_static_parameter_is_missing(
    client, world
):
    result = call_tool(client, world, "check_availability", {"bedrooms": 0})
    assert result["result"].startswith("Available: unit 101, studio")


def test_no_property_anywhere_is_an_error(client, world):
    message = world.fixture("tool_calls__check_availability")
    message["message"].pop("assistant")
    message["message"].pop("phoneNumber")
    message["message"]["call"].pop("assistantId")
    message["message"]["toolCallList"][0]["function"]["arguments"] = {"bedrooms": 1}
    result = post_vapi(client, message).json()["results"][0]
    assert result["error"] == "I can't tell which property this call is for."


# check_availability ------------------------------------------------------------------------------


def test_check_availability_lists_matching_units_naturally(client, world):
    later = today_in(world.property.tz) + timedelta(days=45)
    result = call_tool(client, world, "check_availability", _property_args(world, bedrooms=2))
    assert result["result"] == (
        "Available: unit 312, 2 bed 2 bath, $4,250 a month, available now; unit 315, 2 bed 2 "
        f"bath, $4,350 a month, available from {_day(later)}."
    )


def test_check_availability_accepts_string_arguments(client, world):
    result = call_tool(
        client,
        world,
        "check_availability",
        _property_args(world, bedrooms="1", max_rent="3,200"),
        string_arguments=True,
    )
    assert result["result"].startswith("Available: unit 204, 1 bed 1 bath, $3,150 a month")


def test_check_availability_offers_nearest_alternatives(client, world):
    result = call_tool(
        client, world, "check_availability", _property_args(world, bedrooms=2, max_rent=3000)
    )
    assert result["result"].startswith(
        "Nothing matches for a 2 bed under $3,000 exactly. Closest options: unit 312"
    )


def test_check_availability_with_nothing_on_offer(client, world):
    world.property.units.update(status="occupied")
    result = call_tool(client, world, "check_availability", _property_args(world))
    assert result["result"].startswith("Nothing is available right now.")


def test_check_availability_never_offers_occupied_units(client, world):
    result = call_tool(client, world, "check_availability", _property_args(world, bedrooms=3))
    assert "unit 401" not in result["result"]
    assert "Closest options" in result["result"]


# schedule_tour -----------------------------------------------------------------------------------


def _tour_args(world, start, **extra):
    return _property_args(
        world, first_name="Maya", last_name="Chen", start_time=start.strftime("%Y-%m-%dT%H:%M"),
        **extra,
    )  # fmt: skip


def test_schedule_tour_books_and_updates_the_lead(client, world):
    start = next_weekday_at(world.property.tz, hour=11)
    result = call_tool(
        client, world, "schedule_tour", _tour_args(world, start, tour_type="virtual", unit="312")
    )
    assert result["result"].startswith("Booked: virtual tour to see unit 312 on ")
    assert "at 11 AM for Maya Chen" in result["result"]
    tour = Tour.objects.get()
    assert tour.starts_at == start
    assert (tour.kind, tour.unit.unit_number, tour.vapi_call_id) == (
        "virtual",
        "312",
        world.call_id,
    )
    lead = tour.lead
    assert (lead.phone, lead.source, lead.status) == (CALLER, "phone", "tour_scheduled")
    assert lead.activities.filter(kind="tour_scheduled").count() == 1
    assert CallLog.objects.get().lead == lead  # the tool created the call log on first sight


def test_schedule_tour_accepts_an_offset_and_a_given_phone(client, world):
    start = next_weekday_at(world.property.tz, hour=10)
    arguments = _property_args(
        world, first_name="Ana", start_time=start.isoformat(), phone="(206) 555-0199"
    )
    assert call_tool(client, world, "schedule_tour", arguments)["result"].startswith("Booked")
    assert Tour.objects.get().lead.phone == "+12065550199"


def test_schedule_tour_uses_an_existing_lead(client, world):
    lead = LeadFactory(property=world.property, phone=CALLER, first_name="Maya", last_name="C")
    start = next_weekday_at(world.property.tz)
    call_tool(client, world, "schedule_tour", _tour_args(world, start))
    assert Lead.objects.get() == lead
    assert Tour.objects.get().lead == lead


def test_schedule_tour_twice_for_the_same_time_is_one_tour(client, world):
    start = next_weekday_at(world.property.tz)
    call_tool(client, world, "schedule_tour", _tour_args(world, start))
    again = call_tool(client, world, "schedule_tour", _tour_args(world, start))
    assert again["result"].startswith("Already booked:")
    assert Tour.objects.count() == 1


def test_schedule_tour_rejects_the_past_with_alternatives(client, world):
    # Noon yesterday at the property: in the past whatever the suite's instant, and a time that
    # exists (now - 1 day could fall in a missing daylight-saving hour).
    past = at(today_in(world.property.tz) - timedelta(days=1), 12, zone=world.property.tz)
    result = call_tool(client, world, "schedule_tour", _tour_args(world, past))
    assert result["result"].startswith("That time has already passed. Nothing was booked.")
    assert "Offer one of these free times instead:" in result["result"]
    assert not Tour.objects.exists()


def test_schedule_tour_rejects_outside_office_hours(client, world):
    start = next_weekday_at(world.property.tz, hour=20)
    result = call_tool(client, world, "schedule_tour", _tour_args(world, start))
    assert result["result"].startswith("That time is outside our tour hours.")
    last_slot = next_weekday_at(world.property.tz, hour=17).replace(minute=45)
    result = call_tool(client, world, "schedule_tour", _tour_args(world, last_slot))
    assert result["result"].startswith("That time is outside our tour hours.")
    assert not Tour.objects.exists()


def test_schedule_tour_full_slot_offers_nearest_free_times(client, world):
    start = next_weekday_at(world.property.tz, hour=14)
    TourFactory(lead=LeadFactory(property=world.property), starts_at=start)
    result = call_tool(client, world, "schedule_tour", _tour_args(world, start))
    assert result["result"].startswith("That time is fully booked. Nothing was booked.")
    assert "at 1:30 PM; " in result["result"]
    assert "at 2:30 PM" in result["result"]
    assert Tour.objects.count() == 1


def test_schedule_tour_invalid_input(client, world):
    bad_time = call_tool(
        client, world, "schedule_tour", _property_args(world, first_name="A", start_time="soon")
    )
    assert bad_time["error"].startswith("Invalid arguments: start_time must be a date and time")
    start = next_weekday_at(world.property.tz)
    bad_type = call_tool(client, world, "schedule_tour", _tour_args(world, start, tour_type="zoo"))
    assert "tour_type must be in_person, self_guided or virtual" in bad_type["error"]
    bad_phone = call_tool(client, world, "schedule_tour", _tour_args(world, start, phone="12"))
    assert "phone must be a phone number" in bad_phone["error"]
    assert not Lead.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_callers_racing_for_the_last_place_exactly_one_wins():
    world = world_build()
    start = next_weekday_at(world.property.tz, hour=15)
    bodies = []
    for n in range(2):
        message = world.fixture(
            "tool_calls__schedule_tour", call_id=f"race-{n}", caller=f"+1415555020{n}"
        )
        message["message"]["toolCallList"][0]["id"] = f"race-tool-{n}"
        message["message"]["toolCallList"][0]["function"]["arguments"]["start_time"] = (
            start.strftime("%Y-%m-%dT%H:%M")
        )
        bodies.append(json.dumps(message).encode())
    answers = [answer["results"][0]["result"] for _, answer in post_concurrently(bodies)]
    assert sorted(answer.split(":")[0].split(".")[0] for answer in answers) == [
        "Booked",
        "That time is fully booked",
    ]
    assert Tour.objects.filter(starts_at=start).count() == 1


# qualify_lead ------------------------------------------------------------------------------------


def test_qualify_lead_scores_fit_and_intent(client, world):
    move_in = (today_in(world.property.tz) + timedelta(days=20)).isoformat()
    arguments = _property_args(
        world, move_in_date=move_in, bedrooms=2, budget=4500, has_pets=True, first_name="Jo"
    )
    result = call_tool(client, world, "qualify_lead", arguments)
    assert result["result"].startswith("Lead qualified, score 95/100. Next: Offer to schedule")
    lead = Lead.objects.get()
    assert (lead.score, lead.status) == (95, "qualified")
    assert lead.score_factors["budget"] == {
        "points": 25,
        "max": 25,
        "reason": "budget covers the cheapest match ($4,250)",
    }
    activity = lead.activities.get(kind="qualified")
    assert activity.data["score"] == 95


def test_qualify_lead_low_fit_says_what_to_do_next(client, world):
    arguments = _property_args(world, bedrooms=3, budget=1500)
    result = call_tool(client, world, "qualify_lead", arguments)["result"]
    assert result.startswith("Score ")
    assert "no 3-bedroom is available" in result
    assert "Ask about: move-in date." in result
    assert "do not ask about income or credit" in result
    assert Lead.objects.get().status == "unqualified"


def test_qualify_lead_ignores_income_credit_and_protected_classes(client, world):
    base = _property_args(world, bedrooms=2, budget=4300)
    call_tool(client, world, "qualify_lead", base, call_id="call-q-1")
    first = Lead.objects.get()
    first_score, first_factors = first.score, first.score_factors
    first.delete()
    loaded = {
        **base,
        "income": 20000,
        "credit_score": 480,
        "religion": "any",
        "national_origin": "any",
        "familial_status": "3 kids",
        "disability": "yes",
        "age": 71,
    }
    call_tool(client, world, "qualify_lead", loaded, call_id="call-q-2")
    second = Lead.objects.get()
    assert (second.score, second.score_factors) == (first_score, first_factors)
    assert "income" not in json.dumps(second.score_factors)
    assert "income" not in json.dumps(list(LeadActivity.objects.values_list("data", flat=True)))


def test_qualify_lead_keeps_a_booked_lead_booked(client, world):
    start = next_weekday_at(world.property.tz)
    call_tool(client, world, "schedule_tour", _tour_args(world, start))
    result = call_tool(client, world, "qualify_lead", _property_args(world, bedrooms=2))
    assert Lead.objects.get().status == "tour_scheduled"
    assert "score" in result["result"].lower()


# transfer_to_human -------------------------------------------------------------------------------


def test_transfer_to_human_when_open(client, world, clock):
    open_now = next_weekday_at(world.property.tz, hour=10)
    clock.move_to(open_now)
    result = call_tool(client, world, "transfer_to_human", _property_args(world, reason="lease"))
    assert result["result"].startswith("Transfer approved.")
    activity = LeadActivity.objects.get(kind="transfer_requested")
    assert activity.text == "Asked for a person: lease"
    assert activity.vapi_call_id == world.call_id


def test_transfer_to_human_when_closed_offers_a_tour_or_callback(client, world, clock):
    closed = next_weekday_at(world.property.tz, hour=21)
    clock.move_to(closed)
    result = call_tool(client, world, "transfer_to_human", _property_args(world, reason="x"))
    assert result["result"].startswith("The leasing office can't take the call right now.")
    assert "at 9 AM" in result["result"]
    assert "offer to book a tour" in result["result"]


def test_transfer_to_human_needs_a_reason(client, world):
    result = call_tool(client, world, "transfer_to_human", _property_args(world))
    assert result["error"] == "Missing required arguments: reason."


# Other requests that need an answer --------------------------------------------------------------


def test_transfer_destination_during_office_hours(client, world, clock):
    open_now = next_weekday_at(world.property.tz, hour=10)
    clock.move_to(open_now)
    answer = post_vapi(client, world.fixture("transfer_destination_request")).json()
    assert answer["destination"] == {
        "type": "number",
        "number": "+14155550101",
        "message": "Connecting you to our leasing team now.",
        "transferPlan": {"mode": "blind-transfer"},
    }
    assert answer["message"]["type"] == "request-start"


def test_transfer_destination_outside_office_hours(client, world, clock):
    closed = next_weekday_at(world.property.tz, hour=7)
    clock.move_to(closed)
    answer = post_vapi(client, world.fixture("transfer_destination_request")).json()
    assert set(answer) == {"error"}
    assert "closed right now; we open " in answer["error"]
    assert "at 9 AM" in answer["error"]
    assert "book you a tour or have someone from the team call you back" in answer["error"]


def test_assistant_request_for_an_unknown_number_is_a_spoken_error(client, world):
    answer = post_vapi(
        client, world.fixture("assistant_request", leasing_phone="+14155550999")
    ).json()
    assert answer == {
        "error": "Sorry, this number isn't set up to take calls yet. Please call back later."
    }


def test_assistant_request_personalises_for_a_known_caller(client, world):
    lead = LeadFactory(property=world.property, phone=CALLER, first_name="Maya")
    answer = post_vapi(client, world.fixture("assistant_request")).json()
    overrides = answer["assistantOverrides"]
    assert overrides["variableValues"]["firstName"] == "Maya"
    assert overrides["metadata"]["leadId"] == str(lead.pk)


def _day(value) -> str:
    return f"{value:%A, %B} {value.day}"


def test_check_availability_without_assistant_metadata_reads_the_property_zone(client, world):
    message = world.fixture("tool_calls__check_availability")
    message["message"].pop("assistant")
    result = post_vapi(client, message).json()["results"][0]
    assert result["result"].startswith("Available: unit 312, 2 bed 2 bath, $4,250 a month, avail")


# Daylight-saving Sundays -------------------------------------------------------------------------

DST_ZONES = [pytest.param(PACIFIC, id="pacific"), pytest.param(EASTERN, id="eastern")]


def _dst_world(world, clock, tz, day):
    """The world's property moved to `tz`, also open 1-4 AM on Sundays, on the Wednesday before
    `day` (so the Sunday is in the future)."""
    Property.objects.filter(pk=world.property.pk).update(timezone=tz.key)
    OfficeHours.objects.create(
        property=world.property, weekday=6, opens_at=dtime(1), closes_at=dtime(4)
    )
    clock.move_to(at(day - timedelta(days=4), 12, zone=tz))


def _start(world, text, **extra):
    return _property_args(world, first_name="Maya", last_name="Chen", start_time=text, **extra)


@pytest.mark.parametrize("tz", DST_ZONES)
@pytest.mark.parametrize(
    ("day", "offset_hours"),
    [
        (date(2027, 3, 14), 1),
        (date(2027, 11, 7), 0),
        (date(2028, 3, 12), 1),
        (date(2026, 11, 1), 0),
    ],
)
def test_schedule_tour_at_ten_on_a_dst_sunday_is_ten_local(
    client, world, clock, tz, day, offset_hours
):
    _dst_world(world, clock, tz, day)
    result = call_tool(client, world, "schedule_tour", _start(world, f"{day}T10:00"))["result"]
    assert result.startswith(f"Booked: in person tour on {_day(day)} at 10 AM for Maya Chen.")
    stored = Tour.objects.get().starts_at
    standard = -8 if tz is PACIFIC else -5
    assert stored.astimezone(UTC) == datetime.combine(day, dtime(10 - standard - offset_hours), UTC)


@pytest.mark.parametrize("tz", DST_ZONES)
def test_schedule_tour_in_the_missing_hour_says_so_and_offers_real_times(client, world, clock, tz):
    day = date(2027, 3, 14)
    _dst_world(world, clock, tz, day)
    result = call_tool(client, world, "schedule_tour", _start(world, "2027-03-14T02:30"))["result"]
    assert result == (
        "2:30 AM does not exist on Sunday, March 14: the clocks jump from 2 AM to 3 AM that night "
        "(daylight saving time starts). Nothing was booked. Offer one of these free times "
        "instead: Sunday, March 14 at 1:30 AM; Sunday, March 14 at 3 AM; Sunday, March 14 at "
        "3:30 AM."
    )
    assert not Tour.objects.exists()


@pytest.mark.parametrize("tz", DST_ZONES)
def test_schedule_tour_in_the_doubled_hour_asks_which_then_books_the_chosen_one(
    client, world, clock, tz
):
    day = date(2027, 11, 7)
    _dst_world(world, clock, tz, day)
    daylight, standard = ("PDT", "PST") if tz is PACIFIC else ("EDT", "EST")
    first, second = ("-07:00", "-08:00") if tz is PACIFIC else ("-04:00", "-05:00")
    result = call_tool(client, world, "schedule_tour", _start(world, "2027-11-07T01:30"))["result"]
    assert result == (
        "1:30 AM happens twice on Sunday, November 7: the clocks go back an hour that night "
        "(daylight saving time ends). Nothing was booked. Ask the caller which one they mean: "
        f"the earlier 1:30 AM ({daylight}, start_time 2027-11-07T01:30{first}) or the later "
        f"1:30 AM ({standard}, start_time 2027-11-07T01:30{second}), then call schedule_tour "
        "again with that start_time."
    )
    assert not Tour.objects.exists()

    booked = call_tool(client, world, "schedule_tour", _start(world, f"2027-11-07T01:30{second}"))[
        "result"
    ]
    assert booked.startswith(
        f"Booked: in person tour on Sunday, November 7 at 1:30 AM {standard} (the later 1:30 AM) "
        "for Maya Chen."
    )
    stored = Tour.objects.get().starts_at.astimezone(tz)
    assert (stored.strftime("%H:%M"), stored.tzname()) == ("01:30", standard)


@pytest.mark.parametrize("tz", DST_ZONES)
def test_free_times_in_the_doubled_hour_say_which_and_how_to_book_them(client, world, clock, tz):
    day = date(2027, 11, 7)
    _dst_world(world, clock, tz, day)
    daylight = "PDT" if tz is PACIFIC else "EDT"
    first = "-07:00" if tz is PACIFIC else "-04:00"
    taken = datetime.fromisoformat(f"2027-11-07T01:00{first}")
    TourFactory(lead=LeadFactory(property=world.property), starts_at=taken)
    result = call_tool(client, world, "schedule_tour", _start(world, f"2027-11-07T01:00{first}"))
    assert result["result"].startswith("That time is fully booked. Nothing was booked.")
    assert (
        f"Sunday, November 7 at 1:30 AM {daylight} (the earlier 1:30 AM) "
        f"(start_time 2027-11-07T01:30{first})" in result["result"]
    )


@pytest.mark.parametrize("tz", DST_ZONES)
def test_schedule_tour_with_the_wrong_offset_for_the_day_books_nothing(client, world, clock, tz):
    day = date(2027, 3, 14)
    _dst_world(world, clock, tz, day)
    standard, daylight = ("-08:00", "-07:00") if tz is PACIFIC else ("-05:00", "-04:00")
    name = "PDT" if tz is PACIFIC else "EDT"
    result = call_tool(client, world, "schedule_tour", _start(world, f"{day}T10:00{standard}"))
    assert result["result"] == (
        f"Nothing was booked: the offset {standard} is not the property's at 10 AM on Sunday, "
        f"March 14 (its clocks are at {daylight} ({name}), {tz.key}). Confirm the local time with "
        "the caller, then send start_time as the property's local time without an offset, for "
        "example 2027-03-14T10:00."
    )
    assert not Tour.objects.exists()
