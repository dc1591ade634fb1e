"""The compliance records around the gate: registry imports, the do-not-call list fed from the
lead's box, and the demo's consents."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leads.compliance.models import Consent, DncNumber, DncSnapshot, StaffPhone, Suppression
from leads.compliance.services import dnc_parse_lines
from leads.demo import CONSENT_OTHER_NUMBER, demo_data_load
from leads.models import Lead
from leads.services import lead_create, lead_update
from tests.factories import LeadFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def _import(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "dnc.txt"
    path.write_text(text)
    out = StringIO()
    call_command("import_dnc", str(path), *args, stdout=out)
    return out.getvalue()


def test_import_dnc_reads_both_file_formats(tmp_path):
    text = '4155550100\n\n415,5550101\n"415","5550102"\n14155550103\n2065550100\n'
    output = _import(tmp_path, text, "--area-code", "415", "--downloaded", "2026-11-20")

    snapshot = DncSnapshot.objects.get()
    assert (snapshot.registry, snapshot.area_code, snapshot.count) == ("national", "415", 4)
    assert snapshot.downloaded_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert set(DncNumber.objects.values_list("number", flat=True)) == {
        "+14155550100",
        "+14155550101",
        "+14155550102",
        "+14155550103",
    }  # the 206 number is not this file's area code
    assert "Imported 4 numbers" in output


def test_import_dnc_for_a_state_list(tmp_path):
    _import(tmp_path, "3055550100\n", "--area-code", "305", "--downloaded", "2026-11-20",
            "--registry", "fl")  # fmt: skip
    assert DncSnapshot.objects.get().registry == "FL"


@pytest.mark.parametrize(
    ("args", "text", "message"),
    [
        (["--area-code", "41", "--downloaded", "2026-11-20"], "", "three digits"),
        (["--area-code", "415", "--downloaded", "20 Nov"], "", "YYYY-MM-DD"),
        (["--area-code", "415", "--downloaded", "2026-11-20", "--registry", "XX"], "", "state"),
        (["--area-code", "415", "--downloaded", "2026-11-20"], "415555\n", "Line 1"),
    ],
)
def test_import_dnc_refuses_bad_input(tmp_path, args, text, message):
    with pytest.raises(CommandError, match=message):
        _import(tmp_path, text, *args)
    assert not DncSnapshot.objects.exists()


def test_dnc_lines_skip_a_header():
    assert list(dnc_parse_lines(lines=["Phone Number\n", "4155550100\n"], area_code="415")) == [
        "+14155550100"
    ]


def test_ticking_do_not_call_writes_the_organizations_list():
    prop = PropertyFactory()
    lead = lead_create(prop=prop, first_name="Ada", phone="+13125550100")
    assert not Suppression.objects.exists()

    lead_update(lead=lead, do_not_call=True)
    lead_update(lead=lead, do_not_call=False)  # unticking keeps the opt-out on record

    suppression = Suppression.objects.get()
    assert (suppression.organization, suppression.number) == (prop.organization, lead.phone)
    assert suppression.source == Suppression.Source.LEAD_FLAG


def test_a_lead_created_as_do_not_call_is_suppressed():
    lead = lead_create(prop=PropertyFactory(), phone="+13125550100", do_not_call=True)
    assert Suppression.objects.get().lead == lead


def test_the_demo_records_written_consent_for_its_consented_leads():
    demo_data_load()
    demo_data_load()  # idempotent
    consented = Lead.objects.filter(consent_to_call=True)
    assert consented.exists()
    consents = Consent.objects.all()
    # One demo lead consented at another number on purpose (it shows `consent_other_number`).
    numbers = {c.number for c in consents} - {CONSENT_OTHER_NUMBER}
    assert numbers == {lead.phone for lead in consented}
    for consent in consents:
        assert consent.kind == Consent.Kind.PEWC_AI_VOICE
        assert consent.organization.legal_name in consent.disclosure
        assert "not a condition" in consent.disclosure
    assert StaffPhone.objects.count() == 1


def test_the_lead_factory_records_consent_unless_told_not_to():
    assert Consent.objects.filter(number=LeadFactory().phone).exists()
    assert not Consent.objects.filter(number=LeadFactory(consent=False).phone).exists()
    assert not Consent.objects.filter(number=LeadFactory(consent_to_call=False).phone).exists()
