"""Retention per organization (issue 17, acceptance 4): calls, deliveries and leads aged just
inside and just outside each period end with exactly what the policy keeps; a second run and a
dry run change nothing; a Vapi failure leaves the row whole and marked, and a later run finishes.

Every instant is explicit: `AT` (the suite's frozen start, tests/clock.py) is passed to the
service, and rows are aged from it. No test reads the real clock.
"""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command

from leads.models import CallDecision, Consent, Lead, Suppression
from tests.clock import SUITE_NOW
from tests.factories import (
    CallLogFactory,
    LeadActivityFactory,
    LeadFactory,
    PropertyFactory,
    RetentionPolicyFactory,
    SuppressionFactory,
    TourFactory,
    WebhookEventFactory,
)
from voice.models import CallLog, RetentionPolicy, TranscriptLine, WebhookEvent
from voice.retention.selectors import months_before
from voice.retention.services import PAYLOAD_STUB, retention_apply, retention_preview
from voice.retention.tasks import retention_apply_task
from voice.simulator.state import Fault

pytestmark = pytest.mark.django_db

AT = SUITE_NOW.replace(microsecond=0)
SECOND = timedelta(seconds=1)
TRANSCRIPT = "User: call me at two oh six 555 zero one four two or maya.chen@example.com."
REDACTED = "User: call me at [phone] or [email]."
MESSAGES = [{"role": "user", "message": "It's (206) 555-0142.", "time": 1}]
REDACTED_MESSAGES = [{"role": "user", "message": "It's [phone].", "time": 1}]
STRUCTURED = {"callback_number": "206-555-0142", "bedrooms": 2}
REDACTED_STRUCTURED = {"callback_number": "[phone]", "bedrooms": 2}
SUMMARY = "Wants a 2-bedroom; reach at 206.555.0142."
REDACTED_SUMMARY = "Wants a 2-bedroom; reach at [phone]."


def _aged(model, obj, age: timedelta, field: str = "created_at"):
    model.objects.filter(pk=obj.pk).update(**{field: AT - age})
    obj.refresh_from_db()
    return obj


def _call(prop, age: timedelta, *, vapi_call_id: str | None = None, **fields) -> CallLog:
    fields.setdefault("transcript", TRANSCRIPT)
    fields.setdefault("messages", MESSAGES)
    fields.setdefault("structured_data", STRUCTURED)
    fields.setdefault("summary", SUMMARY)
    fields.setdefault("recording_url", "https://storage.vapi.ai/rec.wav")
    fields.setdefault("stereo_recording_url", "https://storage.vapi.ai/rec-stereo.wav")
    if vapi_call_id is not None:
        fields["vapi_call_id"] = vapi_call_id
    call = CallLogFactory(property=prop, **fields)
    return _aged(CallLog, call, age)


def _snapshot() -> dict:
    """Every row and field retention may touch, to compare runs."""
    return {
        "calls": list(CallLog.objects.order_by("pk").values()),
        "deliveries": list(WebhookEvent.objects.order_by("pk").values()),
        "leads": list(Lead.objects.order_by("pk").values()),
        "lines": list(TranscriptLine.objects.order_by("pk").values()),
        "consents": list(Consent.objects.order_by("pk").values()),
        "suppressions": list(Suppression.objects.order_by("pk").values()),
        "decisions": list(CallDecision.objects.order_by("pk").values()),
    }


