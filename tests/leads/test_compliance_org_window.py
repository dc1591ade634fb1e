"""The organization's own calling window (calling-compliance.md §7 rule 2).

Calls must fall inside federal 08-21, each state's window and the organization's, all in the
called person's local time. The refusal stays `quiet_hours`; its message names the rule that
binds. Every test moves the suite's clock to a stated local time before it creates anything.
"""

from datetime import date, time, timedelta

import pytest

from leads.compliance.gate import Reason, call_permission
from leads.compliance.models import CallDecision
from tests.clock import at
from tests.factories import (
    LeadFactory,
    OrganizationFactory,
    PropertyFactory,
    StaffPhoneFactory,
)

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
FRIDAY = THURSDAY + timedelta(days=1)
CHICAGO = "America/Chicago"
INDIANAPOLIS = "America/Indiana/Indianapolis"
WINDOW = "(Bayside Living's calling window is 10:00\u201319:00)"


def _ask(lead, **kwargs):
    return call_permission(
        organization=lead.property.organization,
        number=lead.phone,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=lead,
        **kwargs,
    )


def _at(clock, day, hour, minute=0, zone=CHICAGO):
    clock.move_to(at(day, hour, minute, zone=zone), tick=False)


def _lead(start=time(10), end=time(19), *, phone="+13125550100", state="IL", **kwargs):
    organization = OrganizationFactory(
        name="Bayside Living", calling_window_start=start, calling_window_end=end
    )
    return LeadFactory(
        property=PropertyFactory(organization=organization), phone=phone, state=state, **kwargs
    )


def test_before_the_organizations_window_is_quiet_hours_until_it_opens(clock):
    _at(clock, THURSDAY, 9, 30)
    permission = _ask(_lead())
    assert permission.reason == Reason.QUIET_HOURS
    assert permission.message == (
        f"It is 09:30 on Thursday in America/Chicago {WINDOW}. "
        "The next allowed moment is 10:00 on Thursday, March 4 in America/Chicago."
    )
    assert permission.next_allowed_at == at(THURSDAY, 10, zone=CHICAGO)
    (row,) = CallDecision.objects.all()
    assert row.next_allowed_at == permission.next_allowed_at
    assert row.reason == Reason.QUIET_HOURS


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(9, 59, False), (10, 0, True), (18, 59, True), (19, 0, False), (20, 30, False)],
)
def test_the_organizations_window_is_start_inclusive_end_exclusive(clock, hour, minute, allowed):
    _at(clock, THURSDAY, hour, minute)
    permission = _ask(_lead(), record=False)
    assert permission.allowed is allowed
    assert permission.reason == ("" if allowed else Reason.QUIET_HOURS)


def test_at_the_end_of_the_window_the_next_moment_is_tomorrows_start(clock):
    _at(clock, THURSDAY, 19, 0)
    permission = _ask(_lead(), record=False)
    assert permission.message.startswith(f"It is 19:00 on Thursday in America/Chicago {WINDOW}.")
    assert permission.next_allowed_at == at(FRIDAY, 10, zone=CHICAGO)


def test_a_window_opening_off_the_quarter_hour_is_the_next_moment_exactly(clock):
    _at(clock, THURSDAY, 9, 0)
    permission = _ask(_lead(time(9, 10), time(19)), record=False)
    assert permission.next_allowed_at == at(THURSDAY, 9, 10, zone=CHICAGO)


def test_the_window_holds_in_every_candidate_zone(clock):
    # A 219 number (north-west Indiana): 10:00 must have come in Chicago too.
    _at(clock, THURSDAY, 10, 0, zone=INDIANAPOLIS)
    permission = _ask(_lead(phone="+12195550100", state=""), record=False)
    assert permission.reason == Reason.QUIET_HOURS
    assert permission.message.startswith(f"It is 09:00 on Thursday in America/Chicago {WINDOW}.")
    assert permission.next_allowed_at == at(THURSDAY, 10, zone=CHICAGO)


def test_a_stricter_state_rule_is_named_before_the_organizations(clock):
    # Florida ends calls at 20:00, before this organization's 20:30.
    _at(clock, THURSDAY, 20, 15)
    lead = _lead(time(9), time(20, 30), phone="+18505550100", state="FL")
    permission = _ask(lead, record=False)
    assert "(Florida rules end calls at 20:00)" in permission.message
    # Florida allows 08:00, the organization 09:00: the organization's choice binds.
    _at(clock, THURSDAY, 8, 30)
    permission = _ask(lead, record=False)
    assert "(Bayside Living's calling window is 09:00\u201320:30)" in permission.message
    assert permission.next_allowed_at == at(THURSDAY, 9, zone=CHICAGO)


def test_on_a_tie_the_law_is_named(clock):
    _at(clock, THURSDAY, 20, 0)
    lead = _lead(time(8), time(20), phone="+18505550100", state="FL")
    assert "(Florida rules end calls at 20:00)" in _ask(lead, record=False).message


def test_a_window_wider_than_the_law_changes_nothing(clock):
    _at(clock, THURSDAY, 7, 30)
    lead = _lead(time(6), time(23))
    permission = _ask(lead, record=False)
    assert "(federal rules start calls at 08:00)" in permission.message
    assert permission.next_allowed_at == at(THURSDAY, 8, zone=CHICAGO)
    _at(clock, THURSDAY, 21, 0)
    assert "(federal rules end calls at 21:00)" in _ask(lead, record=False).message


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"), [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False)]
)
def test_the_default_window_is_the_federal_one(clock, hour, minute, allowed):
    _at(clock, THURSDAY, hour, minute)
    lead = LeadFactory(phone="+13125550100", state="IL")
    organization = lead.property.organization
    assert (organization.calling_window_start, organization.calling_window_end) == (
        time(8),
        time(21),
    )
    permission = _ask(lead, record=False)
    assert permission.allowed is allowed
    if not allowed:
        assert "federal rules" in permission.message
        assert "calling window" not in permission.message


def test_test_calls_to_staff_ignore_the_window(clock):
    _at(clock, THURSDAY, 22)
    lead = _lead()
    organization = lead.property.organization
    StaffPhoneFactory(organization=organization, number="+13125550177")
    permission = call_permission(
        organization=organization,
        number="+13125550177",
        purpose="test",
        path=CallDecision.Path.API,
        record=False,
    )
    assert permission.allowed
