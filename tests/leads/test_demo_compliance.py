"""The demo's compliance leads (leads/demo.py COMPLIANCE_LEADS) each show their answer in the
admin's "Call with AI assistant" preview, at one fixed instant: Sunday 13 June 2027, 20:30 in
Chicago (21:30 in New York, 18:30 in San Francisco)."""

import re
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from leads.compliance.gate import REASONS
from leads.demo import COMPLIANCE_LEADS, DEMO_PASSWORD
from leads.models import Lead
from tests.clock import at
from voice.calls.operations import leads_call_plan

pytestmark = pytest.mark.django_db

SUNDAY_EVENING = at(date(2027, 6, 13), 20, 30, zone="America/Chicago")
# What the preview shows for each demo lead at SUNDAY_EVENING ("" = the gate allows the call).
EXPECTED = {
    "no_consent": "no_written_consent",
    "consent_other_number": "consent_other_number",
    "opted_out": "opted_out",
    "dnc_stale": "dnc_snapshot_stale",
    "dnc_registry": "dnc_registry",
    "quiet_hours_fl": "quiet_hours",  # Florida ends at 20:00
    "allowed_il": "",  # federal end is 21:00
    "daily_cap": "daily_cap",
    "sunday_ri": "state_sunday",
    "purchased_wa": "state_adad_restricted",
    "allowed_tx": "",  # Texas allows Sundays from 12:00
    "reassigned": "number_reassigned",
    "recheck_due": "number_reassigned_check_due",  # Texas hours allow it: the check is last
}


def _plan_codes(now) -> dict[str, str]:
    phones = {phone: key for key, phone, *_ in COMPLIANCE_LEADS}
    plan = leads_call_plan(leads=Lead.objects.filter(phone__in=phones), now=now)
    return {phones[item.lead.phone]: item.skip_code for item in plan}


def test_each_demo_lead_shows_its_refusal_in_the_call_preview(clock):
    clock.move_to(SUNDAY_EVENING - timedelta(minutes=5))
    call_command("load_demo_data", stdout=StringIO())

    codes = _plan_codes(SUNDAY_EVENING)

    assert codes == EXPECTED
    shown = {code for code in codes.values() if code}
    # Every refusal the gate can give a leasing call to a lead, but the ones that need odd data.
    assert shown == set(REASONS) - {
        "invalid_number",  # a lead's phone is validated when saved
        "not_staff_phone",  # test calls only
        "unknown_timezone",  # every US area code has a zone
        "state_holiday",  # on a holiday only (the same RI lead on 4 July)
    }


def test_the_demo_leads_keep_their_answer_a_day_later_after_make_run(clock):
    """`make run` loads the demo data again: the daily cap and the fresh registry copy are
    topped up, so the preview still shows them."""
    clock.move_to(SUNDAY_EVENING - timedelta(days=1, minutes=5))
    call_command("load_demo_data", stdout=StringIO())
    clock.move_to(SUNDAY_EVENING - timedelta(minutes=5))
    call_command("load_demo_data", stdout=StringIO())

    assert _plan_codes(SUNDAY_EVENING) == EXPECTED


def test_demo_logins_still_work_with_the_compliance_leads(client, clock):
    call_command("load_demo_data", stdout=StringIO())
    assert client.login(username="agent.cedar", password=DEMO_PASSWORD)
    response = client.get("/admin/leads/lead/")
    assert response.status_code == 200
    assert "No-Consent" in response.content.decode()


def test_the_readme_table_names_each_demo_lead_with_its_number_and_answer():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    rows = re.findall(
        r"^\| (\w+) ([\w-]+) \| \+1 (\d{3})-(\d{3})-(\d{4}) \| ([^|]+) \|", readme, re.M
    )
    by_name = {f"{first} {last}": (key, phone) for key, phone, first, last, *_ in COMPLIANCE_LEADS}
    assert {f"{first} {last}" for first, last, *_ in rows} == set(by_name)
    for first, last, npa, nxx, line, shown in rows:
        key, phone = by_name[f"{first} {last}"]
        assert phone == f"+1{npa}{nxx}{line}", first
        code = EXPECTED[key]
        assert (f"`{code}`" in shown) if code else shown.startswith("allowed"), (first, shown)
