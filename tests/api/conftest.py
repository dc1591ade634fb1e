"""API test helpers: JWT-authenticated clients and a two-user world (A's and B's objects)."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from leads.compliance.models import CallDecision, Consent, Suppression
from leads.models import Lead, LeadActivity, Tour
from properties.models import Property, Unit
from tests.factories import (
    AssistantFactory,
    CallLogFactory,
    CampaignFactory,
    LeadActivityFactory,
    LeadFactory,
    PropertyFactory,
    SuppressionFactory,
    TourFactory,
    UnitFactory,
    UserFactory,
)
from tests.voice.vapi_helpers import (  # noqa: F401 - fixtures
    simulator,
    simulator_server,
    vapi_settings,
    webhook_receiver,
    webhook_server,
)
from voice.assistants.services import assistant_push
from voice.models import Assistant, CallLog, Campaign
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id


def bearer_client(user) -> APIClient:
    """An APIClient that sends a real JWT access token for `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    # Throttle history lives in the default (locmem) cache; one test's requests must not count
    # against the next.
    cache.clear()
    yield
    cache.clear()


@dataclass
class Owned:
    """One user's objects, one of each kind the API serves."""

    user: object
    property: Property
    unit: Unit
    lead: Lead
    activity: LeadActivity
    tour: Tour
    assistant: Assistant
    call: CallLog
    consent: Consent
    suppression: Suppression
    decision: CallDecision
    campaign: Campaign

    @property
    def client(self) -> APIClient:
        return bearer_client(self.user)


def make_owned(user) -> Owned:
    prop = PropertyFactory(owner=user)
    unit = UnitFactory(property=prop)
    lead = LeadFactory(property=prop)
    assistant = AssistantFactory(property=prop)
    return Owned(
        user=user,
        property=prop,
        unit=unit,
        lead=lead,
        activity=LeadActivityFactory(lead=lead),
        tour=TourFactory(lead=lead, unit=unit),
        assistant=assistant,
        call=CallLogFactory(property=prop, assistant=assistant, lead=lead),
        consent=Consent.objects.get(lead=lead),  # LeadFactory records the lead's consent
        # Another number: the world's calls to its lead stay allowed.
        suppression=SuppressionFactory(
            organization=prop.organization, number="+12125550188", lead=lead
        ),
        decision=CallDecision.objects.create(
            organization=prop.organization,
            path=CallDecision.Path.API,
            purpose=CallDecision.Purpose.MARKETING,
            number="+12125550188",
            lead=lead,
            decision=CallDecision.Decision.REFUSED,
            reason="opted_out",
        ),
        campaign=CampaignFactory(assistant=assistant),
    )


@dataclass
class World:
    a: Owned
    b: Owned


@pytest.fixture
def world(db, calling_hours) -> World:
    """User A and user B, each with a full set of objects. B is a superuser: no exemption.

    At a moment calls are allowed (calling_hours): the world's calls must pass the compliance
    gate, and the clock moves before any token is issued.
    """
    return World(
        a=make_owned(UserFactory(username="alice")),
        b=make_owned(UserFactory(username="bob", is_staff=True, is_superuser=True)),
    )


@pytest.fixture
def vapi_world(request, world: World) -> World:
    """The world with Vapi = the simulator (local socket; its webhooks go to a test receiver):
    both users' assistants pushed there, calling from a simulator number."""
    request.getfixturevalue("vapi_settings")  # imported above: a parameter would shadow it
    for owned in (world.a, world.b):
        owned.assistant.vapi_phone_number_id = phone_number_id(DEMO_PHONE_NUMBERS[0])
        owned.assistant.save(update_fields=["vapi_phone_number_id"])
        assistant_push(assistant=owned.assistant)
    return world


@pytest.fixture(scope="session")
def openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def schema_operations(schema: dict) -> list[tuple[str, str]]:
    """(METHOD, path template) for every operation in the OpenAPI schema."""
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail", "details"}, body
    assert body["error"] == code, body
    assert isinstance(body["detail"], str)
    assert isinstance(body["details"], dict)
    return body
