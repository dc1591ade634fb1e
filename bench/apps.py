from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The webhook benchmark's reference views; installed only by bench/settings.py."""

    name = "bench"
    default_auto_field = "django.db.models.BigAutoField"
