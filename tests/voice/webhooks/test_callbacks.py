"""transfer_to_human, posted the way Vapi posts it, records the callback the assistant promises."""

from datetime import timedelta

import pytest

from leads.models import Callback, Lead
from properties.models import Membership
from tests.clock import at
from tests.factories import MembershipFactory
from tests.voice.webhook_helpers import (
    CALLER,
    next_weekday_at,
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from tests.voice.webhooks.test_tools import call_tool

pytestmark = pytest.mark.django_db


def _transfer(client, world, reason: str, **kwargs):
    arguments = {"property_id": str(world.property.pk), "reason": reason}
    return call_tool(client, world, "transfer_to_human", arguments, **kwargs)


def test_transfer_to_human_after_hours_creates_the_callback(client, world, clock):
    agent = MembershipFactory(
        organization=world.property.organization,
        role=Membership.Role.AGENT,
        properties=[world.property],
    ).user
    closed = next_weekday_at(world.property.tz, hour=21)  # the world opens 9 AM - 6 PM daily
    clock.move_to(closed)

    response = post_vapi(client, world.fixture("tool_calls__transfer_to_human"))

    (result,) = response.json()["results"]
    text = result["result"]
    assert text.startswith("The leasing office can't take the call right now. It opens ")
    assert "Do not transfer: tell the caller someone from the leasing team will call" in text
    assert "offer to book a tour" in text
    callback = Callback.objects.get()
    assert callback.reason == Callback.Reason.AFTER_HOURS
    assert callback.status == Callback.Status.OPEN
    assert callback.lead == Lead.objects.get(phone=CALLER)
    assert callback.number == CALLER
    assert callback.property == world.property
    assert callback.vapi_call_id == world.call_id
    assert callback.assigned_to == agent
    assert callback.due_at == at(closed.date() + timedelta(days=1), 9, zone=world.property.tz)
    assert "corporate lease" in callback.note


def test_transfer_when_open_creates_no_callback(client, world, clock):
    clock.move_to(next_weekday_at(world.property.tz, hour=10))

    result = _transfer(client, world, "lease question")

    assert result["result"].startswith("Transfer approved.")
    assert not Callback.objects.exists()


def test_caller_asking_to_be_called_back_during_hours_is_due_now(client, world, clock):
    moment = next_weekday_at(world.property.tz, hour=10)
    clock.move_to(moment)

    result = _transfer(client, world, "Call back: tomorrow after 5 pm about parking")

    assert result["result"] == (
        "Callback noted: the leasing team will call back shortly. Do not transfer: tell the "
        "caller so, and answer any other questions."
    )
    callback = Callback.objects.get()
    assert callback.reason == Callback.Reason.CALLER_ASKED
    assert abs((callback.due_at - moment).total_seconds()) < 60


def test_asking_twice_on_the_call_keeps_one_callback(client, world, clock):
    clock.move_to(next_weekday_at(world.property.tz, hour=21))

    _transfer(client, world, "wants a person")
    second = _transfer(client, world, "please call me back tomorrow")

    assert second["result"].startswith("Callback noted: the leasing team will call back when ")
    callback = Callback.objects.get()
    assert callback.reason == Callback.Reason.CALLER_ASKED
    assert callback.note.splitlines() == [
        "Asked for a person: wants a person",
        "Asked for a person: please call me back tomorrow",
    ]


def test_open_office_without_a_staff_line_promises_a_callback(client, world, clock):
    world.property.transfer_phone = ""
    world.property.save()
    clock.move_to(next_weekday_at(world.property.tz, hour=10))

    result = _transfer(client, world, "lease question")

    assert result["result"].startswith("The leasing office can't take the call right now. Do not")
    assert Callback.objects.get().reason == Callback.Reason.TRANSFER_UNAVAILABLE


def test_a_transfer_vapi_asks_about_after_hours_records_the_callback_it_offers(
    client, world, clock
):
    # The model went straight to transferCall: Vapi asks where to (transfer-destination-request).
    clock.move_to(next_weekday_at(world.property.tz, hour=21))

    answer = post_vapi(client, world.fixture("transfer_destination_request")).json()

    assert "call you back" in answer["error"] or "callback" in answer["error"]
    callback = Callback.objects.get()
    assert callback.reason == Callback.Reason.AFTER_HOURS
    assert callback.vapi_call_id == world.call_id
