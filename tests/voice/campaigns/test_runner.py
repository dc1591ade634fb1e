"""The campaign runner (voice/campaigns/runner.py) against the simulator on a socket.

Dials go to the simulator for real (POST /call through our client); the end of each call is
applied by `campaign_contact_settle` from the call log as the end-of-call report leaves it, so
each outcome can be chosen. Faults are injected at the transport (`Faults`).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.compliance.models import Suppression
from leads.models import Lead
from tests.factories import (
    CallLogFactory,
    LeadFactory,
    PropertyFactory,
    SuppressionFactory,
    TourFactory,
)
from tests.voice.vapi_helpers import TEST_API_KEY, LostAnswer
from voice.assistants.services import create_property_assistant
from voice.campaigns import runner
from voice.campaigns.models import Campaign, CampaignContact
from voice.campaigns.services import campaign_create, campaign_pause, campaign_start
from voice.models import CallLog
from voice.simulator.state import DEMO_PHONE_NUMBERS
from voice.vapi.client import VapiClient
from voice.vapi.core import RetryPolicy

pytestmark = pytest.mark.django_db

State = CampaignContact.State


@pytest.fixture
def faults(vapi_settings, simulator, monkeypatch):
    transport = LostAnswer()
    client = VapiClient(
        api_key=TEST_API_KEY,
        base_url=simulator.url,
        transport=transport,
        retry=RetryPolicy(max_retries=0),
    )
    monkeypatch.setattr("voice.vapi.client.get_vapi_client", lambda: client)
    yield transport
    client.close()


@pytest.fixture
def assistant(faults, calling_hours, settings):
    settings.VAPI_CONCURRENCY_LIMIT = 10
    prop = PropertyFactory(leasing_phone=DEMO_PHONE_NUMBERS[0])
    return create_property_assistant(property=prop)


def _campaign(assistant, leads: int = 3, **fields) -> Campaign:
    for _ in range(leads):
        LeadFactory(property=assistant.property, status=Lead.Status.NEW)
    today = timezone.localdate()
    campaign = campaign_create(
        organization=assistant.property.organization,
        property=assistant.property,
        assistant=assistant,
        name="Follow-up",
        purpose="marketing",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=7),
        **fields,
    )
    return campaign_start(campaign=campaign)


def _dial_all(claims) -> list[runner.DialResult]:
    return [
        runner.campaign_contact_dial(contact_id=c.contact_id, attempt_id=c.attempt_id)
        for c in claims
    ]


def _end(contact: CampaignContact, ended_reason: str) -> CallLog:
    """The call of the contact's attempt ends the way Vapi's report says, then is settled."""
    contact.refresh_from_db()
    call_log = contact.current_call
    call_log.status = CallLog.Status.ENDED
    call_log.ended_reason = ended_reason
    call_log.save()
    runner.campaign_contact_settle(call_log=call_log, refresh=True)
    contact.refresh_from_db()
    return call_log


def _posts(simulator) -> int:
    return simulator.app.state.count_requests("POST", "/call")


def test_dispatch_claims_within_the_account_budget_counting_inbound_calls(assistant, settings):
    settings.VAPI_CONCURRENCY_LIMIT = 3
    campaign = _campaign(assistant, leads=5, max_concurrent_calls=5)
    CallLogFactory(direction=CallLog.Direction.INBOUND, status=CallLog.Status.IN_PROGRESS)

    claims = runner.campaigns_dispatch()

    assert len(claims) == 2
    assert campaign.contacts.filter(state=State.DIALING).count() == 2
    assert runner.campaigns_dispatch() == []  # claimed-but-not-dialled attempts hold slots


def test_dispatch_respects_each_campaigns_maximum_and_shares_the_budget(assistant, settings):
    settings.VAPI_CONCURRENCY_LIMIT = 4
    first = _campaign(assistant, leads=4, max_concurrent_calls=1)
    second = _campaign(assistant, leads=0, max_concurrent_calls=10)

    claims = runner.campaigns_dispatch()

    assert first.contacts.filter(state=State.DIALING).count() == 1
    assert second.contacts.count() == 4  # the same leads, frozen again for the second campaign
    assert second.contacts.filter(state=State.DIALING).count() == 3
    assert len(claims) == 4


def test_dial_places_the_call_with_the_attempt_recorded_first(assistant, simulator):
    campaign = _campaign(assistant, leads=1)
    (claim,) = runner.campaigns_dispatch()

    (result,) = _dial_all([claim])

    contact = campaign.contacts.get()
    assert result.status == "dialled"
    assert contact.state == State.IN_CALL
    assert contact.attempts == 1
    call_log = contact.current_call
    assert call_log.campaign_contact == contact
    assert call_log.metadata["attemptId"] == claim.attempt_id
    assert call_log.metadata["campaignId"] == str(campaign.pk)
    assert _posts(simulator) == 1


@pytest.mark.parametrize(
    ("reason", "outcome", "state", "delay"),
    [
        ("customer-did-not-answer", "no_answer", State.SCHEDULED, timedelta(minutes=240)),
        ("customer-busy", "busy", State.SCHEDULED, timedelta(minutes=30)),
        # A day later would ring at the same hour the lead missed: three hours later than that.
        ("voicemail", "voicemail", State.SCHEDULED, timedelta(days=1, hours=3)),
        ("pipeline-error-openai-llm-failed", "error", State.SCHEDULED, timedelta(minutes=60)),
        ("customer-ended-call", "answered", State.DONE, None),
        ("sip-outbound-unallocated-number", "unreachable", State.FAILED, None),
    ],
)
def test_an_ended_call_decides_the_next_step(assistant, reason, outcome, state, delay):
    campaign = _campaign(assistant, leads=1)
    _dial_all(runner.campaigns_dispatch())
    contact = campaign.contacts.get()

    ended_at = timezone.now()
    _end(contact, reason)

    assert contact.last_outcome == outcome
    assert contact.state == state
    if delay is None:
        assert contact.next_attempt_at is None
    else:
        assert abs(contact.next_attempt_at - (ended_at + delay)) < timedelta(seconds=5)


def test_retries_stop_at_the_policys_attempts(assistant, clock):
    campaign = _campaign(assistant, leads=1, retry_policy={"busy": {"max_attempts": 2}})
    contact = campaign.contacts.get()
    for _ in range(2):
        contact.refresh_from_db()
        if contact.next_attempt_at:
            clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
        _dial_all(runner.campaigns_dispatch())
        _end(contact, "customer-busy")

    assert contact.state == State.DONE
    assert contact.attempts == 2
    assert contact.last_outcome == "busy"
    assert runner.campaigns_dispatch() == []


def test_a_voicemail_is_left_once_then_later_attempts_hang_up(assistant, simulator, clock):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    _dial_all(runner.campaigns_dispatch())
    first = _posted(simulator)[-1]
    assert "voicemailMessage" not in first["assistantOverrides"]  # the assistant's own message
    _end(contact, "voicemail")
    assert contact.voicemail_left

    clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
    _dial_all(runner.campaigns_dispatch())

    second = _posted(simulator)[-1]
    assert second["assistantOverrides"]["voicemailMessage"] == ""


def _posted(simulator) -> list[dict]:
    return sorted(simulator.app.state.calls.values(), key=lambda call: call["createdAt"])


def test_answered_calls_end_with_what_they_achieved(assistant):
    campaign = _campaign(assistant, leads=3)
    _dial_all(runner.campaigns_dispatch())
    toured, opted, qualified = campaign.contacts.order_by("id")
    TourFactory(
        lead=toured.lead,
        property=assistant.property,
        vapi_call_id=CallLog.objects.get(campaign_contact=toured).vapi_call_id,
    )
    SuppressionFactory(organization=assistant.property.organization, number=opted.number)
    Lead.objects.filter(pk=qualified.lead_id).update(status=Lead.Status.QUALIFIED)

    for contact in (toured, opted, qualified):
        _end(contact, "customer-ended-call")

    assert [(c.state, c.last_outcome) for c in (toured, opted, qualified)] == [
        (State.DONE, "tour_booked"),
        (State.DONE, "opted_out"),
        (State.DONE, "qualified"),
    ]


def test_a_contact_who_opts_out_on_the_first_call_is_never_called_again(
    assistant, simulator, clock
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    _dial_all(runner.campaigns_dispatch())
    Suppression.objects.create(
        organization=assistant.property.organization,
        number=contact.number,
        source=Suppression.Source.SPOKEN,
    )
    _end(contact, "customer-ended-call")

    clock.move_to(timezone.now() + timedelta(days=2))
    runner.campaigns_tick()

    assert (contact.state, contact.last_outcome) == (State.DONE, "opted_out")
    assert _posts(simulator) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED


def test_a_retry_after_an_opt_out_in_between_is_skipped_with_the_reason(
    assistant, simulator, clock
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    _dial_all(runner.campaigns_dispatch())
    _end(contact, "customer-did-not-answer")
    SuppressionFactory(organization=assistant.property.organization, number=contact.number)

    clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
    (result,) = _dial_all(runner.campaigns_dispatch())

    contact.refresh_from_db()
    assert result.status == "skipped"
    assert (contact.state, contact.skip_reason) == (State.SKIPPED, "opted_out")
    assert _posts(simulator) == 1


def test_a_closed_calling_window_reschedules_to_the_next_allowed_moment(
    assistant, simulator, clock, calling_hours
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    # The lead's window (Pacific, 8:00-21:00) closes between the claim and... the next claim.
    clock.move_to(calling_hours.replace(hour=21, minute=30))

    (result,) = _dial_all(runner.campaigns_dispatch())

    contact.refresh_from_db()
    assert result.status == "rescheduled"
    assert contact.state == State.PENDING  # never dialled: not an attempt
    assert contact.attempts == 0
    next_day = (calling_hours + timedelta(days=1)).astimezone(assistant.property.tz)
    local = contact.next_attempt_at.astimezone(assistant.property.tz)
    assert local.date() == next_day.date()
    assert local.hour >= 8
    assert _posts(simulator) == 0
    assert runner.campaigns_dispatch() == []  # not due before then

    clock.move_to(contact.next_attempt_at + timedelta(minutes=1))
    (result,) = _dial_all(runner.campaigns_dispatch())
    assert result.status == "dialled"
    assert _posts(simulator) == 1


def test_a_vapi_server_error_retries_with_backoff_then_fails_with_the_error(
    assistant, faults, simulator, clock
):
    campaign = _campaign(assistant, leads=1, retry_policy={"error": {"max_attempts": 2}})
    contact = campaign.contacts.get()
    faults.fail("500", times=2)

    first_at = timezone.now()
    (result,) = _dial_all(runner.campaigns_dispatch())
    contact.refresh_from_db()
    assert result.status == "error"
    assert contact.state == State.SCHEDULED
    assert abs(contact.next_attempt_at - (first_at + timedelta(minutes=60))) < timedelta(seconds=5)
    assert not CallLog.objects.exists()  # never a half-written record

    clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
    results = _dial_all(runner.campaigns_dispatch())
    contact.refresh_from_db()
    assert [r.status for r in results] == ["error"], results
    assert contact.state == State.FAILED
    assert "500" in contact.last_error or "server" in contact.last_error.lower()
    assert contact.attempts == 2


def test_a_lost_answer_is_reconciled_before_the_retry_and_never_dialled_twice(
    assistant, faults, simulator, clock
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    faults.fail("after")  # Vapi placed the call; its answer never came back

    (result,) = _dial_all(runner.campaigns_dispatch())
    contact.refresh_from_db()
    assert result.status == "unknown"
    assert (contact.state, contact.last_outcome) == (State.SCHEDULED, "unknown")

    clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
    (result,) = _dial_all(runner.campaigns_dispatch())

    contact.refresh_from_db()
    assert result.status == "already_placed"
    assert contact.state == State.IN_CALL
    assert _posts(simulator) == 1
    assert contact.current_call.status != CallLog.Status.UNKNOWN


def test_a_redelivered_dial_whose_worker_died_mid_dial_never_dials_blind(
    assistant, simulator, clock, settings
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    (claim,) = runner.campaigns_dispatch()
    # The first worker marked the attempt begun, then died before POST /call.
    CampaignContact.objects.filter(pk=contact.pk).update(dial_started_at=timezone.now())
    # A copy of the task while the first may still be dialling: left to the first.
    assert _dial_all([claim])[0].status == "in_progress"
    clock.move_to(timezone.now() + timedelta(seconds=settings.CAMPAIGN_DIAL_LEASE_SECONDS + 1))

    (result,) = _dial_all([claim])  # the broker redelivers the task, later

    contact.refresh_from_db()
    assert result.status == "unknown"
    assert _posts(simulator) == 0
    assert contact.current_call.status == CallLog.Status.UNKNOWN

    clock.move_to(contact.next_attempt_at + timedelta(seconds=1))
    (result,) = _dial_all(runner.campaigns_dispatch())

    # Vapi's call list had no such call: not placed, so the retry dials, once.
    assert result.status == "dialled"
    assert _posts(simulator) == 1
    assert CallLog.objects.filter(status=CallLog.Status.FAILED).count() == 1


def test_stale_claims_are_recovered(assistant, simulator, clock, settings):
    settings.CAMPAIGN_DIAL_LEASE_SECONDS = 60
    campaign = _campaign(assistant, leads=2)
    lost_message, died_dialling = runner.campaigns_dispatch()
    CampaignContact.objects.filter(pk=died_dialling.contact_id).update(
        dial_started_at=timezone.now()
    )

    clock.move_to(timezone.now() + timedelta(seconds=61))
    assert runner.campaign_contacts_recover() == 2

    never_begun = campaign.contacts.get(pk=lost_message.contact_id)
    begun = campaign.contacts.get(pk=died_dialling.contact_id)
    assert (never_begun.state, never_begun.attempts) == (State.PENDING, 0)
    assert (begun.state, begun.last_outcome) == (State.SCHEDULED, "unknown")
    assert begun.current_call.status == CallLog.Status.UNKNOWN
    # The old task arriving late finds its claim gone.
    assert _dial_all([lost_message])[0].status == "stale"
    assert _posts(simulator) == 0


def test_a_paused_campaign_releases_its_claims_and_dials_nobody(assistant, simulator):
    campaign = _campaign(assistant, leads=2)
    claims = runner.campaigns_dispatch()
    campaign_pause(campaign=campaign)

    results = _dial_all(claims)

    assert {r.status for r in results} == {"released"}
    assert set(campaign.contacts.values_list("state", flat=True)) == {State.PENDING}
    assert runner.campaigns_dispatch() == []
    assert _posts(simulator) == 0


def test_past_its_end_date_waiting_contacts_are_skipped_and_the_campaign_finishes(assistant, clock):
    campaign = _campaign(assistant, leads=2)
    clock.move_to(timezone.now() + timedelta(days=9))

    result = runner.campaigns_tick()

    campaign.refresh_from_db()
    assert result.closed == 1
    assert campaign.status == Campaign.Status.FINISHED
    assert set(campaign.contacts.values_list("skip_reason", flat=True)) == {"campaign_ended"}


def test_the_tick_settles_calls_whose_report_never_came(assistant, clock):
    campaign = _campaign(assistant, leads=1)
    _dial_all(runner.campaigns_dispatch())
    contact = campaign.contacts.get()
    CallLog.objects.filter(pk=contact.current_call_id).update(
        status=CallLog.Status.ENDED, ended_reason="customer-busy"
    )

    clock.move_to(timezone.now() + timedelta(minutes=1))
    result = runner.campaigns_tick()

    contact.refresh_from_db()
    assert result.settled == 1
    assert (contact.state, contact.last_outcome) == (State.SCHEDULED, "busy")


def test_an_attempt_given_up_as_lost_takes_its_call_when_the_answer_comes_after_all(
    assistant, faults, simulator, clock, settings
):
    campaign = _campaign(assistant, leads=1)
    contact = campaign.contacts.get()
    (claim,) = runner.campaigns_dispatch()

    def tick_meanwhile() -> None:
        # The dial is slow: the tick takes its worker for dead and records an unknown outcome.
        clock.move_to(timezone.now() + timedelta(seconds=settings.CAMPAIGN_DIAL_LEASE_SECONDS + 1))
        assert runner.campaign_contacts_recover() == 1

    faults.before_post = tick_meanwhile
    (result,) = _dial_all([claim])  # ...and then Vapi's answer comes back after all

    contact.refresh_from_db()
    assert result.status == "dialled"
    assert contact.state == State.IN_CALL
    assert contact.attempts == 1
    assert contact.current_call.status != CallLog.Status.UNKNOWN
    assert not CallLog.objects.filter(status=CallLog.Status.UNKNOWN).exists()
    assert _posts(simulator) == 1
