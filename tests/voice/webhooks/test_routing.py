"""Inbound calls routed by assistant-request keep their property and assistant from the first
message to the last, even when the later messages carry no ids (vapi-reference.md §10.4, §10.5);
and a transfer, whichever tool asked for it, reaches the staff phone only in office hours."""

import json

import pytest
from django.db import DatabaseError

from leads.models import Lead, LeadActivity, Tour
from tests.factories import AssistantFactory, CallLogFactory, PropertyFactory
from tests.voice.webhook_helpers import (
    CALLER,
    capture,
    next_weekday_at,
    post_vapi,
    world_build,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.calls.selectors import call_property_resolve
from voice.models import CallLog
from voice.webhooks.envelope import envelope_parse
from voice.webhooks.inbox import webhook_delivery_handle

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+14155550101"  # the world's transfer_phone


@pytest.fixture
def other_property(world):
    """A second community with its own assistant, so "the right property" means something."""
    prop = PropertyFactory(name="Cedar Point", leasing_phone="+15035550188")
    AssistantFactory(property=prop, vapi_assistant_id="asst-cedar-1")
    return prop


def _route(client, world):
    answer = post_vapi(client, world.fixture("assistant_request")).json()
    assert answer["assistantId"] == world.assistant.vapi_assistant_id
    return answer


# Recording the routing ---------------------------------------------------------------------------


def test_assistant_request_records_the_routed_assistant_on_the_call_log(client, world):
    answer = _route(client, world)

    call_log = CallLog.objects.get(vapi_call_id=world.call_id)
    assert call_log.assistant == world.assistant
    assert call_log.property == world.property
    assert call_log.direction == CallLog.Direction.INBOUND
    assert call_log.status == CallLog.Status.RINGING
    assert call_log.customer_number == CALLER
    assert call_log.metadata == answer["assistantOverrides"]["metadata"]
    assert not LeadActivity.objects.exists()  # "call started" waits for the conversation


def test_a_replayed_assistant_request_changes_nothing(client, world):
    _route(client, world)
    _route(client, world)
    assert CallLog.objects.get().assistant == world.assistant


def test_a_failed_routing_record_still_routes_the_call(client, world, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("voice.webhooks.handlers.call_log_record_routing", broken)
    _route(client, world)
    assert not CallLog.objects.exists()


def test_assistant_request_fills_the_assistant_of_a_call_logged_first(client, world):
    CallLogFactory(vapi_call_id=world.call_id, property=None, status=CallLog.Status.RINGING)
    _route(client, world)
    call_log = CallLog.objects.get()
    assert (call_log.assistant, call_log.property) == (world.assistant, world.property)


@pytest.mark.django_db(transaction=True)
def test_assistant_request_stays_cheap():
    """Inside the 7.5 s cap with room to spare (vapi-reference.md §8.1): no transaction, two
    indexed reads, the call log INSERT, then the inbox INSERT with the answer."""
    world = world_build()
    body = json.dumps(world.fixture("assistant_request")).encode()
    answer, sql, commits = capture(
        lambda: webhook_delivery_handle(envelope=envelope_parse(body=body))
    )
    assert answer["assistantId"] == world.assistant.vapi_assistant_id
    statements = [s for s in sql if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"))]
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "INSERT", "INSERT"], sql
    assert "call_logs" in statements[2]
    assert commits == 2


# Tool calls that name no property ----------------------------------------------------------------


def test_routed_call_without_ids_books_at_the_right_property_and_keeps_its_assistant(
    client, world, other_property
):
    _route(client, world)
    post_vapi(client, world.fixture("status_update__in_progress"))

    answer = post_vapi(client, world.fixture("tool_calls__schedule_tour__routed")).json()

    assert answer["results"][0]["result"].startswith("Booked: in person tour on ")
    tour = Tour.objects.get()
    assert tour.property == world.property
    assert tour.vapi_call_id == world.call_id
    call_log = CallLog.objects.get(vapi_call_id=world.call_id)
    assert call_log.lead == tour.lead == Lead.objects.get(phone=CALLER)

    for name in ("status_update__ended__routed", "end_of_call_report__routed"):
        assert post_vapi(client, world.fixture(name)).status_code == 200
    call_log.refresh_from_db()
    assert call_log.status == CallLog.Status.ENDED
    assert call_log.summary.startswith("Jordan Lee called")
    assert (call_log.assistant, call_log.property) == (world.assistant, world.property)
    assert call_log.lead == tour.lead


def test_the_routed_call_log_alone_names_the_property(client, world, other_property):
    """No property_id, metadata, assistantId or called number: the call log from routing."""
    _route(client, world)
    message = world.fixture("tool_calls__schedule_tour__routed")
    message["message"].pop("phoneNumber")

    answer = post_vapi(client, message).json()

    assert answer["results"][0]["result"].startswith("Booked:")
    assert Tour.objects.get().property == world.property


def test_without_routing_the_called_number_names_the_property(client, world, other_property):
    message = world.fixture("tool_calls__schedule_tour__routed")
    answer = post_vapi(client, message).json()
    assert answer["results"][0]["result"].startswith("Booked:")
    assert Tour.objects.get().property == world.property


def test_call_property_resolve_order(world, other_property):
    CallLogFactory(vapi_call_id="routed-1", property=other_property)

    def resolve(**given):
        return call_property_resolve(**{"metadata": {}, **given})

    everything = {
        "metadata": {"propertyId": str(world.property.pk)},
        "vapi_assistant_id": "asst-cedar-1",
        "vapi_call_id": "routed-1",
        "phone_number": other_property.leasing_phone,
    }
    assert resolve(**everything) == world.property.pk
    everything["metadata"] = {"propertyId": "999999"}  # names no property: skipped
    assert resolve(**everything) == other_property.pk
    assert resolve(
        vapi_assistant_id=world.assistant.vapi_assistant_id, vapi_call_id="routed-1"
    ) == (world.property.pk)
    assert resolve(vapi_call_id="routed-1", phone_number=world.property.leasing_phone) == (
        other_property.pk
    )
    assert resolve(phone_number=world.property.leasing_phone) == world.property.pk
    assert resolve(vapi_call_id="unknown", phone_number="+19995550000") is None


# Transfers follow office hours, whatever tool the model uses --------------------------------------


@pytest.mark.parametrize(
    "first", ["transfer_to_human", None], ids=["via-transfer_to_human", "direct"]
)
def test_a_transfer_in_office_hours_reaches_the_staff_phone(client, world, clock, first):
    clock.move_to(next_weekday_at(world.property.tz, hour=10))
    if first:
        result = post_vapi(client, world.fixture("tool_calls__transfer_to_human")).json()
        assert "call the transferCall tool" in result["results"][0]["result"]

    answer = post_vapi(client, world.fixture("transfer_destination_request")).json()

    assert answer["destination"]["number"] == STAFF_PHONE


@pytest.mark.parametrize("hour", [7, 21], ids=["before-opening", "after-closing"])
@pytest.mark.parametrize(
    "first", ["transfer_to_human", None], ids=["via-transfer_to_human", "direct"]
)
def test_a_transfer_outside_office_hours_never_reaches_the_staff_phone(
    client, world, clock, first, hour
):
    clock.move_to(next_weekday_at(world.property.tz, hour=hour))
    if first:
        result = post_vapi(client, world.fixture("tool_calls__transfer_to_human")).json()
        assert "Do not transfer" in result["results"][0]["result"]

    answer = post_vapi(client, world.fixture("transfer_destination_request")).json()

    assert set(answer) == {"error"}
    # vapi-reference.md §12.9: an empty error makes Vapi say "Unknown Error".
    assert answer["error"].startswith("Our leasing office is closed right now; we open ")
    assert STAFF_PHONE not in str(answer)


@pytest.mark.parametrize(("hour", "reached"), [(10, True), (21, False)], ids=["open", "closed"])
def test_a_routed_call_without_ids_is_transferred_by_its_property_hours(
    client, world, clock, hour, reached
):
    clock.move_to(next_weekday_at(world.property.tz, hour=hour))
    _route(client, world)
    message = world.fixture("transfer_destination_request__routed")
    message["message"].pop("phoneNumber")

    answer = post_vapi(client, message).json()

    assert ("destination" in answer) is reached
    assert (STAFF_PHONE in str(answer)) is reached
    if not reached:
        assert answer["error"]
