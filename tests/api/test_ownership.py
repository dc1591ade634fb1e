"""Ownership matrix: user B never reads, changes or learns about user A's objects.

Data-driven: each endpoint is a row. The coverage tests at the bottom compare the rows with the
OpenAPI schema, so a new endpoint (e.g. the voice write endpoints) fails until it has its rows.
A row that needs more set-up (e.g. the `vapi_world` fixture, so that B's own request can succeed
at the Vapi simulator) names those fixtures in `fixtures`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.forms.models import model_to_dict

from tests.api.conftest import Owned, World, assert_error, schema_operations

pytestmark = pytest.mark.django_db

MISSING_ID = 987_654_321  # no object has this id

Pick = Callable[[Owned], Any]


@dataclass(frozen=True)
class DetailRow:
    """An operation on one object by its path id: B gets 404 for A's object, A's stays unchanged."""

    method: str
    path: str  # OpenAPI path template with {id}
    target: Pick  # A's object the path points at
    body: Callable[[World], dict] = field(default=lambda w: {})
    fixtures: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class BodyIdRow:
    """A write whose body names a related object: A's id must fail like a missing id."""

    method: str
    path: str
    field: str  # the body field that carries A's id
    body: Callable[[World, Any], dict]  # builds the body from the world and the id to send
    related: Pick  # the kind of object the field points at (A's is sent, then B's)
    target: Pick | None = None  # B's object in the path, for detail routes
    fixtures: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path} body.{self.field}"


@dataclass(frozen=True)
class QueryIdRow:
    """A related id in the query string (list filters, `?property_id=`): A's id must fail exactly
    like a missing id (`status`: 400 for filters, 404 where the id names the target)."""

    path: str
    param: str
    related: Pick
    method: str = "GET"
    status: int = 400
    body: Callable[[World], dict] | None = None
    fixtures: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path}?{self.param}"


def _property_body(w: World) -> dict:
    return {
        "name": "Taken",
        "address_line": "1 Main St",
        "city": "X",
        "state": "Y",
        "postal_code": "1",
    }


def _unit_body(w: World) -> dict:
    return {"unit_number": "999", "bedrooms": 1, "bathrooms": "1.0", "monthly_rent": "1.00"}


def _tour_body(w: World) -> dict:
    return {"starts_at": "2030-01-01T10:00:00Z"}


def _call_body(w: World, **ids: Any) -> dict:
    # B's own assistant unless the row sends another one; "no_answer" keeps the played call short.
    return {
        "phone_number": w.b.lead.phone,  # consented (LeadFactory records it)
        "assistant_id": w.b.assistant.pk,
        "metadata": {"simScenario": "no_answer"},
        **ids,
    }


def _consent_body(w: World) -> dict:
    return {
        "number": "+12125550166",
        "kind": "pewc_ai_voice",
        "disclosure": "I agree to AI-voice calls; not a condition of renting.",
        "source": "web_form",
    }


def _campaign_body(w: World, **ids: Any) -> dict:
    return {
        "assistant_id": w.b.assistant.pk,
        "name": "Spring follow-up",
        "purpose": "marketing",
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-31",
        **ids,
    }


def _campaign_in(status: str) -> Pick:
    """The user's campaign, put in `status` first: a move needs a status that allows it."""

    def pick(o: Owned) -> Any:
        type(o.campaign).objects.filter(pk=o.campaign.pk).update(status=status)
        o.campaign.refresh_from_db()
        return o.campaign

    return pick


VAPI = ("vapi_world",)  # Vapi is the simulator, the world's assistants are on it