@pytest.fixture
def world(vapi_settings, simulator):
    """Two organizations: one with its own short periods (redacting transcripts), one with the
    defaults but deleting transcripts. Every call on the simulator, so Vapi really deletes."""
    short = PropertyFactory()
    RetentionPolicyFactory(
        organization=short.organization,
        recordings_days=10,
        transcripts_days=20,
        webhook_payloads_days=5,
        unconverted_leads_months=3,
    )
    default = PropertyFactory()
    RetentionPolicyFactory(
        organization=default.organization,
        transcript_action=RetentionPolicy.TranscriptAction.DELETE,
    )
    ids = iter(simulator.app.state.seed_finished_calls(8, start=AT - timedelta(days=400)))
    day = timedelta(days=1)
    calls = {
        # org "short": recordings 10 days, transcripts 20 days
        "short_fresh": _call(short, 10 * day - SECOND, vapi_call_id=next(ids)),
        "short_recording": _call(short, 10 * day + SECOND, vapi_call_id=next(ids)),
        "short_transcript_kept": _call(short, 20 * day - SECOND, vapi_call_id=next(ids)),
        "short_transcript": _call(short, 20 * day + SECOND, vapi_call_id=next(ids)),
        # never placed: nothing at Vapi to delete
        "short_not_placed": _call(short, 30 * day, status=CallLog.Status.FAILED),
        # org "default": recordings 90 days, transcripts 365 days (deleted)
        "default_fresh": _call(default, 90 * day - SECOND, vapi_call_id=next(ids)),
        "default_recording": _call(default, 90 * day + SECOND, vapi_call_id=next(ids)),
        "default_transcript_kept": _call(default, 365 * day - SECOND, vapi_call_id=next(ids)),
        "default_transcript": _call(default, 365 * day + SECOND, vapi_call_id=next(ids)),
    }
    TranscriptLine.objects.create(
        vapi_call_id=calls["short_transcript"].vapi_call_id,
        role="user",
        text="two oh six 555 zero one four two",
        spoken_at=AT - 21 * day,
    )
    deliveries = {
        "short_kept": WebhookEventFactory(vapi_call_id=calls["short_fresh"].vapi_call_id),
        "short_cleared": WebhookEventFactory(vapi_call_id=calls["short_recording"].vapi_call_id),
        "short_unprocessed": WebhookEventFactory(
            vapi_call_id=calls["short_recording"].vapi_call_id,
            status=WebhookEvent.Status.RECEIVED,
        ),
        "default_kept": WebhookEventFactory(vapi_call_id=calls["default_fresh"].vapi_call_id),
        "default_cleared": WebhookEventFactory(
            vapi_call_id=calls["default_recording"].vapi_call_id
        ),
        "orphan_cleared": WebhookEventFactory(vapi_call_id="never-logged"),
    }
    ages = {
        "short_kept": 5 * day - SECOND,
        "short_cleared": 5 * day + SECOND,
        "short_unprocessed": 50 * day,
        "default_kept": 30 * day - SECOND,
        "default_cleared": 30 * day + SECOND,
        "orphan_cleared": 30 * day + SECOND,
    }
    for name, age in ages.items():
        deliveries[name] = _aged(WebhookEvent, deliveries[name], age, "received_at")
    cutoff = AT - months_before(AT, 3)  # "3 months" as an age
    leads = {
        "stale": LeadFactory(property=short),
        "fresh": LeadFactory(property=short),
        "leased": LeadFactory(property=short, status="leased"),
        "toured": LeadFactory(property=short),
        "still_talking": LeadFactory(property=short),
        "noted": LeadFactory(property=short),
        "other_org": LeadFactory(property=default),
    }
    TourFactory(lead=leads["toured"])
    for name, lead in leads.items():
        leads[name] = _aged(Lead, lead, cutoff - SECOND if name == "fresh" else cutoff + SECOND)
    _call(short, timedelta(days=1), lead=leads["still_talking"])
    LeadActivityFactory(lead=leads["noted"])
    # The stale lead opted out and was refused a call: both records outlive the lead.
    stale = leads["stale"]
    suppression = SuppressionFactory(
        organization=short.organization, number=stale.phone, lead=stale
    )
    decision = CallDecision.objects.create(
        organization=short.organization,
        path=CallDecision.Path.API,
        purpose=CallDecision.Purpose.MARKETING,
        number=str(stale.phone),
        lead=stale,
        lead_ref=stale.pk,
        decision=CallDecision.Decision.REFUSED,
        reason="opted_out",
    )
    return {
        "calls": calls,
        "deliveries": deliveries,
        "leads": leads,
        "suppression": suppression,
        "decision": decision,
        "short": short.organization,
        "default": default.organization,
        "simulator": simulator,
    }


def _reload(obj):
    obj.refresh_from_db()
    return obj


