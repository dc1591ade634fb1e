"""Test-only URLs: the real ones plus views that raise what the error handler must map."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from config.api import VOICE_CALL_THROTTLE_SCOPE, ApiViewSet
from config.urls import handler400, handler403, handler404, handler500, urlpatterns
from voice.vapi.errors import VoiceError


class VoiceDownView(APIView):
    def get(self, request):
        raise VoiceError(
            "Vapi did not answer in time.",
            details={"method": "POST", "path": "/call", "status": 504},
        )


class CrashView(APIView):
    def get(self, request):
        raise RuntimeError("boom")


class ModelValidationView(APIView):
    def get(self, request):
        raise DjangoValidationError({"phone": ["Bad phone."], "__all__": ["Bad lead."]})


class PlaceCallView(APIView):
    """Stands in for POST /api/v1/voice/call until it exists: the stricter throttle scope."""

    throttle_scope = VOICE_CALL_THROTTLE_SCOPE

    def post(self, request):
        return Response({"ok": True})


class VoiceProbeViewSet(ApiViewSet):
    """A viewset whose `create` calls Vapi: the schema must document 503 for it alone."""

    voice_actions = ("create",)

    @extend_schema(request=None, responses={201: None})
    def create(self, request):
        raise VoiceError("Vapi is down.")

    @extend_schema(responses={200: None})
    def list(self, request):
        return Response([])


router = SimpleRouter(trailing_slash=False)
router.register("voice-probe", VoiceProbeViewSet, basename="voice-probe")

test_patterns = [
    path("voice-down", VoiceDownView.as_view()),
    path("crash", CrashView.as_view()),
    path("model-validation", ModelValidationView.as_view()),
    path("place-call", PlaceCallView.as_view()),
    *router.urls,
]

urlpatterns = [*urlpatterns, path("api/v1/test/", include(test_patterns))]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
