"""A lead's ZIP code as a location candidate (calling-compliance.md §7 rules 3-4).

Candidates = address zone + ZIP zone + area-code zones; the ZIP's state joins the state set.
Every gate test moves the suite's clock to a stated local time first.
"""

from datetime import date

import phonenumbers
import pytest

from leads.compliance.gate import Reason, call_permission
from leads.compliance.models import CallDecision
from leads.compliance.zones import call_location
from tests.clock import at
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
CHICAGO = "America/Chicago"
NEW_YORK = "America/New_York"
INDIANAPOLIS = "America/Indiana/Indianapolis"
TOLL_FREE = "+18005550100"  # non-geographic: says nothing about where the person is


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


def _location(number, postal_code, **kwargs):
    return call_location(parsed=phonenumbers.parse(number), postal_code=postal_code, **kwargs)


def test_a_pensacola_zip_with_a_chicago_number_gets_florida_rules(clock):
    _at(clock, THURSDAY, 20, 30)
    lead = LeadFactory(phone="+13125550100", postal_code="32501")
    permission = _ask(lead)
    assert permission.reason == Reason.QUIET_HOURS
    assert permission.message.startswith(
        "It is 20:30 on Thursday in America/Chicago (Florida rules end calls at 20:00)."
    )
    assert permission.states == {"FL": ["ZIP 32501"], "IL": ["area code 312"]}
    (row,) = CallDecision.objects.all()
    sources = {zone["zone"]: zone["sources"] for zone in row.timezones}
    assert "ZIP 32501" in sources[CHICAGO]
    assert "ZIP 32501 state FL" in sources[NEW_YORK]
    assert row.states["FL"] == ["ZIP 32501"]


def test_without_the_zip_the_same_number_gets_the_federal_window(clock):
    _at(clock, THURSDAY, 20, 30)
    lead = LeadFactory(phone="+13125550100")
    assert _ask(lead, record=False).allowed


def test_a_zip_in_central_indiana_adds_chicago_time(clock):
    location = _location("+13175550100", "46320")  # Hammond, with an Indianapolis number
    assert location.zones[CHICAGO][0] == "ZIP 46320"
    assert location.states["IN"] == ["ZIP 46320", "area code 317"]


def test_a_zip_alone_places_a_toll_free_number(clock):
    _at(clock, THURSDAY, 7, 30)  # 08:30 in Indianapolis, 07:30 in Hammond
    lead = LeadFactory(phone=TOLL_FREE, postal_code="46320")
    permission = _ask(lead, record=False)
    assert {zone["zone"] for zone in permission.timezones} == {CHICAGO, INDIANAPOLIS}
    assert permission.reason == Reason.QUIET_HOURS
    assert "in America/Chicago (federal rules start calls at 08:00)" in permission.message
    _at(clock, THURSDAY, 8, 0)
    assert _ask(lead, record=False).allowed


@pytest.mark.parametrize("postal_code", ["32501-1234", "325011234", " 32501 "])
def test_zip_plus_four_counts_by_its_first_five_digits(clock, postal_code):
    location = _location(TOLL_FREE, postal_code)
    assert location.zones[CHICAGO][0] == "ZIP 32501"
    assert location.states == {"FL": ["ZIP 32501"]}


@pytest.mark.parametrize(
    "postal_code",
    ["", "ABCDE", "3250", "325011", "32501-12", "99999", "00000", "09001", "V6B 1A1"],
)
def test_an_invalid_or_unknown_zip_adds_nothing(clock, postal_code):
    # 99999 and 00000 are no ZIPs; 09001 is a military (AE) ZIP with no zone or US state.
    location = _location(TOLL_FREE, postal_code)
    assert location.zones == {}
    assert location.states == {}
    assert _location("+13125550100", postal_code) == _location("+13125550100", "")


def test_a_bad_zip_leaves_a_toll_free_lead_unplaced(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone=TOLL_FREE, postal_code="ABCDE")
    permission = _ask(lead)
    assert permission.reason == Reason.UNKNOWN_TIMEZONE
    assert permission.timezones == []


def test_the_property_time_zone_is_not_a_candidate(clock):
    _at(clock, THURSDAY, 11)
    lead = LeadFactory(phone=TOLL_FREE, property__timezone=NEW_YORK)
    assert _ask(lead, record=False).reason == Reason.UNKNOWN_TIMEZONE