def test_the_task_keeps_exactly_what_each_policy_keeps(world):
    report = retention_apply(at=AT, batch_size=2)

    calls = {name: _reload(call) for name, call in world["calls"].items()}
    removed = {"recording_url": "", "stereo_recording_url": "", "recording_deleted_at": AT}
    kept_recording = {
        "recording_url": "https://storage.vapi.ai/rec.wav",
        "recording_deleted_at": None,
    }
    original = {
        "transcript": TRANSCRIPT,
        "messages": MESSAGES,
        "structured_data": STRUCTURED,
        "summary": SUMMARY,
        "transcript_removed_at": None,
    }
    redacted = {
        "transcript": REDACTED,
        "messages": REDACTED_MESSAGES,
        "structured_data": REDACTED_STRUCTURED,
        "summary": REDACTED_SUMMARY,
        "transcript_removed_at": AT,
    }
    deleted = {
        "transcript": "",
        "messages": [],
        "structured_data": {},
        "summary": "",
        "transcript_removed_at": AT,
    }
    expected = {
        "short_fresh": {**kept_recording, **original},
        "short_recording": {**removed, **original},
        "short_transcript_kept": {**removed, **original},
        "short_transcript": {**removed, **redacted},
        "short_not_placed": {**removed, **redacted},
        "default_fresh": {**kept_recording, **original},
        "default_recording": {**removed, **original},
        "default_transcript_kept": {**removed, **original},
        "default_transcript": {**removed, **deleted},
    }
    for name, fields in expected.items():
        actual = {field: getattr(calls[name], field) for field in fields}
        assert actual == fields, name
        assert calls[name].vapi_deletion_pending is False, name
        # The rest of the row is untouched.
        assert calls[name].customer_number == "+12065550100", name
    # At Vapi: exactly the calls whose recording went are gone.
    at_vapi = set(world["simulator"].app.state.calls)
    gone = {
        n for n, f in expected.items() if f.get("recording_deleted_at") and n != "short_not_placed"
    }
    assert {n for n in expected if calls[n].vapi_call_id in at_vapi} == set(expected) - gone - {
        "short_not_placed"
    }
    assert not TranscriptLine.objects.exists()

    deliveries = {name: _reload(d) for name, d in world["deliveries"].items()}
    for name in ("short_cleared", "default_cleared", "orphan_cleared"):
        assert deliveries[name].payload == PAYLOAD_STUB, name
        assert deliveries[name].payload_removed_at == AT, name
        assert deliveries[name].message_type == "end-of-call-report"  # the row itself stays
    for name in ("short_kept", "default_kept", "short_unprocessed"):
        assert deliveries[name].payload["message"]["type"] == "end-of-call-report", name
        assert deliveries[name].payload_removed_at is None, name

    leads = world["leads"]
    remaining = set(Lead.objects.values_list("pk", flat=True))
    assert remaining == {lead.pk for name, lead in leads.items() if name != "stale"}

    totals = report.totals.as_dict()
    assert totals == {
        "recordings": 7,
        "transcripts": 3,
        "webhook_payloads": 3,
        "leads": 1,
        "vapi_pending": 0,
    }


def test_compliance_records_survive_the_leads_deletion(world):
    stale = world["leads"]["stale"]
    consents = Consent.objects.filter(lead=stale).count()
    assert consents == 1

    retention_apply(at=AT)

    assert not Lead.objects.filter(pk=stale.pk).exists()
    suppression = _reload(world["suppression"])
    assert (suppression.lead_id, str(suppression.number)) == (None, str(stale.phone))
    decision = CallDecision.objects.get(pk=world["decision"].pk)
    assert (decision.lead_id, decision.lead_ref, decision.reason) == (None, stale.pk, "opted_out")
    consent = Consent.objects.get(number=stale.phone)
    assert consent.lead_id is None


def test_a_second_run_changes_nothing(world):
    retention_apply(at=AT, batch_size=3)
    before = _snapshot()

    again = retention_apply(at=AT, batch_size=3)

    assert _snapshot() == before
    assert again.totals.as_dict() == dict.fromkeys(again.totals.as_dict(), 0)


