"""`POST /api/v1/voice/webhook`: Vapi's server messages and tool calls.

A plain Django View, not DRF: the HMAC needs the raw body, and DRF's authentication, parsers and
content negotiation add cost on the hot path for nothing (performance-notes.md). CSRF does not
apply (Vapi is not a browser; the signature is the authentication) and neither does JWT.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from voice.webhooks.auth import WebhookAuthError, WebhookNotConfiguredError, webhook_request_verify
from voice.webhooks.envelope import WebhookPayloadError, envelope_parse
from voice.webhooks.inbox import webhook_delivery_handle

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class VapiWebhookView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        limit = settings.VAPI_WEBHOOK_MAX_BODY_BYTES
        # Refuse an oversized body before reading or hashing it.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return JsonResponse({"error": "payload too large"}, status=413)
        try:
            body = request.body
        except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse({"error": "payload too large"}, status=413)
        if len(body) > limit:
            return JsonResponse({"error": "payload too large"}, status=413)

        # Verification comes before anything is parsed or stored (vapi-reference.md §9).
        try:
            webhook_request_verify(headers=request.headers, body=body)
        except WebhookNotConfiguredError as exc:
            logger.error("vapi webhook refused: %s", exc)
            return JsonResponse({"error": "webhook not configured"}, status=503)
        except WebhookAuthError as exc:
            logger.warning("vapi webhook rejected: %s", exc)
            return JsonResponse({"error": "unauthorized"}, status=401)

        try:
            envelope = envelope_parse(body=body)
        except WebhookPayloadError as exc:
            logger.warning("vapi webhook bad payload: %s", exc)
            return JsonResponse({"error": "invalid payload", "detail": str(exc)}, status=400)
        return JsonResponse(webhook_delivery_handle(envelope=envelope))

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        response = JsonResponse({"error": "method not allowed"}, status=405)
        response["Allow"] = "POST"
        return response
