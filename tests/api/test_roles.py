"""The ownership matrix grown to organizations x roles (properties/access.py, README role table).

Organization A has an admin (alice); organization B has one user per role (the `team` fixture).
For every API operation in the OpenAPI schema (`OPERATION_ACCESS`, checked against the schema at
the bottom so a new operation fails until it has a row), each of B's users:
- against A's objects gets exactly what a missing id gets (404), and A's objects stay unchanged;
- against B's objects gets what the role table says: the operation's action allowed -> 2xx, not
  allowed -> 403 with the one error shape and a message naming the role, object unchanged.
A leasing agent assigned to another of B's properties is, for this property, like an outsider.
"""

from dataclasses import dataclass

import pytest

from properties.access import (
    ADD_SUPPRESSION,
    CONFIGURE_ASSISTANT,
    EDIT_PROPERTY,
    RECORD_CONSENT,
    ROLE_ACTIONS,
    VIEW,
    WORK_LEADS,
    Role,
)
from tests.api.conftest import World, assert_error, bearer_client, schema_operations
from tests.api.test_ownership import (
    BODY_ID_ROWS,
    DETAIL_ROWS,
    LIST_ROWS,
    MISSING_ID,
    VAPI,
    BodyIdRow,
    DetailRow,
    _call_body,
    _campaign_body,
    _consent_body,
    _property_body,
    _send,
    _snapshot,
    _unit_body,
    _use_fixtures,
)
from tests.factories import MembershipFactory, PropertyFactory

pytestmark = pytest.mark.django_db

# What each operation needs (properties/access.py). Reads need VIEW.
OPERATION_ACCESS: dict[tuple[str, str], str] = {}
for _row in DETAIL_ROWS:
    _kind = _row.path.split("/")[3]
    OPERATION_ACCESS[(_row.method, _row.path)] = (
        VIEW
        if _row.method == "GET"
        else {
            "properties": EDIT_PROPERTY,
            "units": EDIT_PROPERTY,
            "leads": WORK_LEADS,
            "tours": WORK_LEADS,
            "voice": CONFIGURE_ASSISTANT,
            "compliance": WORK_LEADS,
        }[_kind]
    )
# Campaigns place calls: moving one is working leads, not configuring the assistant.
for (_method, _path), _access in list(OPERATION_ACCESS.items()):
    if _path.startswith("/api/v1/voice/campaigns/") and _method != "GET":
        OPERATION_ACCESS[(_method, _path)] = WORK_LEADS
OPERATION_ACCESS.update(
    {
        ("POST", "/api/v1/properties"): EDIT_PROPERTY,
        ("POST", "/api/v1/units"): EDIT_PROPERTY,
        ("POST", "/api/v1/leads"): WORK_LEADS,
        ("POST", "/api/v1/tours"): WORK_LEADS,
        ("POST", "/api/v1/voice/assistants"): CONFIGURE_ASSISTANT,
        ("POST", "/api/v1/voice/call"): WORK_LEADS,
        ("POST", "/api/v1/voice/campaigns"): WORK_LEADS,
        ("POST", "/api/v1/compliance/consents"): RECORD_CONSENT,
        ("POST", "/api/v1/compliance/suppressions"): ADD_SUPPRESSION,
        ("GET", "/api/v1/me/organizations"): VIEW,
        **{("GET", path): VIEW for path in LIST_ROWS},
    }
)

# B's team: role, and whether the user is limited to B's property ("assigned"), to another
# property of B ("elsewhere"), or covers the organization.
TEAM = {
    "admin": (Role.ADMIN, None),
    "manager": (Role.MANAGER, None),
    "agent": (Role.AGENT, "assigned"),
    "central_agent": (Role.AGENT, None),
    "read_only": (Role.READ_ONLY, None),
    "agent_elsewhere": (Role.AGENT, "elsewhere"),
}


@dataclass
class Team:
    world: World
    users: dict

    def client(self, member: str):
        return bearer_client(self.users[member])


@pytest.fixture
def team(world: World) -> Team:
    organization = world.b.property.organization
    elsewhere = PropertyFactory(organization=organization)
    users = {}
    for member, (role, scope) in TEAM.items():
        assigned = {"assigned": [world.b.property], "elsewhere": [elsewhere], None: []}[scope]
        users[member] = MembershipFactory(
            organization=organization, role=role, properties=assigned
        ).user
    return Team(world=world, users=users)


