"""The JWT API under /api/v1/ (URL namespace "api"); the Vapi webhook is routed by voice.urls.

Resource routes have no trailing slash, as the voice routes in the product spec
(`/api/v1/voice/assistants`, `/api/v1/voice/call`, `/api/v1/voice/calls`); the token, schema and
docs routes keep theirs.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from config.auth import TokenObtainView, TokenRefreshView, TokenVerifyView
from leads.apis import LeadViewSet, TourViewSet
from leads.compliance.apis import CallDecisionViewSet, ConsentViewSet, SuppressionViewSet
from properties.apis import MyOrganizationsApi, PropertyViewSet, UnitViewSet
from voice.api.views import AssistantViewSet, CallLogViewSet, CallPlaceViewSet
from voice.campaigns.apis import CampaignViewSet

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("properties", PropertyViewSet, basename="property")
router.register("units", UnitViewSet, basename="unit")
router.register("leads", LeadViewSet, basename="lead")
router.register("tours", TourViewSet, basename="tour")
router.register("voice/assistants", AssistantViewSet, basename="assistant")
router.register("voice/calls", CallLogViewSet, basename="call")
router.register("voice/call", CallPlaceViewSet, basename="call-place")  # POST: place a call
router.register("voice/campaigns", CampaignViewSet, basename="campaign")
router.register("compliance/consents", ConsentViewSet, basename="consent")
router.register("compliance/suppressions", SuppressionViewSet, basename="suppression")
router.register("compliance/decisions", CallDecisionViewSet, basename="call-decision")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/token/verify/", TokenVerifyView.as_view(), name="token-verify"),
    path("me/organizations", MyOrganizationsApi.as_view(), name="my-organizations"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
