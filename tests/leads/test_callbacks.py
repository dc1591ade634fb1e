"""Callbacks the assistant promises: when they are due, who gets them, one per lead, kept by a
call that reaches the lead, and the admin list that shows the late ones.

Every instant is set with the suite's clock (tests/clock.py); local times name their zone.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from leads.callbacks.models import Callback
from leads.callbacks.selectors import (
    callback_assignee_pick,
    callback_due_at,
    callback_overdue_phrase,
)
from leads.callbacks.services import callback_cancel, callback_complete, callback_request
from properties.models import Membership
from tests.clock import EASTERN, PACIFIC, at, next_weekday, today_in
from tests.factories import (
    AssistantFactory,
    CallbackFactory,
    CallLogFactory,
    CampaignFactory,
    LeadFactory,
    MembershipFactory,
    PropertyFactory,
    UserFactory,
)
from voice.calls.services import call_log_apply_outcome
from voice.models import CallLog, CampaignContact

pytestmark = pytest.mark.django_db

Role = Membership.Role
TUESDAY, FRIDAY = 1, 4


@pytest.fixture
def prop():
    """Office hours Monday to Friday, 9 AM to 5 PM in Los Angeles (PropertyFactory's)."""
    return PropertyFactory(timezone="America/Los_Angeles")


def _day(weekday: int):
    return next_weekday(today_in(PACIFIC), weekday)


# Due time ----------------------------------------------------------------------------------------


def test_weekday_evening_is_due_next_morning_at_opening(prop, clock):
    tuesday = _day(TUESDAY)
    clock.move_to(at(tuesday, 19, 30, zone=PACIFIC))

    due = callback_due_at(prop=prop, at=timezone.now())

    assert due == at(tuesday + timedelta(days=1), 9, zone=PACIFIC)


def test_friday_night_is_due_monday_morning(prop, clock):
    friday = _day(FRIDAY)
    clock.move_to(at(friday, 22, zone=PACIFIC))

    callback, created = callback_request(
        lead=LeadFactory(property=prop), reason=Callback.Reason.AFTER_HOURS
    )

    assert created
    assert callback.due_at == at(friday + timedelta(days=3), 9, zone=PACIFIC)
    assert callback.due_at.astimezone(PACIFIC).strftime("%A %H:%M") == "Monday 09:00"


def test_during_office_hours_it_is_due_now(prop, clock):
    moment = at(_day(TUESDAY), 11, zone=PACIFIC)
    clock.move_to(moment)

    assert callback_due_at(prop=prop, at=moment) == moment


def test_due_time_follows_the_propertys_own_zone(clock):
    east = PropertyFactory(timezone="America/New_York")
    tuesday = next_weekday(today_in(EASTERN), TUESDAY)
    # 07:30 in New York is 04:30 in Los Angeles: the New York office opens at 9 New York time.
    clock.move_to(at(tuesday, 7, 30, zone=EASTERN))

    due = callback_due_at(prop=east, at=timezone.now())

    assert due == at(tuesday, 9, zone=EASTERN)


# Assignment --------------------------------------------------------------------------------------


def _member(prop, role, *, properties=(), **fields):
    return MembershipFactory(
        organization=prop.organization, role=role, properties=list(properties), **fields
    ).user


def test_the_least_loaded_agent_of_the_property_gets_it(prop, clock):
    clock.move_to(at(_day(TUESDAY), 11, zone=PACIFIC))
    busy = _member(prop, Role.AGENT, properties=[prop])
    free = _member(prop, Role.AGENT, properties=[prop])
    elsewhere = _member(
        prop, Role.AGENT, properties=[PropertyFactory(organization=prop.organization)]
    )
    _member(prop, Role.MANAGER)
    for _ in range(2):
        CallbackFactory(lead=LeadFactory(property=prop), assigned_to=busy)
    # Closed callbacks are no load.
    for _ in range(3):
        CallbackFactory(
            lead=LeadFactory(property=prop),
            assigned_to=free,
            status=Callback.Status.DONE,
            done_at=timezone.now(),
        )

    callback, _ = callback_request(
        lead=LeadFactory(property=prop), reason=Callback.Reason.CALLER_ASKED
    )

    assert callback.assigned_to == free
    assert elsewhere != callback.assigned_to
    # `free` now has one open callback and `busy` two.
    second, _ = callback_request(lead=LeadFactory(property=prop), reason="after_hours")
    assert second.assigned_to == free
    third, _ = callback_request(lead=LeadFactory(property=prop), reason="after_hours")
    assert third.assigned_to == busy  # 2 each: the tie goes to the lower id


def test_without_assigned_agents_central_agents_then_managers_then_nobody(prop):
    read_only = _member(prop, Role.READ_ONLY)
    assert callback_assignee_pick(prop=prop) is None
    manager = _member(prop, Role.MANAGER)
    assert callback_assignee_pick(prop=prop) == manager
    _member(prop, Role.AGENT, properties=[PropertyFactory(organization=prop.organization)])
    assert callback_assignee_pick(prop=prop) == manager  # an agent of another property: no
    central = _member(prop, Role.AGENT)  # no assignment: all of the organization's properties
    assert callback_assignee_pick(prop=prop) == central
    inactive = _member(prop, Role.AGENT, properties=[prop], user__is_active=False)
    assert callback_assignee_pick(prop=prop) == central
    assert read_only != inactive


def test_another_organizations_staff_never_get_it(prop):
    other = PropertyFactory()
    MembershipFactory(organization=other.organization, role=Role.AGENT)

    assert callback_assignee_pick(prop=prop) is None


# One open callback per lead ----------------------------------------------------------------------


def test_asking_again_updates_the_open_callback(prop, clock):
    tuesday = _day(TUESDAY)
    lead = LeadFactory(property=prop)
    clock.move_to(at(tuesday, 19, zone=PACIFIC))
    first, created = callback_request(
        lead=lead, reason=Callback.Reason.AFTER_HOURS, vapi_call_id="call-1", note="lease"
    )
    clock.move_to(at(tuesday, 10, zone=PACIFIC) + timedelta(days=1))
    again, created_again = callback_request(
        lead=lead,
        reason=Callback.Reason.CALLER_ASKED,
        number="(206) 555-0142",
        vapi_call_id="call-2",
        note="parking",
    )

    assert created
    assert not created_again
    assert again.pk == first.pk
    assert Callback.objects.filter(lead=lead).count() == 1
    again.refresh_from_db()
    assert again.reason == Callback.Reason.CALLER_ASKED
    assert again.due_at == at(tuesday + timedelta(days=1), 9, zone=PACIFIC)  # the earlier
    assert again.number == "+12065550142"
    assert again.note == "lease\nparking"
    assert again.vapi_call_id == "call-2"


def test_the_database_allows_one_open_callback_per_lead(prop):
    lead = LeadFactory(property=prop)
    CallbackFactory(lead=lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackFactory(lead=lead)
    # A closed one does not count: the lead may be owed a new call later.
    callback = Callback.objects.get(lead=lead)
    assert callback_complete(callback=callback, done_reason=Callback.DoneReason.MANUAL)
    new, created = callback_request(lead=lead, reason=Callback.Reason.CALLER_ASKED)
    assert created
    assert new.pk != callback.pk


def test_completing_twice_changes_nothing(prop):
    callback = CallbackFactory(lead=LeadFactory(property=prop))
    user = UserFactory()

    assert callback_complete(
        callback=callback, done_reason=Callback.DoneReason.HUMAN_CALLED, user=user
    )
    assert not callback_cancel(callback=callback)

    callback.refresh_from_db()
    assert (callback.status, callback.done_reason, callback.done_by) == (
        "done",
        "human_called",
        user,
    )


# Kept by a call that reaches the lead ------------------------------------------------------------


def _ended_call(lead, *, ended_reason: str, direction=CallLog.Direction.OUTBOUND, **fields):
    return CallLogFactory(
        property=lead.property,
        lead=lead,
        direction=direction,
        status=CallLog.Status.ENDED,
        ended_reason=ended_reason,
        customer_number=lead.phone,
        started_at=timezone.now(),
        ended_at=timezone.now() + timedelta(minutes=3),
        **fields,
    )


def _promise(prop, clock):
    clock.move_to(at(_day(TUESDAY), 19, zone=PACIFIC))
    lead = LeadFactory(property=prop)
    callback, _ = callback_request(lead=lead, reason="after_hours", vapi_call_id="promised")
    clock.move_to(at(_day(TUESDAY) + timedelta(days=1), 10, zone=PACIFIC))
    return lead, callback


def test_a_connected_outbound_ai_call_keeps_the_callback(prop, clock):
    lead, callback = _promise(prop, clock)
    call = _ended_call(lead, ended_reason="customer-ended-call", transcript="AI: Hi! User: Hi.")

    call_log_apply_outcome(call_log=call)

    callback.refresh_from_db()
    assert callback.status == Callback.Status.DONE
    assert callback.done_reason == Callback.DoneReason.AI_CALL_CONNECTED
    assert callback.done_vapi_call_id == call.vapi_call_id
    assert callback.done_at == call.ended_at
    assert callback.done_by is None


def test_a_connected_campaign_call_keeps_it_as_a_campaign_call(prop, clock):
    lead, callback = _promise(prop, clock)
    call = _ended_call(
        lead, ended_reason="assistant-ended-call", metadata={"campaignId": "42", "leadId": "1"}
    )

    call_log_apply_outcome(call_log=call)

    callback.refresh_from_db()
    assert callback.done_reason == Callback.DoneReason.CAMPAIGN_CALL_CONNECTED


def test_a_connected_call_of_a_campaign_contact_keeps_it_as_a_campaign_call(prop, clock):
    lead, callback = _promise(prop, clock)
    campaign = CampaignFactory(assistant=AssistantFactory(property=prop))
    contact = CampaignContact.objects.create(campaign=campaign, lead=lead, number=lead.phone)
    call = _ended_call(lead, ended_reason="customer-ended-call", campaign_contact=contact)

    call_log_apply_outcome(call_log=call)

    callback.refresh_from_db()
    assert callback.done_reason == Callback.DoneReason.CAMPAIGN_CALL_CONNECTED


@pytest.mark.parametrize(
    "ended_reason",
    ["customer-did-not-answer", "customer-busy", "voicemail", "twilio-failed-to-connect-call"],
)
def test_an_outbound_call_that_did_not_reach_the_lead_leaves_it_open(prop, clock, ended_reason):
    lead, callback = _promise(prop, clock)

    call_log_apply_outcome(call_log=_ended_call(lead, ended_reason=ended_reason))

    callback.refresh_from_db()
    assert callback.status == Callback.Status.OPEN


def test_the_lead_calling_in_again_is_not_the_call_back(prop, clock):
    lead, callback = _promise(prop, clock)

    call_log_apply_outcome(
        call_log=_ended_call(
            lead, ended_reason="customer-ended-call", direction=CallLog.Direction.INBOUND
        )
    )

    callback.refresh_from_db()
    assert callback.status == Callback.Status.OPEN


def test_a_callback_promised_on_the_call_itself_stays_open(prop, clock):
    clock.move_to(at(_day(TUESDAY), 19, zone=PACIFIC))
    lead = LeadFactory(property=prop)
    call = _ended_call(lead, ended_reason="customer-ended-call")
    callback, _ = callback_request(lead=lead, reason="after_hours", vapi_call_id=call.vapi_call_id)

    call_log_apply_outcome(call_log=call)

    callback.refresh_from_db()
    assert callback.status == Callback.Status.OPEN


# Admin -------------------------------------------------------------------------------------------


def _changelist(client, **params):
    return client.get(reverse("admin:leads_callback_changelist"), params)


def test_admin_lists_open_first_and_highlights_the_overdue(admin_client, prop, clock):
    tuesday = _day(TUESDAY)
    clock.move_to(at(tuesday, 11, 30, zone=PACIFIC))
    late = CallbackFactory(
        lead=LeadFactory(property=prop, first_name="Late"),
        due_at=at(tuesday, 9, 20, zone=PACIFIC),
    )
    later = CallbackFactory(
        lead=LeadFactory(property=prop, first_name="Tomorrow"),
        due_at=at(tuesday + timedelta(days=1), 9, zone=PACIFIC),
    )
    done = CallbackFactory(
        lead=LeadFactory(property=prop),
        due_at=at(tuesday, 8, zone=PACIFIC),
        status=Callback.Status.DONE,
        done_at=timezone.now(),
    )

    response = _changelist(admin_client)

    assert [c.pk for c in response.context["cl"].result_list] == [late.pk, later.pk, done.pk]
    page = response.content.decode()
    assert page.count("Overdue by") == 1
    assert "Overdue by 2 h" in page
    # Due times in the property's own zone (PST or PDT, whichever is in force).
    local = at(tuesday, 9, 20, zone=PACIFIC)
    assert f"{local:%a} {local.day} {local:%b} 09:20 {local:%Z}" in page
    overdue = _changelist(admin_client, overdue="yes")
    assert [c.pk for c in overdue.context["cl"].result_list] == [late.pk]


def test_overdue_phrase():
    assert callback_overdue_phrase(timedelta(seconds=20)) == "1 min"
    assert callback_overdue_phrase(timedelta(minutes=59)) == "59 min"
    assert callback_overdue_phrase(timedelta(hours=2, minutes=10)) == "2 h"
    assert callback_overdue_phrase(timedelta(days=3, hours=1)) == "3 days"


def test_mark_called_back_records_who_called(client, prop):
    agent = _member(prop, Role.AGENT, properties=[prop], user__is_staff=True)
    mine = CallbackFactory(lead=LeadFactory(property=prop), assigned_to=agent)
    theirs = CallbackFactory(lead=LeadFactory(property=PropertyFactory()))
    client.force_login(agent)

    assigned = _changelist(client, assigned="me")
    client.post(
        reverse("admin:leads_callback_changelist"),
        {"action": "mark_called_back", "_selected_action": [mine.pk, theirs.pk]},
    )

    assert [c.pk for c in assigned.context["cl"].result_list] == [mine.pk]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Callback.Status.DONE
    assert mine.done_reason == Callback.DoneReason.HUMAN_CALLED
    assert mine.done_by == agent
    assert theirs.status == Callback.Status.OPEN  # another company's: out of reach


def test_agents_see_their_propertys_callbacks_only(client, prop):
    agent = _member(prop, Role.AGENT, properties=[prop], user__is_staff=True)
    sibling = PropertyFactory(organization=prop.organization)
    ours = CallbackFactory(lead=LeadFactory(property=prop))
    CallbackFactory(lead=LeadFactory(property=sibling))
    CallbackFactory(lead=LeadFactory(property=PropertyFactory()))
    client.force_login(agent)

    assert [c.pk for c in _changelist(client).context["cl"].result_list] == [ours.pk]


def test_reassigning_offers_only_the_propertys_team(client, prop):
    manager = _member(prop, Role.MANAGER, user__is_staff=True)
    agent = _member(prop, Role.AGENT, properties=[prop])
    _member(prop, Role.READ_ONLY)
    outsider = MembershipFactory(role=Role.AGENT).user
    callback = CallbackFactory(lead=LeadFactory(property=prop))
    client.force_login(manager)

    form = (
        client.get(reverse("admin:leads_callback_change", args=[callback.pk]))
        .context["adminform"]
        .form
    )

    assert set(form.fields["assigned_to"].queryset) == {manager, agent}
    assert outsider not in form.fields["assigned_to"].queryset


def test_the_lead_page_shows_the_callback_owed(admin_client, prop):
    callback = CallbackFactory(lead=LeadFactory(property=prop))

    page = admin_client.get(reverse("admin:leads_lead_change", args=[callback.lead.pk]))

    assert 'id="lead-callbacks"' in page.content.decode()
    assert reverse("admin:leads_callback_change", args=[callback.pk]) in page.content.decode()