def _organization_wide(path: str) -> bool:
    """Compliance records belong to the organization, not to a property (properties/access.py):
    every member sees them; writing them needs the role across the whole organization."""
    return path.startswith("/api/v1/compliance/")


def _expected(member: str, action: str, path: str = "") -> str:
    """'ok', 'forbidden' or 'not_found' for `member` acting on B's own objects."""
    role, scope = TEAM[member]
    if _organization_wide(path):
        if action == VIEW:
            return "ok"
        return "ok" if scope is None and action in ROLE_ACTIONS[role] else "forbidden"
    if scope == "elsewhere":
        return "not_found"
    return "ok" if action in ROLE_ACTIONS[role] else "forbidden"


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("row", DETAIL_ROWS, ids=str)
def test_role_against_other_organizations_object_is_404(request, team, member, row: DetailRow):
    _use_fixtures(request, row.fixtures)
    w = team.world
    target = row.target(w.a)
    before = _snapshot(target)
    client = team.client(member)

    response = _send(client, row.method, row.path.format(id=target.pk), row.body(w))

    body = assert_error(response, 404, "not_found")
    assert _send(client, row.method, row.path.format(id=MISSING_ID), row.body(w)).json() == body
    assert _snapshot(target) == before


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("row", DETAIL_ROWS, ids=str)
def test_role_on_own_organizations_object_follows_the_role_table(
    request, team, member, row: DetailRow
):
    _use_fixtures(request, row.fixtures)
    w = team.world
    target = row.target(w.b)
    before = _snapshot(target)
    expected = _expected(member, OPERATION_ACCESS[(row.method, row.path)], row.path)

    response = _send(team.client(member), row.method, row.path.format(id=target.pk), row.body(w))

    if expected == "ok":
        assert response.status_code in (200, 201, 204), response.content
        return
    if expected == "forbidden":
        body = assert_error(response, 403, "permission_denied")
        assert "may not" in body["detail"], body
    else:
        assert_error(response, 404, "not_found")
    assert _snapshot(target) == before


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("row", BODY_ID_ROWS, ids=str)
def test_role_sending_other_organizations_id_in_body_is_like_a_missing_id(
    request, team, member, row: BodyIdRow
):
    _use_fixtures(request, row.fixtures)
    w = team.world
    url = row.path.format(id=row.target(w.b).pk) if row.target else row.path
    client = team.client(member)
    a_id = row.related(w.a).pk

    response = _send(client, row.method, url, row.body(w, a_id))
    missing = _send(client, row.method, url, row.body(w, MISSING_ID))

    if row.target and _expected(member, OPERATION_ACCESS[(row.method, row.path)]) != "ok":
        # The object in the path comes first: not theirs (404) or not for their role (403).
        assert response.status_code in (403, 404), response.content
        assert missing.json() == response.json()
        return
    body = assert_error(response, 404, "not_found")
    assert body["details"][row.field] == [f'Invalid pk "{a_id}" - object does not exist.']
    assert missing.status_code == 404
    assert missing.json()["details"][row.field] == [
        f'Invalid pk "{MISSING_ID}" - object does not exist.'
    ]


def _create_rows(w: World):
    """(method, path, body) of each create, aimed at B's objects."""
    return {
        ("POST", "/api/v1/properties"): ("/api/v1/properties", _property_body(w)),
        ("POST", "/api/v1/units"): (
            "/api/v1/units",
            {**_unit_body(w), "property": w.b.property.pk},
        ),
        ("POST", "/api/v1/leads"): ("/api/v1/leads", {"property": w.b.property.pk}),
        ("POST", "/api/v1/tours"): (
            "/api/v1/tours",
            {"starts_at": "2030-01-01T10:00:00Z", "lead": w.b.lead.pk},
        ),
        ("POST", "/api/v1/voice/assistants"): (
            f"/api/v1/voice/assistants?property_id={w.b.property.pk}",
            {"name": "Another assistant"},
        ),
        ("POST", "/api/v1/voice/call"): ("/api/v1/voice/call", _call_body(w, lead_id=w.b.lead.pk)),
        ("POST", "/api/v1/voice/campaigns"): ("/api/v1/voice/campaigns", _campaign_body(w)),
        ("POST", "/api/v1/compliance/consents"): ("/api/v1/compliance/consents", _consent_body(w)),
        ("POST", "/api/v1/compliance/suppressions"): (
            "/api/v1/compliance/suppressions",
            {"number": "+12125550177", "note": "Lead emailed: don't call."},
        ),
    }


