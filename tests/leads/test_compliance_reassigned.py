"""Reassigned numbers (calling-compliance.md §7 rule 17, 64.1200(m)): consent older than
COMPLIANCE_CONSENT_RECHECK_DAYS (default 90) needs a reassigned-numbers check no older than that;
a consent voided because the number reached someone else refuses `number_reassigned`."""

from datetime import date, timedelta

import pytest

from leads.compliance.gate import REASONS, Reason, call_permission
from leads.compliance.models import CallDecision, Consent
from leads.compliance.services import (
    CONSENT_REVOKED_WRONG_NUMBER,
    consent_record,
    consent_revoke,
    wrong_number_record,
)
from tests.clock import at
from tests.factories import DISCLOSURE, LeadFactory, consent_for

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
CHICAGO = "America/Chicago"
PHONE = "+13125550100"


@pytest.fixture
def now(clock):
    moment = at(THURSDAY, 11, zone=CHICAGO)
    clock.move_to(moment, tick=False)
    return moment


def _lead(**consent):
    """An Illinois lead whose one consent has the given fields."""
    lead = LeadFactory(phone=PHONE, state="IL", consent=False)
    consent_for(lead, **consent)
    return lead


def _ask(lead, **kwargs):
    return call_permission(
        organization=lead.property.organization,
        number=lead.phone,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=lead,
        **kwargs,
    )


def test_both_codes_are_reasons():
    assert {Reason.NUMBER_REASSIGNED, Reason.NUMBER_REASSIGNED_CHECK_DUE} <= set(REASONS)


def test_consent_90_days_old_is_still_fine(now):
    assert _ask(_lead(given_at=now - timedelta(days=90))).allowed


def test_older_consent_without_a_check_is_refused(now):
    lead = _lead(given_at=now - timedelta(days=91))

    permission = _ask(lead)

    assert (permission.allowed, permission.reason) == (False, Reason.NUMBER_REASSIGNED_CHECK_DUE)
    assert permission.next_allowed_at is None  # no hour helps: someone must check
    assert "more than 90 days ago" in permission.message
    assert "reassigned-numbers database since then" in permission.message
    row = CallDecision.objects.get()
    assert row.reason == Reason.NUMBER_REASSIGNED_CHECK_DUE
    assert row.rules[-1] == Reason.NUMBER_REASSIGNED_CHECK_DUE


def test_a_recent_check_makes_old_consent_usable_again(now):
    lead = _lead(given_at=now - timedelta(days=400), reassigned_checked_at=now.date())
    assert _ask(lead).allowed


def test_a_check_older_than_the_limit_is_due_again(now):
    lead = _lead(
        given_at=now - timedelta(days=400),
        reassigned_checked_at=(now - timedelta(days=120)).date(),
    )

    permission = _ask(lead)

    assert permission.reason == Reason.NUMBER_REASSIGNED_CHECK_DUE
    assert f"since {(now - timedelta(days=120)).date():%Y-%m-%d}" in permission.message


def test_the_limit_is_a_setting_and_zero_turns_it_off(now, settings):
    lead = _lead(given_at=now - timedelta(days=40))
    settings.COMPLIANCE_CONSENT_RECHECK_DAYS = 30
    assert _ask(lead, record=False).reason == Reason.NUMBER_REASSIGNED_CHECK_DUE
    settings.COMPLIANCE_CONSENT_RECHECK_DAYS = 0
    assert _ask(lead, record=False).allowed


def test_a_call_refused_for_the_hour_still_says_when_to_come_back(clock):
    """The check runs last: at 21:30 the hour is the first problem, with its next moment."""
    clock.move_to(at(THURSDAY, 21, 30, zone=CHICAGO), tick=False)
    lead = _lead(given_at=at(THURSDAY, 11, zone=CHICAGO) - timedelta(days=200))

    permission = _ask(lead, record=False)

    assert permission.reason == Reason.QUIET_HOURS
    assert permission.next_allowed_at == at(THURSDAY + timedelta(days=1), 8, zone=CHICAGO)


def test_staff_or_an_import_record_the_check_with_the_consent(now):
    lead = LeadFactory(phone=PHONE, state="IL", consent=False)
    consent = consent_record(
        organization=lead.property.organization,
        number=PHONE,
        kind=Consent.Kind.PEWC_AI_VOICE,
        disclosure=DISCLOSURE.format(seller=lead.property.organization.legal_name),
        source=Consent.Source.IMPORT,
        given_at=now - timedelta(days=365),
        reassigned_checked_at=now.date() - timedelta(days=3),
        lead=lead,
    )

    assert consent.reassigned_checked_at == now.date() - timedelta(days=3)
    assert _ask(lead).allowed


def test_consent_voided_as_reassigned_says_so(now):
    lead = _lead(given_at=now - timedelta(days=10))
    consent_revoke(consent=Consent.objects.get(), how=CONSENT_REVOKED_WRONG_NUMBER)

    permission = _ask(lead)

    assert permission.reason == Reason.NUMBER_REASSIGNED
    assert "reassigned" in permission.message


def test_the_new_owners_own_consent_allows_calls_again(now):
    lead = _lead(given_at=now - timedelta(days=10))
    consent_revoke(consent=Consent.objects.get(), how=CONSENT_REVOKED_WRONG_NUMBER)
    consent_for(lead, given_at=now - timedelta(hours=1))

    assert _ask(lead).allowed


def test_a_wrong_number_on_a_call_is_refused_as_opted_out_first(now):
    """The wrong-number path suppresses too, and the do-not-call list is checked first."""
    lead = _lead(given_at=now - timedelta(days=10))
    wrong_number_record(organization=lead.property.organization, number=PHONE, lead=lead)

    assert _ask(lead).reason == Reason.OPTED_OUT
    assert Consent.objects.get().revoked_how == CONSENT_REVOKED_WRONG_NUMBER
