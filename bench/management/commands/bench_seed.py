"""Fresh benchmark data: one property with units and office hours, its assistant; empty inboxes.

DJANGO_SETTINGS_MODULE=bench.settings python manage.py bench_seed
"""

import json
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from properties.models import Membership, OfficeHours, Organization, Property, Unit
from voice.models import Assistant

BENCH_ASSISTANT_ID = "asst-bench"


class Command(BaseCommand):
    help = "Reset the benchmark database and print the bench property's id as JSON."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE webhook_events, bench_ref_events, call_logs, voice_transcriptline, "
                "lead_activities, leads_tour, leads_lead RESTART IDENTITY CASCADE"
            )
        owner, _ = get_user_model().objects.get_or_create(username="bench")
        organization, _ = Organization.objects.get_or_create(
            name="Bench", defaults={"legal_name": "Bench Properties LLC"}
        )
        Membership.objects.get_or_create(
            user=owner, organization=organization, defaults={"role": Membership.Role.ADMIN}
        )
        prop, _ = Property.objects.update_or_create(
            leasing_phone="+14155550190",
            defaults={
                "organization": organization,
                "name": "Bench Towers",
                "address_line": "1 Bench Way",
                "city": "San Francisco",
                "state": "CA",
                "postal_code": "94107",
                "timezone": "America/Los_Angeles",
                "transfer_phone": "+14155550191",
            },
        )
        prop.office_hours.all().delete()
        OfficeHours.objects.bulk_create(
            OfficeHours(property=prop, weekday=day, opens_at=time(9), closes_at=time(18))
            for day in range(7)
        )
        prop.units.all().delete()
        today = timezone.localdate()
        Unit.objects.bulk_create(
            Unit(
                property=prop,
                unit_number=f"{floor}{n:02d}",
                floor_plan=f"Plan {n % 4}",
                bedrooms=n % 4,
                bathrooms=Decimal("1.0") + (n % 4 > 1),
                square_feet=500 + 250 * (n % 4),
                monthly_rent=Decimal(1800 + 650 * (n % 4) + 25 * floor),
                available_from=today + timedelta(days=(n * 7) % 60),
                status=("available", "available", "on_notice", "occupied")[(n + floor) % 4],
            )
            for floor in range(1, 6)
            for n in range(1, 9)
        )
        Assistant.objects.update_or_create(
            vapi_assistant_id=BENCH_ASSISTANT_ID, defaults={"property": prop, "name": "Bench"}
        )
        self.stdout.write(json.dumps({"property_id": prop.pk, "assistant_id": BENCH_ASSISTANT_ID}))