DETAIL_ROWS = [
    DetailRow("GET", "/api/v1/properties/{id}", lambda o: o.property),
    DetailRow("PUT", "/api/v1/properties/{id}", lambda o: o.property, _property_body),
    DetailRow("PATCH", "/api/v1/properties/{id}", lambda o: o.property, lambda w: {"name": "X"}),
    DetailRow("DELETE", "/api/v1/properties/{id}", lambda o: o.property),
    DetailRow("GET", "/api/v1/units/{id}", lambda o: o.unit),
    DetailRow("PUT", "/api/v1/units/{id}", lambda o: o.unit, _unit_body),
    DetailRow("PATCH", "/api/v1/units/{id}", lambda o: o.unit, lambda w: {"status": "occupied"}),
    DetailRow("DELETE", "/api/v1/units/{id}", lambda o: o.unit),
    DetailRow("GET", "/api/v1/leads/{id}", lambda o: o.lead),
    DetailRow("PUT", "/api/v1/leads/{id}", lambda o: o.lead, lambda w: {"first_name": "X"}),
    DetailRow("PATCH", "/api/v1/leads/{id}", lambda o: o.lead, lambda w: {"status": "lost"}),
    DetailRow("DELETE", "/api/v1/leads/{id}", lambda o: o.lead),
    DetailRow("POST", "/api/v1/leads/{id}/notes", lambda o: o.lead, lambda w: {"text": "hi"}),
    DetailRow("GET", "/api/v1/tours/{id}", lambda o: o.tour),
    DetailRow("PUT", "/api/v1/tours/{id}", lambda o: o.tour, _tour_body),
    DetailRow("PATCH", "/api/v1/tours/{id}", lambda o: o.tour, lambda w: {"status": "cancelled"}),
    DetailRow("DELETE", "/api/v1/tours/{id}", lambda o: o.tour),
    DetailRow("GET", "/api/v1/voice/assistants/{id}", lambda o: o.assistant),
    DetailRow(
        "PUT", "/api/v1/voice/assistants/{id}", lambda o: o.assistant, lambda w: {"name": "X"}, VAPI
    ),
    DetailRow(
        "PATCH",
        "/api/v1/voice/assistants/{id}",
        lambda o: o.assistant,
        lambda w: {"first_message": "Hi! I am the leasing AI."},
        VAPI,
    ),
    DetailRow("DELETE", "/api/v1/voice/assistants/{id}", lambda o: o.assistant, fixtures=VAPI),
    DetailRow("GET", "/api/v1/voice/calls/{id}", lambda o: o.call),
    DetailRow("GET", "/api/v1/voice/campaigns/{id}", lambda o: o.campaign),
    DetailRow("GET", "/api/v1/voice/campaigns/{id}/contacts", lambda o: o.campaign),
    DetailRow("GET", "/api/v1/voice/campaigns/{id}/preview", lambda o: o.campaign),
    DetailRow("GET", "/api/v1/voice/campaigns/{id}/progress", lambda o: o.campaign),
    DetailRow("POST", "/api/v1/voice/campaigns/{id}/start", _campaign_in("draft")),
    DetailRow("POST", "/api/v1/voice/campaigns/{id}/pause", _campaign_in("running")),
    DetailRow("POST", "/api/v1/voice/campaigns/{id}/resume", _campaign_in("paused")),
    DetailRow("POST", "/api/v1/voice/campaigns/{id}/cancel", _campaign_in("running")),
    DetailRow(
        "POST",
        "/api/v1/compliance/consents/{id}/revoke",
        lambda o: o.consent,
        lambda w: {"how": "Emailed the office."},
    ),
]

BODY_ID_ROWS = [
    BodyIdRow(
        "POST",
        "/api/v1/compliance/consents",
        "lead",
        lambda w, pk: {**_consent_body(w), "lead": pk},
        related=lambda o: o.lead,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/compliance/suppressions",
        "lead",
        lambda w, pk: {"number": "+12125550177", "lead": pk},
        related=lambda o: o.lead,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/units",
        "property",
        lambda w, pk: {**_unit_body(w), "property": pk},
        related=lambda o: o.property,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/leads",
        "property",
        lambda w, pk: {"property": pk},
        related=lambda o: o.property,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/tours",
        "lead",
        lambda w, pk: {**_tour_body(w), "lead": pk},
        related=lambda o: o.lead,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/tours",
        "unit",
        lambda w, pk: {**_tour_body(w), "lead": w.b.lead.pk, "unit": pk},
        related=lambda o: o.unit,
    ),
    BodyIdRow(
        "PUT",
        "/api/v1/tours/{id}",
        "unit",
        lambda w, pk: {**_tour_body(w), "unit": pk},
        related=lambda o: o.unit,
        target=lambda o: o.tour,
    ),
    BodyIdRow(
        "PATCH",
        "/api/v1/tours/{id}",
        "unit",
        lambda w, pk: {"unit": pk},
        related=lambda o: o.unit,
        target=lambda o: o.tour,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/voice/call",
        "assistant_id",
        lambda w, pk: _call_body(w, assistant_id=pk),
        related=lambda o: o.assistant,
        fixtures=VAPI,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/voice/call",
        "lead_id",
        lambda w, pk: _call_body(w, lead_id=pk),
        related=lambda o: o.lead,
        fixtures=VAPI,
    ),
    BodyIdRow(
        "POST",
        "/api/v1/voice/campaigns",
        "assistant_id",
        lambda w, pk: _campaign_body(w, assistant_id=pk),
        related=lambda o: o.assistant,
    ),
]

