"""Property-based fuzzing of the whole API from its OpenAPI schema (schemathesis, WSGI, real JWT).

One test per operation, a few examples each, so the whole run takes seconds. Checks: no 5xx, and
every status code, content type, header and body matches what the schema documents.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from tests.api.conftest import bearer_client, make_owned
from tests.factories import UserFactory
from voice.assistants import assistant_push
from voice.simulator.state import DEMO_PHONE_NUMBERS, phone_number_id

# Kept small for the suite (CPU is shared); API_FUZZ_MAX_EXAMPLES=200 for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_MAX_EXAMPLES", "10"))


def not_an_undocumented_server_error(ctx, response, case):
    """No 5xx, except the 503 voice_unavailable an operation documents: the simulator, like Vapi,
    refuses some values only Vapi knows to be wrong (a fuzzed model or language name)."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and "503" in documented:
        assert response.json()["error"] == "voice_unavailable", response.text
        return None
    return checks.not_a_server_error(ctx, response, case)


CHECKS = [
    not_an_undocumented_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

# The schema as /api/v1/schema/ serves it (building it needs no database).
schema = schemathesis.openapi.from_dict(
    json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
)
schema.app = get_wsgi_application()


@pytest.fixture
def keep_db_connection():
    """Keep the test transaction open across schemathesis' requests.

    Schemathesis calls the real WSGI handler, whose request signals close the database connection
    (and with it the test transaction on PostgreSQL); Django's test client unhooks them likewise.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def auth_header(db, settings, keep_db_connection, vapi_settings) -> dict[str, str]:
    # vapi_settings: the voice endpoints talk to the simulator on a local socket, never the network.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    user = UserFactory(username="fuzzer")
    owned = make_owned(user)  # objects to find, change and delete
    # On the simulator with a number to call from, so voice writes can succeed.
    owned.assistant.vapi_phone_number_id = phone_number_id(DEMO_PHONE_NUMBERS[0])
    owned.assistant.save(update_fields=["vapi_phone_number_id"])
    assistant_push(assistant=owned.assistant)
    make_owned(UserFactory(username="other"))  # and objects that must stay out of reach
    return {"Authorization": bearer_client(user)._credentials["HTTP_AUTHORIZATION"]}


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case, auth_header):
    case.call_and_validate(headers=auth_header, checks=CHECKS)
