from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from leads.demo import DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead
from properties.models import OfficeHours, Property, Unit

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
    assert Lead.objects.count() == 4
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
