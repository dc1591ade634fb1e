"""Reference endpoints: the least work a correct webhook can do, to measure the product against.

Not part of the product. They share the product's signature check (the same HMAC code), JSON
parsing, server, middleware, settings and database, so the ratio product / reference isolates
what the product's own design costs (performance-notes.md: absolute speeds vary 2x by day).
"""

import json

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from bench.models import RefEvent
from properties.models import Unit
from voice.webhooks.auth import WebhookAuthError, webhook_request_verify


class HealthView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")


@method_decorator(csrf_exempt, name="dispatch")
class RefToolView(View):
    """A tool call: verify, parse, one indexed SELECT, one INSERT, one transaction."""

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            webhook_request_verify(headers=request.headers, body=request.body)
        except WebhookAuthError:
            return JsonResponse({"error": "unauthorized"}, status=401)
        message = json.loads(request.body)["message"]
        tool_call = message["toolCallList"][0]
        arguments = tool_call["function"]["arguments"]
        with transaction.atomic():
            units = list(
                Unit.objects.filter(
                    property_id=int(arguments["property_id"]),
                    status=Unit.Status.AVAILABLE,
                    bedrooms=arguments["bedrooms"],
                ).order_by("monthly_rent")[:3]
            )
            result = "; ".join(f"unit {u.unit_number}, ${u.monthly_rent:,.0f}" for u in units)
            answer = {
                "results": [
                    {"toolCallId": tool_call["id"], "name": "check_availability", "result": result}
                ]
            }
            RefEvent.objects.create(
                key=tool_call["id"], payload=message, response=answer, received_at=timezone.now()
            )
        return JsonResponse(answer)


@method_decorator(csrf_exempt, name="dispatch")
class RefStoreView(View):
    """Store and acknowledge: verify, parse, one INSERT of the payload in autocommit."""

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            webhook_request_verify(headers=request.headers, body=request.body)
        except WebhookAuthError:
            return JsonResponse({"error": "unauthorized"}, status=401)
        message = json.loads(request.body)["message"]
        RefEvent.objects.create(
            key=f"{message['call']['id']}:{message['type']}:{message['timestamp']}",
            payload=message,
            received_at=timezone.now(),
        )
        return JsonResponse({})
