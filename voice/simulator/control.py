"""Talk to the simulator's control endpoints (not part of Vapi's API; see app.py)."""

from __future__ import annotations

import httpx

from voice.simulator.state import VapiObject
from voice.vapi.errors import VapiUnavailableError, VoiceConfigurationError, VoiceError


def simulator_start_inbound_call(
    *,
    base_url: str,
    api_key: str,
    to: str,
    from_number: str,
    scenario: str = "book_tour",
    transport: httpx.BaseTransport | None = None,
) -> VapiObject:
    """Have the simulator ring `to` (one of its numbers) from `from_number`; returns the call."""
    if not api_key:
        raise VoiceConfigurationError(
            "VAPI_API_KEY is not set (the simulator expects the same key as the app).",
            details={"setting": "VAPI_API_KEY"},
        )
    try:
        with httpx.Client(base_url=base_url, timeout=10, transport=transport) as http:
            response = http.post(
                "/_simulator/inbound",
                json={"to": to, "from": from_number, "scenario": scenario},
                headers={"Authorization": f"Bearer {api_key}"},
            )
    except httpx.HTTPError as exc:
        raise VapiUnavailableError(
            "Could not reach the Vapi simulator: is `make run` (or `manage.py vapi_simulator`) "
            "running?",
            details={"path": "/_simulator/inbound", "error": type(exc).__name__},
        ) from exc
    details = {"path": "/_simulator/inbound", "status": response.status_code}
    if response.status_code == 404 and "_simulator" in response.text:
        raise VoiceError(
            "VAPI_BASE_URL does not point at the simulator: simulated inbound calls only work "
            "with the offline simulator.",
            details=details,
        )
    if response.status_code == 401:
        raise VoiceError("The simulator refused VAPI_API_KEY.", details=details)
    try:
        body = response.json()
    except ValueError as exc:
        raise VoiceError("The simulator sent an unreadable answer.", details=details) from exc
    if not response.is_success:
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, list):
            message = "; ".join(str(item) for item in message)
        raise VoiceError(f"The simulator refused the call: {message}", details=details)
    return body
