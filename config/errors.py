"""The API's one error shape: `{"error": <code>, "detail": <human message>, "details": {...}}`.

`api_exception_handler` is DRF's EXCEPTION_HANDLER: every error an API view raises passes through
it. The `json_*` views are Django's handler400/403/404/500: under `/api/` they answer with the same
shape (unknown URLs, crashes); elsewhere (admin) Django's own HTML pages stay.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from leads.compliance.gate import CallRefusedError
from voice.vapi.errors import (
    CallAlreadyPlacedError,
    VapiNotFoundError,
    VapiOutcomeUnknown,
    VoiceError,
    VoiceSetupConflictError,
)

logger = logging.getLogger(__name__)

API_PATH_PREFIX = "/api/"
NON_FIELD_ERRORS = "non_field_errors"
# PrimaryKeyRelatedField's error code for an id without an object; validators that look a
# related object up raise it too.
MISSING_OBJECT = "does_not_exist"
# Valid requests that clash with the state of what they name: a value another row holds
# (Django's codes; config/validation.py gives constraint violations the first), objects that do
# not belong together. Calls the compliance gate refuses are 409s with their own reason code.
CONFLICT_CODES = {
    "unique",
    "unique_together",
    "lead_other_property",
    "unit_other_property",
    "not_pushed",
    "voice_id_required",
    "illegal_transition",  # a campaign move its status does not allow (voice/campaigns)
    "campaign_without_assistant",  # starting a campaign whose assistant was deleted since
}


class ErrorSerializer(serializers.Serializer):
    """Documents the error body (the OpenAPI `Error` component); never used to validate."""

    error = serializers.CharField(
        help_text=(
            "Machine-readable code: validation_error, not_authenticated, token_not_valid, "
            "authentication_failed, permission_denied (your role does not allow it), conflict, "
            "not_found (also: an id in the body with no object of yours behind it), "
            "method_not_allowed, parse_error, throttled, voice_unavailable, "
            "call_outcome_unknown, call_already_placed, "
            "server_error, a call refusal reason (no_written_consent, quiet_hours, ...), ..."
        )
    )
    detail = serializers.CharField(help_text="Human-readable message.")
    details = serializers.DictField(
        help_text=(
            "More about the error. Validation errors: the field errors, keyed by field name "
            '(`non_field_errors` for the whole object). Throttling: `{"wait": seconds}`. '
            "Voice errors: what Vapi answered (status, messages, method, path). Refused calls: "
            '`{"next_allowed_at": ISO 8601 instant or null}`.'
        )
    )


def error_payload(code: str, detail: str, details: Mapping[str, Any] | None = None) -> dict:
    return {"error": code, "detail": detail, "details": dict(details or {})}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map any exception raised by an API view to the one error shape.

    Returns None for unexpected exceptions: Django then logs them and handler500 answers.
    """
    if isinstance(exc, CallRefusedError):
        # The compliance gate said no: the request is valid, the call is not allowed (now).
        # The reason code is the error code; a client can retry at next_allowed_at.
        set_rollback()
        next_allowed_at = exc.next_allowed_at.isoformat() if exc.next_allowed_at else None
        details = {"next_allowed_at": next_allowed_at}
        return Response(error_payload(exc.reason, exc.message, details), status=409)
    if isinstance(exc, VoiceSetupConflictError | VapiNotFoundError):
        # Not an outage: this object is not set up for it, or Vapi no longer has what our row
        # points at (a call or an assistant deleted there).
        set_rollback()
        return Response(error_payload("conflict", exc.message, exc.details), status=409)
    if isinstance(exc, CallAlreadyPlacedError):
        # An earlier call whose outcome was unknown was placed after all: not dialled again.
        set_rollback()
        return Response(error_payload("call_already_placed", exc.message, exc.details), status=409)
    if isinstance(exc, VapiOutcomeUnknown):
        # POST /call sent, no answer: the call may exist. Its CallLog (status `unknown`, id in
        # details.call_log_id) is reconciled with Vapi before this number is called again. No
        # set_rollback: that CallLog was committed on purpose and must stay.
        logger.warning("voice.outcome_unknown %s", exc.message, extra={"details": exc.details})
        return Response(error_payload("call_outcome_unknown", exc.message, exc.details), status=503)
    if isinstance(exc, VoiceError):
        logger.warning("voice.unavailable %s", exc.message, extra={"details": exc.details})
        set_rollback()  # as DRF does for its own exceptions (matters only with ATOMIC_REQUESTS)
        return Response(error_payload("voice_unavailable", exc.message, exc.details), status=503)
    if isinstance(exc, Http404):
        # One message for every missing object: DRF would pass on "No Lead matches the query".
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # properties/access.py says which role may not do what; keep its message.
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        # Services validate with model.full_clean(); their errors are field errors too.
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and _only_codes(exc.detail, {MISSING_OBJECT}):
        # A well-formed id of an object that is not there (or not the user's): the request is
        # valid, its target is missing, as for an unknown id in the URL.
        response.status_code = status.HTTP_404_NOT_FOUND
        response.data = error_payload(
            "not_found", "A referenced object was not found.", _field_errors(exc)
        )
    elif isinstance(exc, exceptions.ValidationError) and _only_codes(exc.detail, CONFLICT_CODES):
        # Valid input that clashes with what is there (a phone number in use, no consent...).
        response.status_code = status.HTTP_409_CONFLICT
        response.data = error_payload(
            "conflict", "Conflicts with an existing object.", _field_errors(exc)
        )
    elif isinstance(exc, exceptions.ValidationError):
        response.data = error_payload("validation_error", "Invalid input.", _field_errors(exc))
    elif isinstance(exc, exceptions.APIException):
        response.data = _api_exception_payload(exc)
    return response


def _only_codes(detail: Any, codes: set[str]) -> bool:
    """Whether every error in `detail` (ErrorDetails in dicts and lists) has one of `codes`."""
    if isinstance(detail, Mapping):
        return bool(detail) and all(_only_codes(value, codes) for value in detail.values())
    if isinstance(detail, list):
        return bool(detail) and all(_only_codes(item, codes) for item in detail)
    return getattr(detail, "code", None) in codes


def _field_errors(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, Mapping):
        return {
            (NON_FIELD_ERRORS if key == "__all__" else key): value for key, value in detail.items()
        }
    return {NON_FIELD_ERRORS: detail if isinstance(detail, list) else [detail]}


def _api_exception_payload(exc: exceptions.APIException) -> dict[str, Any]:
    detail = exc.detail
    code = exc.default_code
    details: dict[str, Any] = {}
    if isinstance(detail, Mapping):
        # simplejwt's InvalidToken: {"detail": ..., "code": ..., "messages": [...]}.
        details = {key: value for key, value in detail.items() if key not in ("detail", "code")}
        code = str(detail.get("code", code))
        message = str(detail.get("detail", exc.default_detail))
    elif isinstance(detail, list):
        message = "; ".join(str(item) for item in detail)
    else:
        message = str(detail)
        code = getattr(detail, "code", None) or code
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["wait"] = round(exc.wait)
    return error_payload(str(code), message, details)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def json_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_payload("bad_request", "Bad request."), status=400)
    return defaults.bad_request(request, exception)


def json_permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_payload("permission_denied", "You do not have permission."), status=403
        )
    return defaults.permission_denied(request, exception)


def json_page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_payload("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def json_server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_payload("server_error", "Server error."), status=500)
    return defaults.server_error(request)
