"""Reads about leads and tours: caller lookup, slot occupancy, free tour times."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from leads.models import Lead, LeadActivity, Tour
from properties.access import properties_visible_to
from properties.localtime import local_day_start
from properties.models import Property
from properties.selectors import office_hours_on


def lead_get(*, lead_id: int | str | None, property_id: int | None = None) -> Lead | None:
    """A lead by primary key (ids from Vapi metadata arrive as strings), optionally scoped."""
    try:
        pk = int(lead_id) if lead_id not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if pk is None:
        return None
    leads = Lead.objects.filter(pk=pk)
    if property_id is not None:
        leads = leads.filter(property_id=property_id)
    return leads.first()


def lead_get_by_phone(*, property_id: int, phone: str | None) -> Lead | None:
    """The property's lead with this E.164 number (unique per property), or None."""
    if not phone:
        return None
    return Lead.objects.filter(property_id=property_id, phone=phone).first()


def tours_scheduled_between(*, property_id: int, start: datetime, end: datetime) -> QuerySet[Tour]:
    return Tour.objects.filter(
        property_id=property_id,
        status=Tour.Status.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=end,
    )


def tour_slot_taken_count(*, property: Property, starts_at: datetime) -> int:
    """Scheduled tours that overlap a tour starting at `starts_at` (same slot length)."""
    slot = timedelta(minutes=property.tour_slot_minutes)
    return (
        tours_scheduled_between(
            property_id=property.pk,
            start=starts_at - slot + timedelta(seconds=1),
            end=starts_at + slot,
        )
        .only("pk")
        .count()
    )


def tour_slots_free(
    *, property: Property, around: datetime, now: datetime, days: int = 7, limit: int = 3
) -> list[datetime]:
    """Free tour start times (UTC) nearest to `around`, on a grid of slots from each opening.

    The grid steps in UTC, so across a daylight-saving change every slot is a real instant,
    distinct and in order: no slot in the missing hour, both 1:30s in the doubled one. One query
    for the tours of the window; office hours come from the property (one more query unless
    already loaded).
    """
    tz = property.tz
    slot = timedelta(minutes=property.tour_slot_minutes)
    now = now.astimezone(UTC)
    first_day = max(around, now).astimezone(tz).date()
    window_start = local_day_start(day=first_day, tz=tz)
    window_end = local_day_start(day=first_day + timedelta(days=days + 1), tz=tz)
    taken = list(
        tours_scheduled_between(
            property_id=property.pk, start=window_start - slot, end=window_end
        ).values_list("starts_at", flat=True)
    )
    candidates: list[datetime] = []
    for offset in range(days + 1):
        for window in office_hours_on(property=property, day=first_day + timedelta(days=offset)):
            start = window.opens_at
            while start + slot <= window.closes_at:
                overlapping = sum(1 for t in taken if abs(t - start) < slot)
                if start > now and overlapping < property.tours_per_slot:
                    candidates.append(start)
                start += slot
    candidates.sort(key=lambda start: (abs(start - around), start))
    return sorted(candidates[:limit])


def lead_list(*, user: AbstractBaseUser) -> QuerySet[Lead]:
    return Lead.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )


def lead_detail_list(*, user: AbstractBaseUser) -> QuerySet[Lead]:
    """`lead_list` with what the detail view shows: its tours and newest activities."""
    return lead_list(user=user).prefetch_related(
        Prefetch("tours", queryset=Tour.objects.order_by("starts_at", "id")),
        Prefetch("activities", queryset=LeadActivity.objects.order_by("-created_at", "-id")),
    )


def tour_list(*, user: AbstractBaseUser) -> QuerySet[Tour]:
    return Tour.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )
