from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "properties"
    verbose_name = "Properties"

    def ready(self) -> None:
        # Admin autodiscovery (django.contrib.admin's ready(), earlier in INSTALLED_APPS) has
        # registered every admin by now: those not scoped by membership become superuser-only.
        from properties.admin_access import restrict_unscoped_admins_to_superusers

        restrict_unscoped_admins_to_superusers()
