"""The organization's calling window as data: defaults, validation and the admin form.

The gate's use of it is tested in tests/leads/test_compliance_org_window.py.
"""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from properties.models import CALLING_WINDOW_INVALID, Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_default_window_is_the_federal_one(clock):
    organization = OrganizationFactory()
    organization.full_clean()
    assert organization.calling_window == (time(8), time(21))


@pytest.mark.parametrize(
    ("start", "end"), [(time(19), time(10)), (time(10), time(10)), (time(0), time(0))]
)
def test_a_window_must_end_after_it_starts(clock, start, end):
    organization = OrganizationFactory.build(calling_window_start=start, calling_window_end=end)
    with pytest.raises(ValidationError) as exc:
        organization.full_clean()
    assert exc.value.message_dict == {"calling_window_end": [CALLING_WINDOW_INVALID]}


def test_a_window_inside_the_day_is_valid(clock):
    OrganizationFactory.build(
        calling_window_start=time(10), calling_window_end=time(19)
    ).full_clean()


def _change_data(client, url) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS"):
            data[f"{management.prefix}-{name}"] = 0
    return data


def test_the_admin_edits_the_window_and_rejects_an_empty_one(admin_client, clock):
    organization = OrganizationFactory()
    url = reverse("admin:properties_organization_change", args=[organization.pk])
    data = _change_data(admin_client, url)
    assert "calling_window_start" in data
    assert "calling_window_end" in data

    refused = admin_client.post(
        url, {**data, "calling_window_start": "19:00", "calling_window_end": "10:00"}
    )
    assert refused.status_code == 200
    assert CALLING_WINDOW_INVALID in refused.content.decode()

    saved = admin_client.post(
        url, {**data, "calling_window_start": "10:00", "calling_window_end": "19:00"}
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    organization = Organization.objects.get(pk=organization.pk)
    assert organization.calling_window == (time(10), time(19))
