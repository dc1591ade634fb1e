"""The compliance gate (leads/compliance/gate.py) against calling-compliance.md §7.

Every test moves the suite's clock to a stated local time before it creates anything (consent is
dated from "now"), and every decision with record=True writes exactly one CallDecision.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from leads.compliance import rules
from leads.compliance.gate import (
    REASONS,
    CallRefusedError,
    Reason,
    _Evaluation,
    call_permission,
)
from leads.compliance.models import CALL_DECISION_IMMUTABLE, CallDecision, Consent, Suppression
from leads.compliance.services import lead_do_not_call_sync, suppression_add
from tests.clock import at
from tests.factories import (
    ConsentFactory,
    DncSnapshotFactory,
    LeadFactory,
    OrganizationFactory,
    PropertyFactory,
    StaffPhoneFactory,
    consent_for,
)

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
SUNDAY = date(2027, 3, 7)
CHICAGO = "America/Chicago"
NEW_YORK = "America/New_York"


def _ask(lead=None, *, number=None, organization=None, purpose="marketing", **kwargs):
    organization = organization or lead.property.organization
    return call_permission(
        organization=organization,
        number=number or lead.phone,
        purpose=purpose,
        path=CallDecision.Path.API,
        lead=lead,
        **kwargs,
    )


def _at(clock, day, hour, minute=0, zone=CHICAGO):
    clock.move_to(at(day, hour, minute, zone=zone), tick=False)


def _one_decision(permission):
    """The gate wrote exactly one row, and it says what the permission says."""
    (row,) = CallDecision.objects.all()
    assert row == permission.decision
    assert row.decision == ("allowed" if permission.allowed else "refused")
    assert row.reason == permission.reason
    assert row.next_allowed_at == permission.next_allowed_at
    return row


# Rule 1: consent per exact number and organization.


def test_a_number_without_consent_is_refused(clock):
    _at(clock, THURSDAY, 11)
    org = OrganizationFactory()
    permission = _ask(number="+13125550100", organization=org)
    assert not permission.allowed
    assert permission.reason == Reason.NO_WRITTEN_CONSENT
    assert org.legal_name in permission.message
    row = _one_decision(permission)
    assert row.lead is None
    assert row.lead_ref is None
    assert row.consent_ref is None


def test_consent_does_not_transfer_to_another_number(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL")
    permission = _ask(lead, number="+13125550111")
    assert permission.reason == Reason.CONSENT_OTHER_NUMBER
    _one_decision(permission)


def test_consent_does_not_transfer_to_another_organization(clock):
    _at(clock, THURSDAY, 11)
    ConsentFactory(number="+13125550100")  # its own organization
    permission = _ask(number="+13125550100", organization=OrganizationFactory())
    assert permission.reason == Reason.NO_WRITTEN_CONSENT


def test_informational_calls_may_use_prior_express_consent(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL", consent=False)
    consent = consent_for(lead, kind=Consent.Kind.PEC_INFORMATIONAL, source="inbound_call")
    assert _ask(lead, record=False).reason == Reason.NO_WRITTEN_CONSENT
    permission = _ask(lead, purpose="informational")
    assert permission.allowed
    assert _one_decision(permission).consent_ref == consent.pk


def test_revoked_consent_no_longer_counts(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL", consent=False)
    consent_for(lead, revoked_at=at(THURSDAY, 9, zone=CHICAGO), revoked_how="texted STOP")
    assert _ask(lead).reason == Reason.NO_WRITTEN_CONSENT


# Rules 2-4: quiet hours in every candidate zone and state.


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(20, 30, True), (21, 0, False), (7, 59, False), (8, 0, True)],
)
def test_illinois_lead_gets_the_federal_window(clock, hour, minute, allowed):
    _at(clock, THURSDAY, hour, minute)
    lead = LeadFactory(phone="+13125550100", state="IL")
    permission = _ask(lead)
    assert permission.allowed is allowed
    assert permission.reason == ("" if allowed else Reason.QUIET_HOURS)
    row = _one_decision(permission)
    assert row.timezones[0]["zone"] == CHICAGO
    assert CHICAGO in row.local_times
    assert Reason.QUIET_HOURS in row.rules


def test_refusal_says_the_rule_the_local_time_and_the_next_moment(clock):
    _at(clock, THURSDAY, 21, 0)
    permission = _ask(LeadFactory(phone="+13125550100", state="IL"))
    assert permission.message == (
        "It is 21:00 on Thursday in America/Chicago (federal rules end calls at 21:00). "
        "The next allowed moment is 08:00 on Friday, March 5 in America/Chicago."
    )
    assert permission.next_allowed_at == at(THURSDAY + timedelta(days=1), 8, zone=CHICAGO)


def test_florida_panhandle_lead_at_2030_central_is_refused(clock):
    _at(clock, THURSDAY, 20, 30)
    lead = LeadFactory(phone="+18505550100", state="FL")
    permission = _ask(lead)
    assert permission.reason == Reason.QUIET_HOURS
    assert {CHICAGO, NEW_YORK} <= {z["zone"] for z in permission.timezones}
    assert "Florida rules end calls at 20:00" in permission.message


def test_florida_rules_end_calls_at_2000_even_in_central_time(clock):
    _at(clock, THURSDAY, 19, 30)  # 20:30 in New York: the panhandle lead's other zone
    lead = LeadFactory(phone="+18505550100", state="FL")
    permission = _ask(lead)
    assert permission.reason == Reason.QUIET_HOURS
    assert "It is 20:30 on Thursday in America/New_York" in permission.message
    assert "(Florida rules end calls at 20:00)" in permission.message


def test_a_219_number_without_address_must_pass_central_and_indiana_time(clock):
    _at(clock, THURSDAY, 7, 30)  # 08:30 in Indianapolis, 07:30 in Chicago
    org = OrganizationFactory()
    ConsentFactory(organization=org, number="+12195550100")
    permission = _ask(number="+12195550100", organization=org)
    zones = {z["zone"] for z in permission.timezones}
    assert {CHICAGO, "America/Indiana/Indianapolis"} <= zones
    assert permission.reason == Reason.QUIET_HOURS
    assert "America/Chicago" in permission.message
    _at(clock, THURSDAY, 20, 30)  # 21:30 in Indianapolis
    assert _ask(number="+12195550100", organization=org).reason == Reason.QUIET_HOURS
    _at(clock, THURSDAY, 19, 30)
    assert _ask(number="+12195550100", organization=org).allowed


def test_georgia_resident_with_a_305_number_gets_florida_rules(clock):
    _at(clock, THURSDAY, 20, 30, zone=NEW_YORK)
    lead = LeadFactory(phone="+13055550100", state="GA")
    permission = _ask(lead)
    assert set(permission.states) == {"GA", "FL"}
    assert permission.reason == Reason.QUIET_HOURS
    assert "Florida rules end calls at 20:00" in permission.message


def test_texas_sunday_calls_start_at_noon(clock):
    _at(clock, SUNDAY, 11, 30)
    lead = LeadFactory(phone="+15125550100", state="TX")
    permission = _ask(lead)
    assert permission.reason == Reason.QUIET_HOURS
    assert "Texas rules start calls at 12:00" in permission.message
    # Texas spans two zones: noon must have come in El Paso (Mountain time) too.
    assert permission.next_allowed_at == at(SUNDAY, 12, zone="America/Denver")
    _at(clock, SUNDAY, 12, 0, zone="America/Denver")
    assert _ask(lead).allowed


def test_rhode_island_bans_sunday_calls(clock):
    _at(clock, SUNDAY, 14, 0, zone=NEW_YORK)
    lead = LeadFactory(phone="+14015550100", state="RI")
    permission = _ask(lead)
    assert permission.reason == Reason.STATE_SUNDAY
    assert "Rhode Island rules ban calls on Sundays" in permission.message
    assert permission.next_allowed_at == at(SUNDAY + timedelta(days=1), 9, zone=NEW_YORK)
    _one_decision(permission)


def test_pennsylvania_bans_calls_on_the_fourth_of_july(clock):
    _at(clock, date(2028, 7, 4), 11, 0, zone=NEW_YORK)  # a Tuesday
    lead = LeadFactory(phone="+12155550100", state="PA")
    permission = _ask(lead)
    assert permission.reason == Reason.STATE_HOLIDAY
    assert "Independence Day" in permission.message
    assert permission.next_allowed_at == at(date(2028, 7, 5), 8, zone=NEW_YORK)


def test_the_pennsylvania_sunday_ban_waits_for_its_flag(clock, settings):
    _at(clock, SUNDAY, 11, 0, zone=NEW_YORK)
    lead = LeadFactory(phone="+12155550100", state="PA")
    assert _ask(lead, record=False).allowed
    settings.COMPLIANCE_PA_SUNDAY_BAN = True
    assert _ask(lead, record=False).reason == Reason.STATE_SUNDAY


def test_maine_allows_automated_calls_on_weekdays_only(clock):
    _at(clock, date(2027, 3, 6), 11, 0, zone=NEW_YORK)  # a Saturday
    lead = LeadFactory(phone="+12075550100", state="ME")
    permission = _ask(lead, record=False)
    assert permission.reason == Reason.QUIET_HOURS
    assert permission.next_allowed_at == at(date(2027, 3, 8), 9, zone=NEW_YORK)


def test_a_number_with_no_known_place_is_refused(clock):
    _at(clock, THURSDAY, 11)
    org = OrganizationFactory()
    ConsentFactory(organization=org, number="+18005550100")
    permission = _ask(number="+18005550100", organization=org)
    assert permission.reason == Reason.UNKNOWN_TIMEZONE
    assert permission.timezones == []


# Rule 6: daily cap.


def test_the_fourth_attempt_in_24_hours_is_refused(clock):
    _at(clock, THURSDAY, 10, 0, zone=NEW_YORK)
    lead = LeadFactory(phone="+13055550100", state="FL")
    first = at(THURSDAY, 10, 0, zone=NEW_YORK)
    for minutes in (0, 1, 2):
        clock.move_to(first + timedelta(minutes=minutes), tick=False)
        assert _ask(lead).allowed
    clock.move_to(first + timedelta(minutes=3), tick=False)
    permission = _ask(lead)
    assert permission.reason == Reason.DAILY_CAP
    assert permission.next_allowed_at == first + timedelta(hours=24)
    assert CallDecision.objects.count() == 4
    clock.move_to(first + timedelta(hours=24, minutes=1), tick=False)
    assert _ask(lead).allowed


def test_refused_and_unrecorded_decisions_are_not_attempts(clock):
    _at(clock, THURSDAY, 10, 0, zone=NEW_YORK)
    lead = LeadFactory(phone="+13055550100", state="FL")
    for _ in range(5):
        assert _ask(lead, record=False).allowed
    assert not CallDecision.objects.exists()


# Rule 7: registry do-not-call lists.


def test_a_stale_registry_snapshot_pauses_dialling(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL")
    DncSnapshotFactory(
        area_code="312", downloaded_at=at(THURSDAY, 11, zone=CHICAGO) - timedelta(days=32)
    )
    permission = _ask(lead)
    assert permission.reason == Reason.DNC_SNAPSHOT_STALE
    assert _one_decision(permission).dnc_snapshot_at is not None
    DncSnapshotFactory(
        area_code="312", downloaded_at=at(THURSDAY, 11, zone=CHICAGO) - timedelta(days=30)
    )
    assert _ask(lead, record=False).allowed


def test_a_registry_number_needs_written_consent_naming_the_seller(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL", consent=False)
    snapshot = DncSnapshotFactory(area_code="312")
    snapshot.numbers.create(number=lead.phone)
    consent_for(lead, kind=Consent.Kind.PEC_INFORMATIONAL)
    assert _ask(lead, purpose="informational").reason == Reason.DNC_REGISTRY
    consent_for(lead)
    assert _ask(lead, purpose="informational", record=False).allowed
    assert _ask(lead, record=False).allowed


# Rules 8 and 10: the internal do-not-call list covers the whole organization.


def test_an_opt_out_at_one_property_covers_the_organization_only(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL")
    org = lead.property.organization
    suppression_add(organization=org, number=lead.phone, source=Suppression.Source.SPOKEN)
    sister = LeadFactory(property=PropertyFactory(organization=org), phone=lead.phone, state="IL")
    other = LeadFactory(phone=lead.phone, state="IL")
    assert _ask(lead, record=False).reason == Reason.OPTED_OUT
    assert _ask(sister, record=False).reason == Reason.OPTED_OUT
    assert _ask(other, record=False).allowed


def test_a_repeated_opt_out_changes_nothing_and_outlives_the_lead(clock):
    lead = LeadFactory(phone="+13125550100", do_not_call=True)
    first = lead_do_not_call_sync(lead=lead)
    again = suppression_add(
        organization=lead.property.organization, number=lead.phone, source="dtmf"
    )
    assert again == first
    assert again.source == Suppression.Source.LEAD_FLAG
    lead.delete()
    assert Suppression.objects.get().number == "+13125550100"


def test_a_lead_ticked_do_not_call_is_refused(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL", do_not_call=True)
    assert _ask(lead).reason == Reason.OPTED_OUT


# Rule 18: Washington.


@pytest.mark.parametrize(
    ("source", "reason"),
    [("purchased_list", Reason.STATE_ADAD_RESTRICTED), ("import", Reason.STATE_ADAD_RESTRICTED),
     ("web_form", "")],
)  # fmt: skip
def test_washington_leads_from_bought_lists_are_not_called(clock, source, reason):
    _at(clock, THURSDAY, 11, zone="America/Los_Angeles")
    lead = LeadFactory(phone="+12065550100", state="WA", consent=False)
    consent_for(lead, source=source)
    assert _ask(lead).reason == reason


# Test calls, bad numbers, the audit.


def test_test_calls_ring_only_staff_phones(clock):
    _at(clock, THURSDAY, 23)  # staff test at any hour
    org = OrganizationFactory()
    StaffPhoneFactory(organization=org, number="+13125550100")
    allowed = _ask(number="+13125550100", organization=org, purpose="test")
    refused = _ask(number="+13125550111", organization=org, purpose="test")
    assert allowed.allowed
    assert refused.reason == Reason.NOT_STAFF_PHONE
    assert CallDecision.objects.count() == 2


def test_an_invalid_number_is_refused_and_recorded(clock):
    permission = _ask(number="12", organization=OrganizationFactory())
    assert permission.reason == Reason.INVALID_NUMBER
    assert _one_decision(permission).number == "12"


def test_decisions_cannot_be_changed(clock):
    permission = _ask(number="12", organization=OrganizationFactory())
    permission.decision.reason = Reason.QUIET_HOURS
    with pytest.raises(ValueError, match=CALL_DECISION_IMMUTABLE):
        permission.decision.save()


def test_the_refusal_error_carries_the_reason(clock):
    permission = _ask(number="12", organization=OrganizationFactory(), record=False)
    error = CallRefusedError(permission)
    assert isinstance(error, ValidationError)
    assert error.code == error.reason == Reason.INVALID_NUMBER
    assert error.message == permission.message


def test_reason_codes_are_the_documented_ones():
    assert set(REASONS) == {
        "invalid_number", "not_staff_phone", "opted_out", "dnc_snapshot_stale", "dnc_registry",
        "no_written_consent", "consent_other_number", "state_adad_restricted",
        "unknown_timezone", "state_sunday", "state_holiday", "quiet_hours", "daily_cap",
        "number_reassigned", "number_reassigned_check_due",
    }  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_both_take_the_last_call_of_the_day(clock, monkeypatch):
    counted = _Evaluation._attempts

    def slow_count(self, at):
        attempts = counted(self, at)
        time.sleep(0.2)  # every request has counted before any has written, without the lock
        return attempts

    monkeypatch.setattr(_Evaluation, "_attempts", slow_count)
    _at(clock, THURSDAY, 10, 0, zone=NEW_YORK)
    lead = LeadFactory(phone="+13055550100", state="FL")
    for _ in range(2):
        assert _ask(lead).allowed
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def request() -> None:
        try:
            barrier.wait()
            results.append(_ask(lead).allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert CallDecision.objects.filter(decision="allowed").count() == 3


def test_a_decision_outlives_its_lead(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone="+13125550100", state="IL")
    decision = _ask(lead).decision
    lead_id = lead.pk
    lead.delete()
    decision.refresh_from_db()
    assert decision.lead is None
    assert decision.lead_ref == lead_id
    assert decision.consent_ref is not None  # the consent's lead is gone; its id is kept too


def test_the_rule_tables_cover_every_state():
    assert set(rules.STATE_TIME_ZONES) == set(rules.US_STATES)
    assert set(rules.STATE_RULES) <= set(rules.US_STATES)
    all_party = "CA CT DE FL IL MA MD MI MT NH NV PA WA"  # calling-compliance.md §4
    assert sorted(rules.ALL_PARTY_RECORDING_STATES) == all_party.split()
