"""The shared core of the Vapi clients (vapi-reference.md §1-§7): request specs, the retry
protocol, response parsing, error mapping, paging and settings, with no I/O of its own.

Two faces, one behaviour: `VapiClient` (client.py: sync, for services, admin and commands) and
`AsyncVapiClient` (async_client.py: async/await). Both inherit every endpoint method from
`VapiApi` and run `_VapiCore.exchange`, the request/retry protocol as a generator; a face only
sends the requests it yields and sleeps the delays (its `_send`).

Every failure leaves this module as a `VoiceError` subclass (voice/vapi/errors.py), never as an
httpx exception. Logs and error details carry method, path, status and Vapi's messages; never the
API key, request bodies, or phone numbers.

Tests inject `transport=` (httpx.MockTransport, or the simulator over a real socket); nothing here
is meant to be patched.
"""

from __future__ import annotations

import abc
import email.utils
import json
import logging
import math
import os
import random
import re
import threading
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Required, TypedDict, TypeVar, Unpack

import httpx
from django.conf import settings

from voice.vapi.errors import (
    VapiAPIError,
    VapiOutcomeUnknown,
    VapiRateLimitedError,
    VapiRequestInvalidError,
    VapiResponseError,
    VapiTimeoutError,
    VapiUnavailableError,
    VoiceConfigurationError,
    VoiceError,
    api_error_class,
    redact,
)

logger = logging.getLogger("voice.vapi")

VapiObject = dict[str, Any]
C = TypeVar("C")

DEFAULT_BASE_URL = "https://api.vapi.ai"  # vapi-reference.md §1
USER_AGENT = "leasing-voice/1.0"

# Endpoint paths (vapi-reference.md §2). No version prefix on the v1 endpoints we use.
ASSISTANTS_PATH = "/assistant"  # §4.1 CreateAssistantDTO; GET returns a JSON array
ASSISTANT_PATH = "/assistant/{id}"  # PATCH is a partial update; arrays are replaced (§2)
CALLS_PATH = "/call"  # §3.1 CreateCallDTO; GET returns a JSON array, no cursor
CALL_PATH = "/call/{id}"  # §3.2 Call object
PHONE_NUMBERS_PATH = "/phone-number"  # §7; GET returns a JSON array
PHONE_NUMBER_PATH = "/phone-number/{id}"  # §7; PATCH takes the provider's Update*PhoneNumberDTO
# Webhook credentials (vapi-reference.md §9.2, §12.10). Not in Vapi's public OpenAPI (69 paths,
# vapi-reference.md §0 and §2 say so; the dashboard is the documented way), but the OAS has the
# bodies: CreateWebhookCredentialDTO {provider "webhook", authenticationPlan, name <= 40},
# UpdateWebhookCredentialDTO, WebhookCredential, HMACAuthenticationPlan. The REST shape below
# (POST/GET /credential, GET/PATCH /credential/{id}) is the one those DTO names and the other
# resources follow; verify it on the first live run (UNVERIFIED in vapi-reference.md §2).
CREDENTIALS_PATH = "/credential"
CREDENTIAL_PATH = "/credential/{id}"
# §12.4 structured outputs. GET returns {results, metadata} (OAS StructuredOutputPaginatedResponse).
STRUCTURED_OUTPUTS_PATH = "/structured-output"
STRUCTURED_OUTPUT_PATH = "/structured-output/{id}"

# vapi-reference.md §3.1, §4.1, §10.7: Vapi rejects these over 40 characters.
MAX_NAME_LENGTH = 40
# vapi-reference.md §2: `limit` on the v1 list endpoints is 0-1000 (default 100).
MAX_LIST_LIMIT = 1000
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# GET, PATCH (a partial overwrite with the same values gives the same result) and DELETE can be
# repeated safely. POST cannot: see _VapiCore.retry_delay.
IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

