"""The OpenAPI schema class: every operation documents the error responses it can give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from config.errors import ErrorSerializer


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation can give, all with the `Error` component.

    Explicit `@extend_schema(responses={...})` entries win. A view lists the actions that call Vapi
    in `voice_actions`; those also document 503 `voice_unavailable`.
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
        if has_path_id or is_list:
            errors.append(("404", "Not found (also: another user's object, a bad page or cursor)."))
        errors.append(("429", "Too many requests: `details.wait` says how many seconds to wait."))
        if getattr(self.view, "action", None) in getattr(self.view, "voice_actions", ()):
            errors.append(
                ("503", "Vapi is unavailable or refused the request (voice_unavailable).")
            )
        return errors


def error_response(description: str) -> OpenApiResponse:
    """An `Error` response for `@extend_schema(responses={...})`, for the cases the rules above
    cannot see, e.g. `404: error_response("No such property")` for `?property_id=` on a create.
    """
    return OpenApiResponse(ErrorSerializer, description=description)
