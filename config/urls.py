from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Leasing Voice"
admin.site.site_title = "Leasing Voice admin"
admin.site.index_title = "Leasing operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/voice/", include("voice.urls")),
]
