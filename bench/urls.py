from django.urls import path

from bench.views import HealthView, RefStoreView, RefToolView
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("bench/health", HealthView.as_view()),
    path("bench/ref/tool", RefToolView.as_view()),
    path("bench/ref/store", RefStoreView.as_view()),
]
