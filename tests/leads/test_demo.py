import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from leads.demo import COMPLIANCE_LEADS, DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead
from properties.models import OfficeHours, Property, Unit
from tests.clock import PACIFIC, at

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        model.__name__: sorted(
            (row.pk, getattr(row, "updated_at", None)) for row in model.objects.all()
        )
        for model in (get_user_model(), Property, Unit, OfficeHours, Lead)
    }


def test_load_demo_data_creates_properties_units_leads_and_login():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert Property.objects.count() == 2
    assert Unit.objects.filter(status=Unit.Status.AVAILABLE).count() >= 4
    assert Lead.objects.count() == 4 + len(COMPLIANCE_LEADS)
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.is_staff
    assert user.check_password(DEMO_PASSWORD)
    assert "Demo data created" in out.getvalue()


def test_load_demo_data_twice_changes_nothing():
    call_command("load_demo_data", stdout=StringIO())
    before = _snapshot()
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert _snapshot() == before
    assert "nothing changed" in out.getvalue()


def test_load_demo_data_keeps_admin_edits():
    call_command("load_demo_data", stdout=StringIO())
    Unit.objects.filter(unit_number="101").update(monthly_rent=9999)
    call_command("load_demo_data", stdout=StringIO())
    assert Unit.objects.get(unit_number="101").monthly_rent == 9999


def test_demo_availability_counts_from_today_at_each_property(clock):
    # 22:30 in San Francisco is 00:30 tomorrow in Austin and 06:30 tomorrow in UTC.
    clock.move_to(at(date(2027, 12, 31), 22, 30, zone=PACIFIC), tick=False)
    call_command("load_demo_data", stdout=StringIO())
    harbor = Property.objects.get(name="Harbor View Apartments")
    cedar = Property.objects.get(name="Cedar Park Residences")
    studio = Unit.objects.get(property=harbor, unit_number="101")  # available in 0 days
    assert studio.available_from == date(2027, 12, 31)
    assert Lead.objects.get(phone="+14155550123").move_in_date == date(2028, 1, 30)
    assert Lead.objects.get(property=cedar, phone="+15125550166").move_in_date == date(2028, 1, 31)


def test_readme_api_examples_use_each_demo_leads_own_number():
    """The README's curl session names demo leads by id: lead N is the Nth demo lead."""
    call_command("load_demo_data", stdout=StringIO())
    leads = list(Lead.objects.order_by("pk"))
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    examples = re.findall(
        r'"phone_number": "(\+\d+)", "assistant_id": \d+,\s*"lead_id": (\d+)', readme
    )
    assert len(examples) >= 2
    for number, lead_id in examples:
        assert leads[int(lead_id) - 1].phone == number, f"lead {lead_id} in the README"