QUERY_ID_ROWS = [
    QueryIdRow("/api/v1/compliance/consents", "lead", lambda o: o.lead),
    QueryIdRow("/api/v1/compliance/decisions", "lead", lambda o: o.lead),
    QueryIdRow("/api/v1/units", "property", lambda o: o.property),
    QueryIdRow("/api/v1/leads", "property", lambda o: o.property),
    QueryIdRow("/api/v1/tours", "property", lambda o: o.property),
    QueryIdRow("/api/v1/tours", "lead", lambda o: o.lead),
    QueryIdRow("/api/v1/tours", "unit", lambda o: o.unit),
    QueryIdRow("/api/v1/voice/assistants", "property", lambda o: o.property),
    QueryIdRow("/api/v1/voice/calls", "property", lambda o: o.property),
    QueryIdRow("/api/v1/voice/calls", "assistant", lambda o: o.assistant),
    QueryIdRow("/api/v1/voice/calls", "lead", lambda o: o.lead),
    QueryIdRow(
        "/api/v1/voice/assistants",
        "property_id",
        lambda o: o.property,
        method="POST",
        status=404,
        body=lambda w: {"name": "Another assistant"},
        fixtures=VAPI,
    ),
]

# What each list shows, per user: the ids B must see and A's ids B must not.
LIST_ROWS: dict[str, Pick] = {
    "/api/v1/properties": lambda o: o.property,
    "/api/v1/units": lambda o: o.unit,
    "/api/v1/leads": lambda o: o.lead,
    "/api/v1/tours": lambda o: o.tour,
    "/api/v1/voice/assistants": lambda o: o.assistant,
    "/api/v1/voice/calls": lambda o: o.call,
    "/api/v1/voice/campaigns": lambda o: o.campaign,
    "/api/v1/compliance/consents": lambda o: o.consent,
    "/api/v1/compliance/suppressions": lambda o: o.suppression,
    "/api/v1/compliance/decisions": lambda o: o.decision,
}

# Query and body names that carry another object's id and must be ownership-checked.
RELATED_ID_NAMES = {
    "property",
    "unit",
    "lead",
    "assistant",
    "property_id",
    "lead_id",
    "assistant_id",
}


def _send(client, method: str, url: str, body: dict | None = None):
    return getattr(client, method.lower())(url, body, format="json")


def _use_fixtures(request, names: tuple[str, ...]) -> None:
    for name in names:
        request.getfixturevalue(name)


def _snapshot(obj) -> dict:
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


@pytest.mark.parametrize("row", DETAIL_ROWS, ids=str)
def test_other_users_object_is_404_and_untouched(request, world: World, row: DetailRow):
    _use_fixtures(request, row.fixtures)
    target = row.target(world.a)
    before = _snapshot(target)
    url = row.path.format(id=target.pk)

    response = _send(world.b.client, row.method, url, row.body(world))

    body = assert_error(response, 404, "not_found")
    missing = _send(world.b.client, row.method, row.path.format(id=MISSING_ID), row.body(world))
    assert missing.json() == body  # indistinguishable from an id that does not exist
    assert _snapshot(target) == before


