"""Load the demo properties, units, office hours, leads and admin user (safe to re-run).

python manage.py load_demo_data
"""

from typing import Any

from django.core.management.base import BaseCommand

from leads.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_data_load


class Command(BaseCommand):
    help = "Create demo properties, units, leads and the demo admin user if they are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_data_load()
        if result.total_created:
            parts = ", ".join(f"{n} {what}" for what, n in result.created.items() if n)
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {parts}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Admin login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
