"""The OpenAPI schema class: every operation documents the error responses it can give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from config.api import OwnedPrimaryKeyRelatedField
from config.errors import ErrorSerializer


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation can give, all with the `Error` component.

    Explicit `@extend_schema(responses={...})` entries win. A view lists the actions that call Vapi
    in `voice_actions`; those also document 503 `voice_unavailable`. The actions that can clash
    with existing objects (a unique value, a state) are in `conflict_actions` (409 `conflict`).
    """

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_responses():
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return dict(sorted(responses.items()))

    def _error_responses(self) -> list[tuple[str, str]]:
        has_path_id = "{" in self.path
        is_list = self.method == "GET" and not has_path_id and self._is_list_view()
        errors = []
        if self.method in ("POST", "PUT", "PATCH") or is_list:
            errors.append(("400", "Invalid input: `details` holds the field errors."))
        errors.append(("401", "Missing, malformed or expired token, or wrong credentials."))
        if self.method not in ("GET", "HEAD") and getattr(self.view, "write_access", None):
            errors.append(
                ("403", "Your role in the organization does not allow this (`detail` says why).")
            )
        if has_path_id or is_list:
            errors.append(
                ("404", "Not found (also: another organization's object, a bad page or cursor).")
            )
        elif self._refers_to_objects():
            errors.append(
                ("404", "An id in the body is not one of the objects you can see (`details`).")
            )
        if getattr(self.view, "action", None) in getattr(self.view, "conflict_actions", ()):
            errors.append(
                ("409", "Clashes with an existing object (a phone or unit number in use).")
            )
        errors.append(("429", "Too many requests: `details.wait` says how many seconds to wait."))
        if getattr(self.view, "action", None) in getattr(self.view, "voice_actions", ()):
            errors.append(
                ("503", "Vapi is unavailable or refused the request (voice_unavailable).")
            )
        return errors

    def _refers_to_objects(self) -> bool:
        """Whether the request body names objects by id (config/errors.py: 404 when missing)."""
        if self.method not in ("POST", "PUT", "PATCH"):
            return False
        serializer = self.get_request_serializer()
        if isinstance(serializer, type):
            serializer = serializer()
        fields = getattr(serializer, "fields", {})
        return any(isinstance(field, OwnedPrimaryKeyRelatedField) for field in fields.values())


def error_response(description: str) -> OpenApiResponse:
    """An `Error` response for `@extend_schema(responses={...})`, for the cases the rules above
    cannot see, e.g. `404: error_response("No such property")` for `?property_id=` on a create.
    """
    return OpenApiResponse(ErrorSerializer, description=description)


# DRF's CharField and Django's form fields (the filters) refuse NUL characters, and so does
# ApiViewSet for every query parameter: say so wherever the schema has free text.
NO_NUL_PATTERN = r"^[^\x00]*$"
# DRF strips surrounding whitespace before its "may not be blank" check.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def forbid_nul_characters(result: dict, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook: free-text inputs get a pattern that excludes NUL
    (and, where they may not be blank, asks for one character that is not whitespace).

    Free text: a string without `enum`, `format` or `pattern` of its own, in a query parameter
    or in a request body property (response-only properties are `readOnly`).
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query":
                    _forbid_nul(parameter.get("schema", {}))
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if not prop.get("readOnly"):
                _forbid_nul(prop)
    return result


def _forbid_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NOT_BLANK_PATTERN if schema.get("minLength") else NO_NUL_PATTERN
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _forbid_nul(schema[key])