@pytest.mark.parametrize("row", DETAIL_ROWS, ids=str)
def test_owner_reaches_own_object(request, world: World, row: DetailRow):
    """The same rows for A, so the 404s above come from ownership and not from a bad request."""
    _use_fixtures(request, row.fixtures)
    url = row.path.format(id=row.target(world.a).pk)
    response = _send(world.a.client, row.method, url, row.body(world))
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("row", BODY_ID_ROWS, ids=str)
def test_other_users_id_in_body_is_like_a_missing_id(request, world: World, row: BodyIdRow):
    _use_fixtures(request, row.fixtures)
    url = row.path.format(id=row.target(world.b).pk) if row.target else row.path
    a_id = row.related(world.a).pk

    response = _send(world.b.client, row.method, url, row.body(world, a_id))

    # 404 (config/errors.py): the request is well formed, the object it names is not there.
    body = assert_error(response, 404, "not_found")
    assert body["details"][row.field] == [f'Invalid pk "{a_id}" - object does not exist.']
    missing = _send(world.b.client, row.method, url, row.body(world, MISSING_ID))
    assert missing.json()["details"][row.field] == [
        f'Invalid pk "{MISSING_ID}" - object does not exist.'
    ]
    # The same request with B's own id goes through: the field is what failed.
    own = _send(world.b.client, row.method, url, row.body(world, row.related(world.b).pk))
    assert own.status_code in (200, 201), own.content


@pytest.mark.parametrize("row", QUERY_ID_ROWS, ids=str)
def test_other_users_id_in_query_is_like_a_missing_id(request, world: World, row: QueryIdRow):
    _use_fixtures(request, row.fixtures)

    def send(pk: int):
        url = f"{row.path}?{row.param}={pk}"
        return _send(world.b.client, row.method, url, row.body(world) if row.body else None)

    response = send(row.related(world.a).pk)

    if row.method == "GET":
        # A list filter: the list holds only B's objects, so A's id, like a missing one, lists
        # nothing.
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []
        assert send(MISSING_ID).json()["results"] == []
    else:
        body = assert_error(response, row.status, "not_found")
        assert send(MISSING_ID).json() == body
    own = send(row.related(world.b).pk)
    assert own.status_code in (200, 201), own.content
    if row.method == "GET":
        assert own.json()["results"]


@pytest.mark.parametrize("path", list(LIST_ROWS))
def test_lists_show_only_own_objects(world: World, path: str):
    pick = LIST_ROWS[path]

    ids = {item["id"] for item in world.b.client.get(path).json()["results"]}

    assert ids == {pick(world.b).pk}
    assert {item["id"] for item in world.a.client.get(path).json()["results"]} == {pick(world.a).pk}


def test_lead_detail_shows_only_its_own_activities_and_tours(world: World):
    data = world.b.client.get(f"/api/v1/leads/{world.b.lead.pk}").json()

    assert [a["id"] for a in data["activities"]] == [world.b.activity.pk]
    assert [t["id"] for t in data["tours"]] == [world.b.tour.pk]


# Coverage: the matrix must name every operation the schema has --------------------------------


def test_every_detail_operation_has_a_matrix_row(openapi_schema):
    detail_ops = {(m, p) for m, p in schema_operations(openapi_schema) if "{id}" in p}
    covered = {(row.method, row.path) for row in DETAIL_ROWS}
    assert detail_ops == covered, "add DetailRow entries for new endpoints"


def test_every_list_operation_has_a_matrix_row(openapi_schema):
    paths = openapi_schema["paths"]
    lists = {
        p
        for m, p in schema_operations(openapi_schema)
        if m == "GET" and "/Paginated" in str(paths[p]["get"]["responses"]["200"])
    }
    assert lists == set(LIST_ROWS), "add LIST_ROWS entries for new list endpoints"


def test_every_related_id_query_parameter_has_a_matrix_row(openapi_schema):
    params = {
        (method.upper(), path, param["name"])
        for path, operations in openapi_schema["paths"].items()
        for method, operation in operations.items()
        for param in operation.get("parameters", [])
        if param["in"] == "query" and param["name"] in RELATED_ID_NAMES
    }
    assert params == {(row.method, row.path, row.param) for row in QUERY_ID_ROWS}


def test_every_related_id_body_field_has_a_matrix_row(openapi_schema):
    schemas = openapi_schema["components"]["schemas"]
    fields = set()
    for path, operations in openapi_schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            fields |= {(method.upper(), path, n) for n in properties if n in RELATED_ID_NAMES}
    assert fields == {(row.method, row.path, row.field) for row in BODY_ID_ROWS}