def test_a_dry_run_changes_nothing_and_counts_what_the_run_then_does(world):
    before = _snapshot()
    requests_before = dict(world["simulator"].app.state.requests)

    preview = retention_preview(at=AT)

    assert _snapshot() == before
    assert dict(world["simulator"].app.state.requests) == requests_before  # no Vapi request
    applied = retention_apply(at=AT)
    expected = {
        (entry.organization_id, kind): count
        for entry in preview.organizations
        for kind, count in entry.counts.as_dict().items()
    }
    assert expected == {
        (entry.organization_id, kind): count
        for entry in applied.organizations
        for kind, count in entry.counts.as_dict().items()
    }
    assert preview.totals.recordings == 7


def test_a_vapi_failure_leaves_the_row_whole_and_marked_then_a_later_run_completes_it(
    world, settings
):
    settings.VAPI_MAX_RETRIES = 0
    state = world["simulator"].app.state
    call = world["calls"]["short_recording"]
    # vapi-reference.md §1: DELETE /call/{id} 503 = the recordings could not be erased.
    state.add_fault(
        Fault(
            status=503,
            method="DELETE",
            path_prefix=f"/call/{call.vapi_call_id}",
            remaining=1,
            message="Recordings could not be erased.",
        )
    )

    report = retention_apply(organization=world["short"], at=AT)

    call = _reload(call)
    assert call.vapi_deletion_pending is True
    assert call.recording_deleted_at is None
    assert call.recording_url == "https://storage.vapi.ai/rec.wav"  # not half-deleted
    assert call.vapi_call_id in state.calls
    assert report.totals.vapi_pending == 1
    assert report.totals.recordings == 3  # the organization's others went

    later = retention_apply(organization=world["short"], at=AT + SECOND)

    call = _reload(call)
    assert (call.vapi_deletion_pending, call.recording_url) == (False, "")
    assert call.recording_deleted_at == AT + SECOND
    assert call.vapi_call_id not in state.calls
    assert later.totals.as_dict()["recordings"] == 1


def test_vapi_down_stops_asking_and_leaves_every_call_for_the_next_run(world, settings):
    settings.VAPI_MAX_RETRIES = 0
    state = world["simulator"].app.state
    state.add_fault(Fault(status=500, method="DELETE", path_prefix="/call/", remaining=100))

    report = retention_apply(organization=world["short"], at=AT)

    # Three failures in a row and the run stops asking; nothing of ours was removed but the
    # never-placed call's links (Vapi had nothing of it).
    assert report.totals.recordings == 1
    assert report.totals.vapi_pending == 3
    pending = CallLog.objects.filter(vapi_deletion_pending=True, recording_url__gt="")
    assert pending.count() == 3


def test_the_daily_task_applies_every_policy(world):
    assert "retention-apply" in django_settings.CELERY_BEAT_SCHEDULE
    assert django_settings.CELERY_BEAT_SCHEDULE["retention-apply"]["task"] == "retention.apply"

    with time_machine.travel(AT, tick=False):  # the task reads the clock: stop it at AT
        totals = retention_apply_task()

    assert totals["leads"] == 1
    assert totals["vapi_pending"] == 0
    assert CallLog.objects.filter(recording_deleted_at__isnull=False).count() == 7


@time_machine.travel(AT, tick=False)
def test_the_command_dry_run_prints_the_counts_the_real_run_then_prints(world):
    out = StringIO()
    call_command("apply_retention", "--dry-run", f"--organization={world['short'].pk}", stdout=out)
    dry = out.getvalue()
    assert "would remove: recordings 4, transcripts 2, webhook_payloads 1, leads 1" in dry
    assert "Dry run, nothing changed" in dry
    assert CallLog.objects.filter(recording_deleted_at__isnull=False).count() == 0

    out = StringIO()
    call_command("apply_retention", f"--organization={world['short'].pk}", stdout=out)
    assert "removed: recordings 4, transcripts 2, webhook_payloads 1, leads 1" in out.getvalue()


def test_an_organization_without_a_policy_gets_the_safe_defaults(vapi_settings, simulator):
    prop = PropertyFactory()
    old = _call(prop, timedelta(days=90) + SECOND, status=CallLog.Status.FAILED)
    young = _call(prop, timedelta(days=90) - SECOND, status=CallLog.Status.FAILED)

    retention_apply(organization=prop.organization, at=AT)

    assert _reload(old).recording_url == ""
    assert _reload(young).recording_url != ""
    assert _reload(old).transcript == TRANSCRIPT  # a year for transcripts
