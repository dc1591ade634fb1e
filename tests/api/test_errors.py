"""One error shape everywhere: validation, not found, VoiceError, crashes, unknown API URLs."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import assert_error, bearer_client
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


@pytest.fixture
def client():
    return bearer_client(UserFactory())


def test_voice_error_is_503_voice_unavailable_with_details(client):
    body = assert_error(client.get("/api/v1/test/voice-down"), 503, "voice_unavailable")

    assert body["detail"] == "Vapi did not answer in time."
    assert body["details"] == {"method": "POST", "path": "/call", "status": 504}


def test_model_validation_error_is_400_with_field_errors(client):
    body = assert_error(client.get("/api/v1/test/model-validation"), 400, "validation_error")

    assert body["details"] == {"phone": ["Bad phone."], "non_field_errors": ["Bad lead."]}


def test_unexpected_exception_is_json_500():
    client = bearer_client(UserFactory())
    client.raise_request_exception = False

    response = client.get("/api/v1/test/crash")

    assert_error(response, 500, "server_error")
    assert response["Content-Type"] == "application/json"


def test_unknown_api_url_is_json_404(client):
    assert_error(client.get("/api/v1/nowhere"), 404, "not_found")
    assert_error(client.get("/api/v1/properties/not-a-number"), 404, "not_found")


def test_unknown_non_api_url_keeps_django_html_404():
    response = APIClient().get("/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_uses_the_error_shape(client):
    assert_error(client.put("/api/v1/properties", {}), 405, "method_not_allowed")
    assert_error(client.delete("/api/v1/voice/calls/1"), 405, "method_not_allowed")


def test_malformed_json_is_400_parse_error(client):
    response = client.post("/api/v1/leads", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_non_json_body_is_415(client):
    response = client.post("/api/v1/leads", "a=b", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_json_array_body_is_a_validation_error(client):
    body = assert_error(
        client.post("/api/v1/leads", [1, 2], format="json"), 400, "validation_error"
    )
    assert "non_field_errors" in body["details"]


def test_only_json_is_rendered_no_browsable_api(client):
    response = client.get("/api/v1/properties", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")


def test_session_login_does_not_authenticate_the_api(admin_client):
    assert_error(admin_client.get("/api/v1/properties"), 401, "not_authenticated")