CREATES = [op for op in OPERATION_ACCESS if op[0] == "POST" and "{id}" not in op[1]]
CREATES = [op for op in CREATES if not op[1].endswith("/notes")]


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("operation", CREATES, ids=" ".join)
def test_role_creates_follow_the_role_table(request, team, member, operation):
    if operation[1].startswith("/api/v1/voice"):
        _use_fixtures(request, VAPI)
    path, body = _create_rows(team.world)[operation]
    expected = _expected(member, OPERATION_ACCESS[operation], operation[1])
    if operation == ("POST", "/api/v1/properties") and expected == "not_found":
        expected = "forbidden"  # no organization-wide role: nowhere to add a property

    response = _send(team.client(member), "POST", path, body)

    if expected == "ok":
        assert response.status_code in (200, 201), response.content
    elif expected == "forbidden":
        body = assert_error(response, 403, "permission_denied")
        assert "may not" in body["detail"] or "ask an organization admin" in body["detail"]
    else:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("member", list(TEAM))
@pytest.mark.parametrize("path", list(LIST_ROWS))
def test_role_lists_show_what_the_role_sees_and_nothing_of_other_organizations(team, member, path):
    pick = LIST_ROWS[path]
    w = team.world

    ids = {item["id"] for item in team.client(member).get(path).json()["results"]}

    assert pick(w.a).pk not in ids
    if TEAM[member][1] == "elsewhere" and not _organization_wide(path):
        assert pick(w.b).pk not in ids
    else:
        assert pick(w.b).pk in ids


def test_agent_changing_the_system_prompt_is_refused_with_a_clear_message(team):
    assistant = team.world.b.assistant
    url = f"/api/v1/voice/assistants/{assistant.pk}"

    response = team.client("agent").patch(url, {"system_prompt": "Offer $0 rent."}, format="json")

    body = assert_error(response, 403, "permission_denied")
    assert body["detail"] == (
        f"Leasing agents may not change the voice assistant configuration of "
        f"{assistant.property.name}; ask a property manager or an organization admin."
    )
    assistant.refresh_from_db()
    assert assistant.system_prompt != "Offer $0 rent."


def test_my_organizations_lists_role_assignments_and_permissions(team):
    w = team.world

    data = team.client("agent").get("/api/v1/me/organizations").json()

    organization = w.b.property.organization
    assert data == [
        {
            "id": organization.pk,
            "name": organization.name,
            "legal_name": organization.legal_name,
            "timezone": organization.timezone,
            "role": "agent",
            "role_label": "Leasing agent",
            "assigned_properties": [w.b.property.pk],
            "permissions": ["view", "work_leads"],
        }
    ]
    assert team.client("admin").get("/api/v1/me/organizations").json()[0]["permissions"] == [
        "configure_assistant",
        "edit_property",
        "manage_members",
        "view",
        "work_leads",
    ]


def test_property_create_needs_an_organization_when_the_user_has_several(team):
    admin = team.users["admin"]
    second = MembershipFactory(user=admin).organization
    client = bearer_client(admin)
    body = _property_body(team.world)

    response = client.post("/api/v1/properties", body, format="json")
    assert_error(response, 400, "validation_error")
    created = client.post("/api/v1/properties", {**body, "organization": second.pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["organization"] == second.pk
    other = team.world.a.property.organization.pk
    refused = client.post("/api/v1/properties", {**body, "organization": other}, format="json")
    assert_error(refused, 404, "not_found")


# Coverage: every operation in the schema has a row ---------------------------------------------


def test_every_operation_has_a_role_row(openapi_schema):
    operations = {
        (method, path)
        for method, path in schema_operations(openapi_schema)
        if not path.startswith("/api/v1/auth/")
    }
    assert operations == set(OPERATION_ACCESS), "add OPERATION_ACCESS rows for new operations"
