"""Every admin changelist, add and change page answers 200 with demo data loaded."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import (
    AssistantFactory,
    CallbackFactory,
    CallLogFactory,
    LeadActivityFactory,
    TourFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo_data", verbosity=0)
    Group.objects.create(name="Leasing agents")
    activity = LeadActivityFactory()
    TourFactory(lead=activity.lead)
    AssistantFactory(property=activity.lead.property)
    CallLogFactory(lead=activity.lead, property=activity.lead.property)
    CallbackFactory(lead=activity.lead)
    RefreshToken.for_user(UserFactory()).blacklist()  # token_blacklist admin pages
    # Compliance records: a suppression, a registry snapshot, one gate decision.
    from leads.compliance.gate import call_permission
    from tests.factories import DncSnapshotFactory, SuppressionFactory

    organization = activity.lead.property.organization
    SuppressionFactory(organization=organization)
    DncSnapshotFactory()
    call_permission(organization=organization, number=activity.lead.phone, purpose="marketing",
                    path="api")  # fmt: skip

    # The webhook inbox and live transcript lines (voice admin).
    from django.utils import timezone

    from voice.models import TranscriptLine, WebhookEvent

    WebhookEvent.objects.create(
        message_type="status-update", vapi_call_id="call-1", dedupe_key="k1", payload={}
    )
    TranscriptLine.objects.create(
        vapi_call_id="call-1", role="user", text="Hi there", spoken_at=timezone.now()
    )

    # An outbound campaign, started, so that its contacts inline has rows.
    from tests.factories import CampaignFactory
    from voice.campaigns.services import campaign_start

    assistant = activity.lead.property.assistants.first()
    campaign_start(campaign=CampaignFactory(assistant=assistant))


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m._meta.model_name}"
)
def test_admin_changelist_and_change_pages_answer_200(admin_client, admin_user, rf, demo, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "a"}).status_code == 200
    obj = model.objects.first()
    assert obj is not None, f"no {opts.model_name} to open"
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200
    request = rf.get("/")
    request.user = admin_user
    if admin.site._registry[model].has_add_permission(request):
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert admin_client.get(add).status_code == 200


def test_admin_rejects_invalid_phone_with_clear_message(admin_client, demo):
    from properties.models import Property

    prop = Property.objects.first()
    url = reverse("admin:properties_property_change", args=[prop.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "organization": prop.organization_id,
            "leasing_phone": "12345",
            "office_hours-TOTAL_FORMS": 0,
            "office_hours-INITIAL_FORMS": 0,
            "units-TOTAL_FORMS": 0,
            "units-INITIAL_FORMS": 0,
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Enter a valid phone number in E.164 format" in response.content.decode()


def test_admin_has_no_view_site_link_to_a_missing_page(admin_client):
    # The product has no public site: "/" is a 404, so the admin header does not link to it.
    for url in (reverse("admin:index"), reverse("admin:voice_calllog_changelist")):
        html = admin_client.get(url).content.decode()
        assert "View site" not in html
        assert 'href="/"' not in html
    assert admin_client.get("/").status_code == 404


def test_units_list_is_short_columns(admin_client):
    from decimal import Decimal

    from properties.models import Unit
    from tests.factories import PropertyFactory

    prop = PropertyFactory(name="Harbor View")
    Unit.objects.create(
        property=prop,
        unit_number="PH-1",
        floor_plan="Penthouse",
        bedrooms=0,
        bathrooms=Decimal("1.5"),
        monthly_rent=Decimal("12500.50"),
        available_from=None,
    )

    html = admin_client.get(reverse("admin:properties_unit_changelist")).content.decode()

    for header in ("Unit", "Property", "Floor plan", "Beds / baths", "Rent", "Available"):
        assert f">{header}</a>" in html, header
    assert "Studio / 1.5 ba" in html
    assert "$12,500.50" in html
