from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Leasing Voice"
admin.site.site_title = "Leasing Voice admin"
admin.site.index_title = "Leasing operations"
# There is no public site (only the admin and the API), so "View site" would lead to a 404.
admin.site.site_url = None
# The app list beside every page took a quarter of a 1366-px laptop screen and pushed list
# columns off-screen; the index page and the breadcrumbs lead to the same places.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/voice/", include("voice.urls")),
    path("api/v1/", include("config.api_urls")),
]

# JSON errors under /api/ (config/errors.py); Django's HTML pages elsewhere.
handler400 = "config.errors.json_bad_request"
handler403 = "config.errors.json_permission_denied"
handler404 = "config.errors.json_page_not_found"
handler500 = "config.errors.json_server_error"
