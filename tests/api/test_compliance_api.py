"""The compliance records over the API: consents, the do-not-call list and the decision audit.

The ownership and role matrices (test_ownership.py, test_roles.py) cover 404s and 403s for every
operation; this file covers what the endpoints do.
"""

import pytest

from leads.compliance.gate import call_permission
from leads.compliance.models import Consent, Suppression
from properties.models import Membership
from tests.api.conftest import assert_error, bearer_client
from tests.factories import LeadFactory, MembershipFactory, PropertyFactory

pytestmark = pytest.mark.django_db

CONSENTS = "/api/v1/compliance/consents"
SUPPRESSIONS = "/api/v1/compliance/suppressions"
DECISIONS = "/api/v1/compliance/decisions"
DISCLOSURE = "I agree that Bayside Living may call me with an AI voice; not a condition of renting."


@pytest.fixture
def member(db):
    membership = MembershipFactory(role=Membership.Role.MANAGER)
    prop = PropertyFactory(organization=membership.organization)
    return membership.user, prop


def _consent(**fields):
    return {
        "number": "+13125550142",
        "kind": "pewc_ai_voice",
        "disclosure": DISCLOSURE,
        "source": "web_form",
        **fields,
    }


def test_record_and_revoke_a_consent_then_the_gate_refuses(member, calling_hours):
    user, prop = member
    lead = LeadFactory(property=prop, phone="+13125550142", consent=False)
    client = bearer_client(user)

    response = client.post(CONSENTS, _consent(lead=lead.pk), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["organization"] == prop.organization_id  # the user's only organization
    assert data["recorded_by"] == user.pk
    assert data["revoked_at"] is None
    gate = call_permission(
        organization=prop.organization,
        number=lead.phone,
        purpose="marketing",
        path="api",
        lead=lead,
        record=False,
    )
    assert gate.allowed, gate.reason

    revoked = client.post(f"{CONSENTS}/{data['id']}/revoke", {"how": "Email"}, format="json")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoked_how"] == "Email"
    again = client.post(f"{CONSENTS}/{data['id']}/revoke", {}, format="json")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # the first one stands
    gate = call_permission(
        organization=prop.organization,
        number=lead.phone,
        purpose="marketing",
        path="api",
        lead=lead,
        record=False,
    )
    assert gate.reason == "no_written_consent"
    assert client.get(f"{CONSENTS}?active=true").json()["results"] == []
    assert len(client.get(f"{CONSENTS}?active=false").json()["results"]) == 1


def test_consent_input_is_validated(member):
    user, _prop = member
    client = bearer_client(user)

    response = client.post(CONSENTS, _consent(number="12", kind="oral"), format="json")

    body = assert_error(response, 400, "validation_error")
    assert set(body["details"]) == {"number", "kind"}


def test_organization_is_needed_when_the_user_has_several(member):
    user, _prop = member
    second = MembershipFactory(user=user, role=Membership.Role.ADMIN).organization
    client = bearer_client(user)

    assert_error(client.post(CONSENTS, _consent(), format="json"), 400, "validation_error")
    created = client.post(CONSENTS, _consent(organization=second.pk), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["organization"] == second.pk


def test_a_lead_of_another_of_the_users_organizations_is_a_400(member):
    user, prop = member
    second = MembershipFactory(user=user, role=Membership.Role.ADMIN).organization
    lead = LeadFactory(property=prop)

    response = bearer_client(user).post(
        CONSENTS, _consent(organization=second.pk, lead=lead.pk), format="json"
    )

    body = assert_error(response, 400, "validation_error")
    assert "lead" in body["details"]


def test_read_only_member_lists_but_may_not_record(member):
    _user, prop = member
    reader = MembershipFactory(organization=prop.organization, role=Membership.Role.READ_ONLY).user
    client = bearer_client(reader)

    body = assert_error(client.post(CONSENTS, _consent(), format="json"), 403, "permission_denied")
    assert body["detail"].startswith("Read-only members may not")
    assert_error(
        client.post(SUPPRESSIONS, {"number": "+13125550142"}, format="json"),
        403,
        "permission_denied",
    )
    assert client.get(SUPPRESSIONS).status_code == 200
    assert not Consent.objects.exists()
    assert not Suppression.objects.exists()


def test_staff_suppression_is_idempotent_and_never_deleted(member, calling_hours):
    user, prop = member
    client = bearer_client(user)
    body = {"number": "(312) 555-0142", "note": "Lead emailed: don't call."}

    first = client.post(SUPPRESSIONS, body, format="json")
    second = client.post(SUPPRESSIONS, {**body, "note": "again"}, format="json")

    assert first.status_code == 201, first.content
    assert first.json()["number"] == "+13125550142"
    assert first.json()["source"] == "staff"
    assert second.status_code == 200
    assert second.json() == first.json()
    url = f"{SUPPRESSIONS}/{first.json()['id']}"
    assert client.delete(url).status_code in (404, 405)
    assert client.delete(SUPPRESSIONS).status_code == 405
    assert Suppression.objects.count() == 1
    gate = call_permission(
        organization=prop.organization,
        number="+13125550142",
        purpose="marketing",
        path="api",
        record=False,
    )
    assert gate.reason == "opted_out"


def test_decisions_are_read_only_and_filtered(member, calling_hours):
    user, prop = member
    client = bearer_client(user)
    lead = LeadFactory(property=prop)
    allowed = call_permission(
        organization=prop.organization,
        number=lead.phone,
        purpose="marketing",
        path="api",
        lead=lead,
    ).decision
    refused = call_permission(
        organization=prop.organization,
        number="+13125550199",
        purpose="marketing",
        path="admin_action",
    ).decision

    def ids(query: str) -> set:
        response = client.get(f"{DECISIONS}?{query}")
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids("") == {allowed.pk, refused.pk}
    assert ids("decision=refused") == {refused.pk}
    assert ids("reason=no_written_consent") == {refused.pk}
    assert ids(f"lead={lead.pk}") == {allowed.pk}
    assert ids("number=%2B13125550199") == {refused.pk}
    assert ids("path=api") == {allowed.pk}
    assert ids("since=2999-01-01T00:00:00Z") == set()
    assert_error(client.get(f"{DECISIONS}?reason=bogus"), 400, "validation_error")
    assert_error(client.get(f"{DECISIONS}?since=yesterday"), 400, "validation_error")
    assert client.post(DECISIONS, {}, format="json").status_code == 405
