"""Admin scoped by membership: the organizations x roles matrix over every registered admin.

Organization A and organization B each have a full set of objects; B has one staff user per role
(plus an agent assigned to another property of B). For every admin in `admin.site._registry` and
every one of B's users:
- superuser-only screens (users, groups, webhook inbox, transcript lines, token blacklist): not
  on the index, 403 on the changelist and change page;
- scoped screens: A's object is not in the changelist, its change, history and delete pages
  answer exactly like a missing id, no form offers it as a choice, and an action posted with it
  selected leaves it untouched; B's object is visible as the role table says.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.forms import ModelChoiceField
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from leads.compliance.gate import call_permission
from leads.compliance.models import CallDecision, Consent, StaffPhone, Suppression
from leads.models import Callback, Lead, LeadActivity, Tour
from properties.access import ROLE_ACTIONS, VIEW
from properties.admin_access import OrganizationScopedAdmin, SuperuserOnlyAdmin
from properties.models import Membership, OfficeHours, Organization, Property, Unit
from tests.factories import (
    AssistantFactory,
    CallbackFactory,
    CallLogFactory,
    CampaignFactory,
    DncSnapshotFactory,
    LeadActivityFactory,
    LeadFactory,
    MembershipFactory,
    PropertyFactory,
    StaffPhoneFactory,
    SuppressionFactory,
    TourFactory,
    UnitFactory,
    UserFactory,
)
from voice.models import (
    Assistant,
    CallLog,
    Campaign,
    CampaignContact,
    TranscriptLine,
    WebhookEvent,
)

pytestmark = pytest.mark.django_db

Role = Membership.Role
TEAM = {
    "admin": (Role.ADMIN, None),
    "manager": (Role.MANAGER, None),
    "agent": (Role.AGENT, "assigned"),
    "read_only": (Role.READ_ONLY, None),
    "agent_elsewhere": (Role.AGENT, "elsewhere"),
}
MISSING_ID = 987_654_321
MODELS = list(admin.site._registry)
# Organization-wide rows (properties/access.py, "Compliance records"): every member sees them;
# changing them needs the role across the organization; the audit and the do-not-call list are
# never changed in the admin.
ORGANIZATION_RECORDS = (Consent, Suppression, StaffPhone, CallDecision)
NEVER_CHANGED = (Suppression, CallDecision)


def _id(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _company(name: str) -> dict:
    prop = PropertyFactory(organization__name=name)
    lead = LeadFactory(property=prop)
    unit = UnitFactory(property=prop)
    assistant = AssistantFactory(property=prop)
    objects = {
        Organization: prop.organization,
        Property: prop,
        Unit: unit,
        OfficeHours: prop.office_hours.first(),
        Lead: lead,
        LeadActivity: LeadActivityFactory(lead=lead),
        Tour: TourFactory(lead=lead, unit=unit),
        Assistant: assistant,
        CallLog: CallLogFactory(property=prop, lead=lead, assistant=assistant),
        Campaign: (campaign := CampaignFactory(assistant=assistant)),
        CampaignContact: CampaignContact.objects.create(
            campaign=campaign, lead=lead, number=lead.phone
        ),
        Callback: CallbackFactory(lead=lead),
    }
    objects[Membership] = MembershipFactory(organization=prop.organization, role=Role.ADMIN)
    # The organization's compliance records.
    objects[Consent] = Consent.objects.get(lead=lead)  # LeadFactory records the lead's consent
    objects[Suppression] = SuppressionFactory(organization=prop.organization, lead=lead)
    objects[StaffPhone] = StaffPhoneFactory(organization=prop.organization)
    objects[CallDecision] = call_permission(
        organization=prop.organization, number="+12065550100", purpose="marketing", path="api"
    ).decision
    return objects


@pytest.fixture
def orgs(db):
    a, b = _company("Alpha Homes"), _company("Beta Living")
    elsewhere = PropertyFactory(organization=b[Organization])
    users = {}
    for member, (role, scope) in TEAM.items():
        assigned = {"assigned": [b[Property]], "elsewhere": [elsewhere], None: []}[scope]
        user = UserFactory(username=f"b-{member}", is_staff=True)
        MembershipFactory(user=user, organization=b[Organization], role=role, properties=assigned)
        users[member] = user
    # Technical rows, so that their pages have something to show.
    WebhookEvent.objects.create(message_type="status-update", dedupe_key="k1", payload={})
    TranscriptLine.objects.create(
        vapi_call_id="c", role="user", text="Hi", spoken_at=timezone.now()
    )
    RefreshToken.for_user(UserFactory()).blacklist()
    Group.objects.create(name="Leasing agents")
    DncSnapshotFactory()  # registry snapshots: superusers only
    return a, b, users


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _changelist_pks(client, model) -> set:
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


def _sees_b(member: str) -> bool:
    return TEAM[member][1] != "elsewhere"


def test_every_admin_is_scoped_or_superuser_only():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, OrganizationScopedAdmin | SuperuserOnlyAdmin), _id(model)


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("model", MODELS, ids=_id)
def test_member_of_b_never_reaches_as_objects(client, orgs, member, model):
    a, _b, users = orgs
    client.force_login(users[member])
    model_admin = admin.site._registry[model]

    if isinstance(model_admin, SuperuserOnlyAdmin):
        assert client.get(_url(model, "changelist")).status_code == 403
        obj = model._default_manager.first()
        assert client.get(_url(model, "change", obj.pk)).status_code == 403
        index = client.get(reverse("admin:index")).content.decode()
        assert _url(model, "changelist") not in index
        return

    theirs = a[model]
    before = model_to_dict(theirs)
    assert theirs.pk not in _changelist_pks(client, model)
    for view in ("change", "history", "delete"):
        response = client.get(_url(model, view, theirs.pk))
        missing = client.get(_url(model, view, MISSING_ID))
        assert (response.status_code, response.get("Location")) == (
            missing.status_code,
            missing.get("Location"),
        ), view
        assert response.status_code in (302, 403, 404), view
    # Actions with A's object selected touch nothing of A's.
    changelist = client.get(_url(model, "changelist"))
    for action in [
        name
        for name, _ in changelist.context["cl"].model_admin.get_action_choices(
            changelist.wsgi_request
        )
        if name
    ]:
        client.post(
            _url(model, "changelist"),
            {"action": action, "_selected_action": [theirs.pk], "post": "yes"},
        )
        assert model._default_manager.filter(pk=theirs.pk).exists(), action
        assert model_to_dict(model._default_manager.get(pk=theirs.pk)) == before, action


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize(
    "model",
    [m for m in MODELS if isinstance(admin.site._registry[m], OrganizationScopedAdmin)],
    ids=_id,
)
def test_forms_offer_no_choice_of_another_organization(client, orgs, member, model):
    a, b, users = orgs
    client.force_login(users[member])
    a_objects = {(type(obj), obj.pk) for obj in a.values()}
    pages = [_url(model, "change", b[model].pk)]
    if admin.site._registry[model].has_add_permission(_request(users[member])):
        pages.append(_url(model, "add"))
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            continue
        for name, field in response.context["adminform"].form.fields.items():
            if isinstance(field, ModelChoiceField):
                offered = {
                    (field.queryset.model, pk) for pk in field.queryset.values_list("pk", flat=True)
                }
                assert not offered & a_objects, (page, name)


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize(
    "model",
    [m for m in MODELS if isinstance(admin.site._registry[m], OrganizationScopedAdmin)],
    ids=_id,
)
def test_member_sees_own_organizations_objects_as_the_role_says(client, orgs, member, model):
    _a, b, users = orgs
    client.force_login(users[member])
    ours = b[model]
    model_admin = admin.site._registry[model]
    role = TEAM[member][0]

    pks = _changelist_pks(client, model)

    if model is Organization:
        assert ours.pk in pks  # every member sees their organization
    elif model is Membership:
        assert (ours.pk in pks) == (role == Role.ADMIN)  # the member list is the admin's
    elif model in ORGANIZATION_RECORDS:
        assert ours.pk in pks
        can_change = (
            TEAM[member][1] is None
            and model_admin.change_access in ROLE_ACTIONS[role]
            and model not in NEVER_CHANGED
        )
        assert model_admin.has_change_permission(_request(users[member]), ours) == can_change
        can_delete = model is StaffPhone and can_change  # a consent is revoked, not deleted
        assert model_admin.has_delete_permission(_request(users[member]), ours) == can_delete
    else:
        assert (ours.pk in pks) == _sees_b(member)
        can_change = _sees_b(member) and model_admin.change_access in ROLE_ACTIONS[role]
        assert model_admin.has_change_permission(_request(users[member]), ours) == can_change
        assert VIEW in ROLE_ACTIONS[role]


def test_agent_sees_only_the_assigned_propertys_leads_and_calls_manager_all(client, orgs):
    _a, b, users = orgs
    other = PropertyFactory(organization=b[Organization])
    other_lead = LeadFactory(property=other)
    other_call = CallLogFactory(property=other, lead=other_lead)

    client.force_login(users["agent"])
    assert _changelist_pks(client, Lead) == {b[Lead].pk}
    assert _changelist_pks(client, CallLog) == {b[CallLog].pk}
    client.force_login(users["manager"])
    assert _changelist_pks(client, Lead) == {b[Lead].pk, other_lead.pk}
    assert _changelist_pks(client, CallLog) == {b[CallLog].pk, other_call.pk}


def test_dashboard_and_live_calls_count_only_visible_calls(client, orgs):
    a, b, users = orgs
    for call in (a[CallLog], b[CallLog]):
        CallLog.objects.filter(pk=call.pk).update(
            status=CallLog.Status.IN_PROGRESS, created_at=timezone.now(), started_at=None
        )
    client.force_login(users["agent"])

    live = client.get(reverse("admin:voice_live_calls"), {"windows": "1"}).json()
    page = client.get(reverse("admin:voice_dashboard"))

    assert [c["id"] for c in live["calls"]] == [b[CallLog].pk]
    assert {w["key"]: w["metrics"]["calls"] for w in live["windows"]}["today"] == "1"
    assert page.status_code == 200
    assert [c["id"] for c in page.context["live_calls"]] == [b[CallLog].pk]
    assert a[Property].name not in page.content.decode()
    client.force_login(users["agent_elsewhere"])
    assert client.get(reverse("admin:voice_live_calls")).json()["calls"] == []


def test_agent_changing_the_system_prompt_in_admin_is_refused_with_a_clear_message(client, orgs):
    _a, b, users = orgs
    assistant = b[Assistant]
    client.force_login(users["agent"])
    url = _url(Assistant, "change", assistant.pk)

    page = client.get(url)
    response = client.post(
        url, {"name": assistant.name, "system_prompt": "Offer $0 rent."}, follow=True
    )

    expected = (
        f"Leasing agents may not change the voice assistant configuration of "
        f"{assistant.property.name}; ask a property manager or an organization admin."
    )
    assert page.status_code == 200
    assert expected in page.content.decode()
    assert f"Not saved. {expected}" in response.content.decode()
    assistant.refresh_from_db()
    assert assistant.system_prompt != "Offer $0 rent."


def test_property_organization_picker_lists_only_the_users_organizations(client, orgs):
    _a, b, users = orgs
    MembershipFactory(user=users["manager"], role=Role.READ_ONLY)  # a third company, read only
    client.force_login(users["manager"])

    form = client.get(_url(Property, "add")).context["adminform"].form

    assert list(form.fields["organization"].queryset) == [b[Organization]]


def test_organization_admin_adds_a_member_by_username(client, orgs):
    a, b, users = orgs
    newcomer = UserFactory(username="newcomer")
    client.force_login(users["admin"])

    response = client.post(
        _url(Membership, "add"),
        {
            "user": "newcomer",
            "organization": b[Organization].pk,
            "role": Role.AGENT,
            "properties": [b[Property].pk],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=newcomer)
    assert membership.organization == b[Organization]
    assert list(membership.properties.all()) == [b[Property]]
    # A manager does not manage members; nobody adds a member to another organization.
    client.force_login(users["manager"])
    assert client.get(_url(Membership, "add")).status_code == 403
    client.force_login(users["admin"])
    refused = client.post(
        _url(Membership, "add"),
        {
            "user": get_user_model().objects.get(username="b-manager").username,
            "organization": a[Organization].pk,
            "role": Role.ADMIN,
        },
    )
    assert refused.status_code == 200  # the form's error: not one of the choices
    assert not Membership.objects.filter(
        organization=a[Organization], user=users["manager"]
    ).exists()


@pytest.mark.parametrize("member", list(TEAM))
def test_raw_id_and_autocomplete_lookups_list_nothing_of_another_organization(client, orgs, member):
    a, b, users = orgs
    client.force_login(users[member])
    # The raw-id popup of a lead's property, and the autocomplete endpoint for the same field.
    popup = client.get(_url(Property, "changelist"), {"_to_field": "id", "_popup": "1"})
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "leads", "model_name": "lead", "field_name": "property", "term": ""},
    )

    assert popup.status_code == 200
    popup_pks = {obj.pk for obj in popup.context["cl"].result_list}
    assert a[Property].pk not in popup_pks
    assert (b[Property].pk in popup_pks) == _sees_b(member)
    assert autocomplete.status_code == 200
    found = {int(item["id"]) for item in autocomplete.json()["results"]}
    assert a[Property].pk not in found
    assert (b[Property].pk in found) == _sees_b(member)


def test_new_property_starts_in_the_users_only_organization_and_its_time_zone(client, orgs):
    _a, b, users = orgs
    Organization.objects.filter(pk=b[Organization].pk).update(timezone="America/Chicago")
    client.force_login(users["manager"])

    form = client.get(_url(Property, "add")).context["adminform"].form

    assert form.initial["organization"] == b[Organization].pk
    assert form.initial["timezone"] == "America/Chicago"
