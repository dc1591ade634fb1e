"""The retention policy on the organization's admin page: its admins change it, other members
only see it, and the page shows what the next run will remove (the dry-run counts)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from properties.models import Membership
from tests.factories import CallLogFactory, MembershipFactory, PropertyFactory, UserFactory
from voice.models import CallLog, RetentionPolicy

pytestmark = pytest.mark.django_db


def _member(organization, role):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=organization, role=role)
    return user


def _form_data(response) -> dict:
    """The change form as the browser would post it back (main form and every inline)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()  # as rendered (a username for the member picker)
            if value is None:
                continue
            data[form.add_prefix(name)] = value
    return data


def test_an_organization_admin_sets_the_policy_and_sees_what_the_next_run_removes(client):
    prop = PropertyFactory()
    organization = prop.organization
    old = CallLogFactory(property=prop, recording_url="https://storage.vapi.ai/r.wav")
    CallLog.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=91))
    admin_user = _member(organization, Membership.Role.ADMIN)
    client.force_login(admin_user)
    url = reverse("admin:properties_organization_change", args=[organization.pk])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Next retention run will remove" in html
    assert "Call recordings (here and at Vapi): 1" in html
    data = _form_data(page)
    data["memberships-0-user"] = admin_user.username  # the member picker takes usernames
    prefix = next(
        i.formset.prefix
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is RetentionPolicy
    )
    data.update(
        {
            f"{prefix}-0-recordings_days": "30",
            f"{prefix}-0-transcripts_days": "60",
            f"{prefix}-0-transcript_action": "delete",
            f"{prefix}-0-webhook_payloads_days": "7",
            f"{prefix}-0-unconverted_leads_months": "12",
            f"{prefix}-0-organization": organization.pk,
        }
    )

    saved = client.post(url, data)

    assert saved.status_code == 302, [
        (f.prefix, f.errors)
        for i in saved.context["inline_admin_formsets"]
        for f in i.formset.forms
    ] + [saved.context["adminform"].form.errors]
    policy = RetentionPolicy.objects.get(organization=organization)
    assert (policy.recordings_days, policy.transcript_action) == (30, "delete")
    assert not CallLog.objects.filter(recording_url="").exists()  # the page removed nothing


def test_a_manager_sees_the_policy_but_cannot_change_it(client):
    prop = PropertyFactory()
    organization = prop.organization
    RetentionPolicy.objects.create(organization=organization, recordings_days=45)
    client.force_login(_member(organization, Membership.Role.MANAGER))
    url = reverse("admin:properties_organization_change", args=[organization.pk])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Next retention run will remove" in html
    assert "45" in html
    data = _form_data(page)
    data.update({k: "10" for k in data if k.endswith("-recordings_days")})
    client.post(url, data)
    assert RetentionPolicy.objects.get(organization=organization).recordings_days == 45


def test_members_of_another_organization_never_see_the_policy(client):
    prop = PropertyFactory()
    other = PropertyFactory().organization
    client.force_login(_member(other, Membership.Role.ADMIN))

    page = client.get(reverse("admin:properties_organization_change", args=[prop.organization.pk]))

    assert page.status_code in (302, 404)
