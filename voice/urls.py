from django.urls import path

from voice.webhooks.views import VapiWebhookView

app_name = "voice"

urlpatterns = [
    # No trailing slash: the URL pushed to Vapi is PUBLIC_BASE_URL + "/api/v1/voice/webhook".
    path("webhook", VapiWebhookView.as_view(), name="webhook"),
]