OPERATIONS = {
    "create_assistant": "create the assistant",
    "get_assistant": "fetch the assistant",
    "update_assistant": "update the assistant",
    "delete_assistant": "delete the assistant",
    "list_assistants": "list assistants",
    "make_outbound_call": "place the call",
    "get_call": "fetch the call",
    "delete_call": "delete the call's data",
    "list_calls": "list calls",
    "list_phone_numbers": "list phone numbers",
    "update_phone_number": "update the phone number",
    "create_credential": "create the webhook credential",
    "get_credential": "fetch the webhook credential",
    "update_credential": "update the webhook credential",
    "list_credentials": "list credentials",
    "create_structured_output": "create the structured output",
    "get_structured_output": "fetch the structured output",
    "update_structured_output": "update the structured output",
    "list_structured_outputs": "list structured outputs",
}


def _missing_key_error() -> VoiceConfigurationError:
    return VoiceConfigurationError(
        "VAPI_API_KEY is not set: set it to your Vapi private API key, or point VAPI_BASE_URL "
        "at the simulator (`make run` does this; see the README, 'Vapi and the simulator').",
        details={"setting": "VAPI_API_KEY"},
    )


def truncate(value: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Cut `value` to Vapi's field limit instead of letting Vapi reject the request (§10.7)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit].rstrip()


def parse_vapi_datetime(value: str) -> datetime:
    """Vapi timestamps are ISO 8601 with a `Z` (vapi-reference.md §1)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_vapi_datetime(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise VapiRequestInvalidError("Call list filters need time-zone-aware datetimes.")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long idempotent requests are retried.

    Exponential backoff with "equal jitter" (half fixed, half random) so that many workers hitting
    the same outage do not retry in lock-step. A `Retry-After` from Vapi wins when it is within
    `max_delay`; a longer one is not waited out (a web request or admin action should fail fast),
    the error then carries `retry_after` so the caller can schedule a later attempt.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 20.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class VapiRequest:
    """One logical Vapi request, independent of sync/async sending."""

    operation: str
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    expect: Literal["object", "list", "any"] = "object"

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS


@dataclass
class _CallPager:
    """State for walking GET /call backwards through time, one page at a time.

    vapi-reference.md §2: the v1 list has no cursor, only `limit` and createdAt filters, and its
    sort order is not documented. We sort each page newest-first ourselves and ask for the next
    page with `createdAtLe = oldest createdAt seen`, skipping the ids already yielded at exactly
    that timestamp: with `createdAtLt` alone, calls created in the same millisecond as a page
    boundary would be lost. Memory stays bounded: one page plus the ids at the current boundary.
    """

    filters: dict[str, Any]
    page_size: int
    upper: str | None = None
    upper_inclusive: bool = False
    boundary_ids: set[str] = field(default_factory=set)
    done: bool = False

    def next_params(self) -> dict[str, Any]:
        params = {**self.filters, "limit": self.page_size}
        if self.upper is not None:
            params["createdAtLe" if self.upper_inclusive else "createdAtLt"] = self.upper
        return params

    def accept(self, page: list[VapiObject]) -> list[VapiObject]:
        try:
            ordered = sorted(page, key=lambda c: parse_vapi_datetime(c["createdAt"]), reverse=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise VapiResponseError(
                "Vapi returned calls without a readable createdAt.",
                details={"method": "GET", "path": CALLS_PATH},
            ) from exc
        fresh = [call for call in ordered if call.get("id") not in self.boundary_ids]
        if len(page) < self.page_size:
            self.done = True
        if not fresh:
            if not self.done:
                # More calls share one millisecond than fit in a page: step past that instant
                # (the calls of that millisecond we have not seen are skipped, and we say so).
                logger.warning(
                    "vapi list_calls: more than %d calls at %s; continuing below it",
                    self.page_size,
                    self.upper,
                )
                self.upper_inclusive = False
                self.boundary_ids = set()
            return []
        oldest = fresh[-1]["createdAt"]
        if oldest != self.upper:
            self.boundary_ids = set()
        self.boundary_ids.update(c["id"] for c in fresh if c["createdAt"] == oldest)
        self.upper, self.upper_inclusive = oldest, True
        return fresh


class CallFilters(TypedDict, total=False):
    """Filters of GET /call (vapi-reference.md §3.3)."""

    assistant_id: str | None
    phone_number_id: str | None
    created_at_gt: datetime | str | None
    created_at_lt: datetime | str | None


class OutboundCall(TypedDict, total=False):
    """What POST /call takes (vapi-reference.md §3.1); the first three are required."""

    assistant_id: Required[str]
    phone_number_id: Required[str]
    customer_number: Required[str]
    customer_name: str | None
    customer_external_id: str | None
    name: str | None
    metadata: dict[str, Any] | None
    assistant_overrides: VapiObject | None


class ClientOptions(TypedDict, total=False):
    """How a client reaches Vapi (get_vapi_client reads them from settings)."""

    api_key: str
    base_url: str
    connect_timeout: float
    read_timeout: float
    retry: RetryPolicy | None
    rng: random.Random | None


# What `_VapiCore.exchange` yields: a request to send, or seconds to sleep before the next attempt.
Step = httpx.Request | float


class _VapiCore:
    """Everything both clients share: request specs, response parsing, errors, retry decisions."""

    def __init__(
        self,
        *,
        api_key: str = "",
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise _missing_key_error()
        base_url = (base_url or "").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise VoiceConfigurationError(
                "VAPI_BASE_URL must be an http(s) URL, e.g. https://api.vapi.ai.",
                details={"setting": "VAPI_BASE_URL"},
            )
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._client_kwargs: dict[str, Any] = {
            "base_url": base_url,
            # §1: bearer auth with the private key on every request.
            "headers": {
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            "timeout": httpx.Timeout(read_timeout, connect=connect_timeout),
            "limits": httpx.Limits(max_connections=20, max_keepalive_connections=10),
            # A redirect would re-send the Authorization header somewhere else; Vapi's API
            # does not redirect (only recording downloads do, and we do not fetch those here).
            "follow_redirects": False,
        }

    def client_kwargs(self) -> dict[str, Any]:
        return dict(self._client_kwargs)

    # Request specs (one per endpoint) -----------------------------------------------------

    def create_assistant(self, config: VapiObject) -> VapiRequest:
        return VapiRequest("create_assistant", "POST", ASSISTANTS_PATH, json=_limit_name(config))

    def get_assistant(self, assistant_id: str) -> VapiRequest:
        return VapiRequest("get_assistant", "GET", _path(ASSISTANT_PATH, assistant_id))

    def update_assistant(self, assistant_id: str, changes: VapiObject) -> VapiRequest:
        path = _path(ASSISTANT_PATH, assistant_id)
        return VapiRequest("update_assistant", "PATCH", path, json=_limit_name(changes))

    def delete_assistant(self, assistant_id: str) -> VapiRequest:
        return VapiRequest("delete_assistant", "DELETE", _path(ASSISTANT_PATH, assistant_id))

    def list_assistants(self, *, limit: int | None) -> VapiRequest:
        params = {"limit": _check_limit(limit)} if limit is not None else None
        return VapiRequest("list_assistants", "GET", ASSISTANTS_PATH, params=params, expect="list")

    def make_outbound_call(
        self,
        *,
        assistant_id: str,
        phone_number_id: str,
        customer_number: str,
        customer_name: str | None = None,
        customer_external_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        assistant_overrides: VapiObject | None = None,
    ) -> VapiRequest:
        if not assistant_id or not phone_number_id:
            raise VapiRequestInvalidError(
                "An outbound call needs a Vapi assistant id and a Vapi phone number id.",
                details={"operation": "make_outbound_call"},
            )
        if not E164.match(customer_number or ""):
            # The number itself stays out of the message and details (personal data).
            raise VapiRequestInvalidError(
                "The number to call is not a valid E.164 phone number (e.g. +14155550100).",
                details={"operation": "make_outbound_call", "field": "customer.number"},
            )
        customer: VapiObject = {"number": customer_number}
        if customer_name and customer_name.strip():
            customer["name"] = truncate(customer_name)
        if customer_external_id:
            customer["externalId"] = truncate(customer_external_id)
        # §3.1: there is no top-level `metadata` on POST /call; our ids travel in
        # assistantOverrides.metadata and come back on every webhook as call.assistantOverrides.
        overrides: VapiObject = dict(assistant_overrides or {})
        merged_metadata = {**(overrides.get("metadata") or {}), **(metadata or {})}
        if merged_metadata:
            overrides["metadata"] = {
                str(k): str(v) for k, v in merged_metadata.items() if v is not None
            }
        body: VapiObject = {
            "assistantId": assistant_id,
            "phoneNumberId": phone_number_id,
            "customer": customer,
        }
        if name:
            body["name"] = truncate(name)
        if overrides:
            body["assistantOverrides"] = overrides
        return VapiRequest("make_outbound_call", "POST", CALLS_PATH, json=body)

    def get_call(self, call_id: str) -> VapiRequest:
        return VapiRequest("get_call", "GET", _path(CALL_PATH, call_id))

    def delete_call(self, call_id: str) -> VapiRequest:
        return VapiRequest("delete_call", "DELETE", _path(CALL_PATH, call_id))

    def list_calls(self, params: dict[str, Any]) -> VapiRequest:
        return VapiRequest("list_calls", "GET", CALLS_PATH, params=params, expect="list")

    def list_calls_page(self, filters: CallFilters, *, limit: int | None) -> VapiRequest:
        params = self.call_filters(**filters)
        if limit is not None:
            params["limit"] = _check_limit(limit)
        return self.list_calls(params)

    def call_pager(self, filters: CallFilters, *, page_size: int) -> _CallPager:
        created_at_lt = filters.get("created_at_lt")
        return _CallPager(
            filters=self.call_filters(**{**filters, "created_at_lt": None}),
            page_size=_check_limit(page_size) or 1,
            upper=format_vapi_datetime(created_at_lt) if created_at_lt is not None else None,
        )

    def update_phone_number(self, phone_number_id: str, changes: VapiObject) -> VapiRequest:
        path = _path(PHONE_NUMBER_PATH, phone_number_id)
        return VapiRequest("update_phone_number", "PATCH", path, json=_limit_name(changes))

    def create_credential(self, body: VapiObject) -> VapiRequest:
        return VapiRequest("create_credential", "POST", CREDENTIALS_PATH, json=_limit_name(body))

    def get_credential(self, credential_id: str) -> VapiRequest:
        return VapiRequest("get_credential", "GET", _path(CREDENTIAL_PATH, credential_id))

    def update_credential(self, credential_id: str, changes: VapiObject) -> VapiRequest:
        path = _path(CREDENTIAL_PATH, credential_id)
        return VapiRequest("update_credential", "PATCH", path, json=_limit_name(changes))

    def list_credentials(self, *, limit: int | None) -> VapiRequest:
        params = {"limit": _check_limit(limit)} if limit is not None else None
        return VapiRequest(
            "list_credentials", "GET", CREDENTIALS_PATH, params=params, expect="list"
        )

    def list_phone_numbers(self, *, limit: int | None) -> VapiRequest:
        params = {"limit": _check_limit(limit)} if limit is not None else None
        return VapiRequest(
            "list_phone_numbers", "GET", PHONE_NUMBERS_PATH, params=params, expect="list"
        )

    def create_structured_output(self, definition: VapiObject) -> VapiRequest:
        return VapiRequest(
            "create_structured_output", "POST", STRUCTURED_OUTPUTS_PATH, json=definition
        )

    def get_structured_output(self, output_id: str) -> VapiRequest:
        path = _path(STRUCTURED_OUTPUT_PATH, output_id)
        return VapiRequest("get_structured_output", "GET", path)

    def update_structured_output(self, output_id: str, changes: VapiObject) -> VapiRequest:
        # OAS PATCH /structured-output/{id}: `schemaOverride` is a required query parameter, and
        # a changed `schema` is only applied with schemaOverride=true (vapi-reference.md §12.4).
        override = "true" if "schema" in changes else "false"
        return VapiRequest(
            "update_structured_output",
            "PATCH",
            _path(STRUCTURED_OUTPUT_PATH, output_id),
            params={"schemaOverride": override},
            json=changes,
        )

    def list_structured_outputs(self, *, name: str | None, limit: int | None) -> VapiRequest:
        params: dict[str, Any] = {}
        if name:
            params["name"] = name
        if limit is not None:
            params["limit"] = _check_limit(limit)
        return VapiRequest(
            "list_structured_outputs",
            "GET",
            STRUCTURED_OUTPUTS_PATH,
            params=params or None,
            expect="any",  # {results, metadata}; a bare array is accepted too
        )

    @staticmethod
    def call_filters(
        *,
        assistant_id: str | None = None,
        phone_number_id: str | None = None,
        created_at_gt: datetime | str | None = None,
        created_at_lt: datetime | str | None = None,
        created_at_ge: datetime | str | None = None,
        created_at_le: datetime | str | None = None,
    ) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        if assistant_id:
            filters["assistantId"] = assistant_id
        if phone_number_id:
            filters["phoneNumberId"] = phone_number_id
        for key, value in (
            ("createdAtGt", created_at_gt),
            ("createdAtLt", created_at_lt),
            ("createdAtGe", created_at_ge),
            ("createdAtLe", created_at_le),
        ):
            if value is not None:
                filters[key] = format_vapi_datetime(value)
        return filters

    # Sending: the request/retry protocol --------------------------------------------------

    def exchange(
        self, http: httpx.Client | httpx.AsyncClient, request: VapiRequest
    ) -> Generator[Step, httpx.Response | None, Any]:
        """One request through its retries, without I/O. Yields the `httpx.Request` to send (the
        face sends back the response, or throws the `httpx.TransportError` in) or the seconds to
        sleep before the next attempt (the face sends back None); returns the parsed body, or
        raises a VoiceError."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = yield self.build(http, request)
            except httpx.TransportError as exc:
                delay = self.retry_delay(request, attempt, exc=exc)
                if delay is None:
                    raise self.transport_error(request, exc, attempt) from exc
                reason = type(exc).__name__
            else:
                assert response is not None  # noqa: S101 - the face sends a response back
                delay = self.retry_delay(request, attempt, response=response)
                if delay is None:
                    return self.parse(request, response, attempt)
                reason = f"HTTP {response.status_code}"
            self.log_retry(request, attempt, delay, reason)
            yield float(delay)

    # Sending helpers ----------------------------------------------------------------------

    @staticmethod
    def build(http: httpx.Client | httpx.AsyncClient, request: VapiRequest) -> httpx.Request:
        return http.build_request(
            request.method, request.path, params=request.params, json=request.json
        )

    def retry_delay(
        self,
        request: VapiRequest,
        attempt: int,
        *,
        response: httpx.Response | None = None,
        exc: Exception | None = None,
    ) -> float | None:
        """Seconds to wait before trying `request` again, or None to stop here.

        POST is never retried after it may have reached Vapi: a retried POST /call whose first
        attempt did arrive would dial the lead twice (§3.1, no idempotency key), and a retried
        POST /assistant would create a duplicate assistant. The only POST retry is when the
        connection was never opened (connect error / connect or pool timeout): then no byte of
        the request left this machine, so Vapi cannot have acted on it.
        """
        if attempt > self.retry.max_retries:
            return None
        if exc is not None:
            never_sent = isinstance(
                exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            retryable = isinstance(
                exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
            )
            if never_sent or (request.idempotent and retryable):
                return self.retry.backoff(attempt, self.rng)
            return None
        if response is None or not request.idempotent:
            return None
        if response.status_code not in RETRY_STATUSES:
            return None
        retry_after = _retry_after_seconds(response)
        if retry_after is None:
            return self.retry.backoff(attempt, self.rng)
        return retry_after if retry_after <= self.retry.max_delay else None

    def log_retry(self, request: VapiRequest, attempt: int, delay: float, reason: str) -> None:
        logger.warning(
            "vapi %s %s failed (%s); retry %d/%d in %.2fs",
            request.method,
            request.path,
            reason,
            attempt,
            self.retry.max_retries,
            delay,
        )

    def transport_error(self, request: VapiRequest, exc: Exception, attempts: int) -> VoiceError:
        details = _details(request, attempts=attempts, error=type(exc).__name__)
        action = OPERATIONS.get(request.operation, request.operation)
        logger.warning(
            "vapi %s %s gave up after %d attempt(s): %s",
            request.method,
            request.path,
            attempts,
            type(exc).__name__,
        )
        if not request.idempotent and _maybe_sent(exc):
            return VapiOutcomeUnknown(
                f"Vapi did not answer in time; it may have received the request to {action}.",
                details={**details, "outcome": "unknown"},
            )
        if isinstance(exc, httpx.TimeoutException):
            return VapiTimeoutError(
                f"Vapi did not answer in time; could not {action}.", details=details
            )
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return VoiceConfigurationError(
                "VAPI_BASE_URL is not a usable URL.",
                details={**details, "setting": "VAPI_BASE_URL"},
            )
        return VapiUnavailableError(f"Could not reach Vapi; could not {action}.", details=details)

    def parse(self, request: VapiRequest, response: httpx.Response, attempts: int) -> Any:
        """The JSON body of a 2xx answer, or the VoiceError that describes a failure."""
        logger.debug(
            "vapi %s %s -> %s (attempt %d)",
            request.method,
            request.path,
            response.status_code,
            attempts,
        )
        if response.is_success:
            return self._json_body(request, response, attempts)
        raise self.api_error(request, response, attempts)

    def api_error(
        self, request: VapiRequest, response: httpx.Response, attempts: int
    ) -> VapiAPIError:
        status = response.status_code
        vapi_error, vapi_messages = _vapi_error_body(response)
        details = _details(request, attempts=attempts, status=status)
        if vapi_error:
            details["vapi_error"] = vapi_error
        if vapi_messages:
            details["vapi_messages"] = vapi_messages
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            details["retry_after"] = retry_after
        action = OPERATIONS.get(request.operation, request.operation)
        error_class = api_error_class(status)
        if error_class is VapiRateLimitedError:
            message = f"Vapi is rate limiting us; could not {action}. Try again shortly."
        elif status in (401, 403):
            message = f"Vapi refused our API key (HTTP {status}); check VAPI_API_KEY."
        elif status >= 500:
            message = f"Vapi had an internal error (HTTP {status}); could not {action}."
        else:
            message = f"Vapi could not {action} (HTTP {status})."
        if vapi_messages and status < 500:
            message = f"{message[:-1]}: {'; '.join(vapi_messages[:3])}"
        return error_class(message, details=details)

    def _json_body(self, request: VapiRequest, response: httpx.Response, attempts: int) -> Any:
        if not response.content:
            if request.expect == "list":
                return []
            return None if request.method == "DELETE" else {}
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise VapiResponseError(
                "Vapi sent a response that is not valid JSON.",
                details=_details(
                    request, attempts=attempts, status=response.status_code, error="invalid JSON"
                ),
            ) from exc
        expected = {"object": dict, "list": list}.get(request.expect)
        if expected is not None and not isinstance(data, expected):
            raise VapiResponseError(
                f"Vapi sent an unexpected response (expected a JSON {request.expect}).",
                details=_details(
                    request, attempts=attempts, status=response.status_code, error="wrong shape"
                ),
            )
        return data


# Transport errors after which a request may have reached Vapi (and been acted on): the bytes
# were (partly) written, or the answer was being awaited or read. ConnectError, ConnectTimeout and
# PoolTimeout are not here: no connection, so nothing was sent (those POSTs are even retried).
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def _maybe_sent(exc: Exception) -> bool:
    return isinstance(exc, _MAYBE_SENT)


def _path(template: str, object_id: str) -> str:
    object_id = str(object_id or "").strip()
    # Ids are UUIDs; refusing slashes etc. keeps a bad id from reaching another endpoint.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", object_id):
        raise VapiRequestInvalidError(
            "That is not a valid Vapi id.", details={"path": template.replace("/{id}", "")}
        )
    return template.format(id=object_id)


def _check_limit(limit: int) -> int:
    if not 0 <= limit <= MAX_LIST_LIMIT:
        raise VapiRequestInvalidError(
            f"limit must be between 0 and {MAX_LIST_LIMIT}.", details={"limit": limit}
        )
    return limit


def _limit_name(config: VapiObject) -> VapiObject:
    if isinstance(config.get("name"), str) and len(config["name"]) > MAX_NAME_LENGTH:
        return {**config, "name": truncate(config["name"])}
    return config


def _details(request: VapiRequest, **extra: Any) -> dict[str, Any]:
    return {"operation": request.operation, "method": request.method, "path": request.path, **extra}


def _vapi_error_body(response: httpx.Response) -> tuple[str, list[str]]:
    """Vapi's NestJS-style error body `{statusCode, error, message}` (vapi-reference.md §1).

    `message` may be a string or a list of strings; anything else (HTML from a proxy, empty) is
    reduced to nothing rather than echoed, since it may be large or contain anything.
    """
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "", []
    if not isinstance(body, dict):
        return "", []
    raw = body.get("message")
    items = raw if isinstance(raw, list) else [raw] if raw else []
    messages = [redact(str(item), limit=200) for item in items[:10] if item]
    error = body.get("error")
    return (redact(error, limit=100) if isinstance(error, str) else ""), messages


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


# The endpoints, shared by both faces -----------------------------------------------------------


class VapiApi(abc.ABC):
    """The Vapi endpoints, written once for both faces. Each method builds its request with the
    core and hands it to the face's `_send`: the sync face returns the result, the async face an
    awaitable of it."""

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        self._core = _VapiCore(**options)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @abc.abstractmethod
    def _send(self, request: VapiRequest) -> Any:
        """Send one request: the sync face returns its result, the async face an awaitable."""

    # Assistants (vapi-reference.md §4) --------------------------------------------------------

    def create_assistant(self, config: VapiObject) -> Any:
        """POST /assistant. Not retried (a retry could create a duplicate assistant)."""
        return self._send(self._core.create_assistant(config))

    def get_assistant(self, assistant_id: str) -> Any:
        return self._send(self._core.get_assistant(assistant_id))

    def update_assistant(self, assistant_id: str, changes: VapiObject) -> Any:
        """PATCH /assistant/{id}: top-level keys given replace Vapi's (send whole `model`)."""
        return self._send(self._core.update_assistant(assistant_id, changes))

    def delete_assistant(self, assistant_id: str) -> Any:
        return self._send(self._core.delete_assistant(assistant_id))

    def list_assistants(self, *, limit: int | None = None) -> Any:
        return self._send(self._core.list_assistants(limit=limit))

    # Calls (vapi-reference.md §3) ---------------------------------------------------------

    def make_outbound_call(self, **call: Unpack[OutboundCall]) -> Any:
        """POST /call: dial `customer_number` (E.164) from `phone_number_id`.

        Sent exactly once (see _VapiCore.retry_delay). Names are cut to 40 characters; `metadata`
        goes to assistantOverrides.metadata with string values.
        """
        return self._send(self._core.make_outbound_call(**call))

    def get_call(self, call_id: str) -> Any:
        return self._send(self._core.get_call(call_id))

    def delete_call(self, call_id: str) -> Any:
        """DELETE /call/{id}: Vapi deletes the call's data, recordings and artifacts included;
        answers the deleted call. 503 (vapi-reference.md §1) means the recordings could not be
        erased and nothing was deleted: retried like any idempotent request, then raised as
        VapiServerError for the caller to try again later. 404: nothing (left) to delete."""
        return self._send(self._core.delete_call(call_id))

    def list_calls(self, *, limit: int | None = None, **filters: Unpack[CallFilters]) -> Any:
        """One page of GET /call (at most `limit` calls, Vapi's default 100)."""
        return self._send(self._core.list_calls_page(filters, limit=limit))

    # Phone numbers (vapi-reference.md §7) -------------------------------------------------

    def list_phone_numbers(self, *, limit: int | None = None) -> Any:
        return self._send(self._core.list_phone_numbers(limit=limit))

    def update_phone_number(self, phone_number_id: str, changes: VapiObject) -> Any:
        """PATCH /phone-number/{id} (e.g. its `server`, where inbound assistant-requests go)."""
        return self._send(self._core.update_phone_number(phone_number_id, changes))

    # Webhook credentials (vapi-reference.md §9.2; path not in the public OAS, see
    # CREDENTIALS_PATH) ---------------------------------------------------------------------------

    def create_credential(self, body: VapiObject) -> Any:
        """POST /credential (CreateWebhookCredentialDTO). Not retried: a retry could make two."""
        return self._send(self._core.create_credential(body))

    def get_credential(self, credential_id: str) -> Any:
        return self._send(self._core.get_credential(credential_id))

    def update_credential(self, credential_id: str, changes: VapiObject) -> Any:
        """PATCH /credential/{id} (UpdateWebhookCredentialDTO), e.g. a new secret."""
        return self._send(self._core.update_credential(credential_id, changes))

    def list_credentials(self, *, limit: int | None = None) -> Any:
        return self._send(self._core.list_credentials(limit=limit))

    # Structured outputs (vapi-reference.md §12.4) -------------------------------------------

    def create_structured_output(self, definition: VapiObject) -> Any:
        """POST /structured-output (CreateStructuredOutputDTO: name ≤ 40, schema). Not retried."""
        return self._send(self._core.create_structured_output(definition))

    def get_structured_output(self, output_id: str) -> Any:
        return self._send(self._core.get_structured_output(output_id))

    def update_structured_output(self, output_id: str, changes: VapiObject) -> Any:
        """PATCH /structured-output/{id}; sends schemaOverride=true when `schema` is in it."""
        return self._send(self._core.update_structured_output(output_id, changes))

    def list_structured_outputs(self, *, name: str | None = None, limit: int | None = None) -> Any:
        """GET /structured-output: `{results, metadata}` (one page), optionally by exact name."""
        return self._send(self._core.list_structured_outputs(name=name, limit=limit))


# Settings ------------------------------------------------------------------------------------


def settings_options() -> ClientOptions:
    """The client options from settings (VAPI_*); VoiceConfigurationError without a key."""
    api_key = getattr(settings, "VAPI_API_KEY", "")
    if not api_key:
        raise _missing_key_error()
    return {
        "api_key": api_key,
        "base_url": getattr(settings, "VAPI_BASE_URL", DEFAULT_BASE_URL),
        "connect_timeout": float(getattr(settings, "VAPI_CONNECT_TIMEOUT_SECONDS", 5.0)),
        "read_timeout": float(getattr(settings, "VAPI_READ_TIMEOUT_SECONDS", 20.0)),
        "retry": RetryPolicy(
            max_retries=int(getattr(settings, "VAPI_MAX_RETRIES", 2)),
            base_delay=float(getattr(settings, "VAPI_RETRY_BACKOFF_SECONDS", 0.5)),
            max_delay=float(getattr(settings, "VAPI_RETRY_MAX_DELAY_SECONDS", 20.0)),
        ),
    }


class ClientCache(Generic[C]):
    """The clients of a process, by the settings they were built from (a settings change gets a
    fresh client instead of silently talking to the old URL with the old key) and, for async
    clients, by event loop (an httpx.AsyncClient belongs to the loop it first ran on; a loop's
    clients go with it). Forgotten in a forked child: a gunicorn --preload worker must not share
    the parent's sockets."""

    def __init__(self, build: Callable[..., C]) -> None:
        self._build = build
        self._forget()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], C]] = (
            weakref.WeakKeyDictionary()
        )
        self._clients: dict[tuple[Any, ...], C] = {}

    def get(self, options: ClientOptions, *, loop: Any = None) -> C:
        key = tuple(sorted((name, repr(value)) for name, value in options.items()))
        with self._lock:
            clients = self._clients if loop is None else self._by_loop.setdefault(loop, {})
            client = clients.get(key)
            if client is None:
                client = clients[key] = self._build(**options)
            return client
