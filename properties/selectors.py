"""Reads about properties: available units, office hours, inbound routing by leasing number."""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from properties.access import organizations_visible_to, properties_visible_to
from properties.localtime import local_time_first_reached
from properties.models import OfficeHours, Organization, Property, Unit

# Units a prospect can be offered: vacant now, or on notice with a known date.
OFFERABLE_STATUSES = (Unit.Status.AVAILABLE, Unit.Status.ON_NOTICE)
_SAID_FIELDS = (
    "property_id",
    "unit_number",
    "bedrooms",
    "bathrooms",
    "monthly_rent",
    "available_from",
)


def property_find(*, query: str) -> Property:
    """By id, exact name (any case), or a unique part of the name (the commands' `--property`).

    Raises Property.DoesNotExist or Property.MultipleObjectsReturned, with a message to show."""
    query = query.strip()
    if query.isdigit():
        found = Property.objects.filter(pk=int(query)).first()
        if found:
            return found
    matches = list(Property.objects.filter(name__iexact=query)[:2]) or list(
        Property.objects.filter(name__icontains=query)[:2]
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Property.DoesNotExist(f"No property matches {query!r}.")
    raise Property.MultipleObjectsReturned(f"More than one property matches {query!r}; use its id.")


def property_timezone(*, property_id: int) -> zoneinfo.ZoneInfo:
    """The property's zone (UTC if the property doesn't exist)."""
    name = Property.objects.filter(pk=property_id).values_list("timezone", flat=True).first()
    return zoneinfo.ZoneInfo(name or "UTC")


def property_get_by_leasing_phone(*, phone: str) -> Property | None:
    """The property whose leasing line is `phone` (E.164), for inbound routing."""
    if not phone:
        return None
    return Property.objects.filter(leasing_phone=phone).first()


def property_get_for_update(*, property_id: int) -> Property | None:
    """Lock the property row for the rest of the transaction.

    Tour booking serialises on this lock so that two callers can't both take the last place in a
    slot (PostgreSQL row lock; on SQLite the IMMEDIATE transaction mode already serialises writers
    and `select_for_update` is a no-op).
    """
    return Property.objects.select_for_update().filter(pk=property_id).first()


def unit_list_available(
    *,
    property_id: int,
    bedrooms: int | None = None,
    max_rent: Decimal | None = None,
    move_in_date: date | None = None,
    limit: int = 3,
) -> list[Unit]:
    """Offerable units matching every given filter, cheapest first.

    One indexed query (`unit (property, status, bedrooms)`) reading only the columns a caller is
    told about: this runs while a caller waits on the phone.
    """
    units = Unit.objects.only(*_SAID_FIELDS).filter(
        property_id=property_id, status__in=OFFERABLE_STATUSES
    )
    if bedrooms is not None:
        units = units.filter(bedrooms=bedrooms)
    if max_rent is not None:
        units = units.filter(monthly_rent__lte=max_rent)
    if move_in_date is not None:
        units = units.filter(Q(available_from__isnull=True) | Q(available_from__lte=move_in_date))
    return list(units.order_by("monthly_rent", "unit_number")[:limit])


def unit_list_alternatives(
    *,
    property_id: int,
    bedrooms: int | None = None,
    max_rent: Decimal | None = None,
    move_in_date: date | None = None,
    limit: int = 3,
) -> list[Unit]:
    """The offerable units nearest to a request that matched nothing.

    Nearest = fewest bedrooms off, then least over budget, then soonest after the move-in date.
    Properties have tens of units, so ranking them in Python after one query is simplest.
    """
    units = list(
        Unit.objects.only(*_SAID_FIELDS).filter(
            property_id=property_id, status__in=OFFERABLE_STATUSES
        )
    )

    def distance(unit: Unit) -> tuple[int, Decimal, int, Decimal]:
        beds_off = abs(unit.bedrooms - bedrooms) if bedrooms is not None else 0
        over_budget = max(unit.monthly_rent - max_rent, Decimal(0)) if max_rent is not None else 0
        days_late = 0
        if move_in_date is not None and unit.available_from is not None:
            days_late = max((unit.available_from - move_in_date).days, 0)
        return (beds_off, Decimal(over_budget), days_late, unit.monthly_rent)

    return sorted(units, key=distance)[:limit]


def unit_list_offerable(*, property_id: int) -> list[Unit]:
    """Every offerable unit of a property (for lead scoring against what is really on offer)."""
    return list(
        Unit.objects.filter(property_id=property_id, status__in=OFFERABLE_STATUSES).order_by(
            "monthly_rent"
        )
    )


@dataclass(frozen=True)
class OpeningWindow:
    """One opening on one local day, as UTC instants (compare and add in UTC, say in the zone)."""

    opens_at: datetime
    closes_at: datetime


def office_hours_on(*, property: Property, day: date) -> list[OpeningWindow]:
    """The property's opening windows on a local calendar day.

    Each edge is the first instant the property's clock shows that time, so on a daylight-saving
    night a window keeps its real length: 1-4 AM lasts two hours on the spring-forward night and
    four on the fall-back night; a window wholly inside the missing hour is empty.
    """
    return _windows(_office_hours(property), day=day, property=property)


def property_is_open(*, property: Property, at: datetime) -> bool:
    """Is the leasing office open at `at` (any aware datetime), in the property's time zone?"""
    instant = at.astimezone(UTC)
    day = instant.astimezone(property.tz).date()
    return any(
        window.opens_at <= instant < window.closes_at
        for window in office_hours_on(property=property, day=day)
    )


def property_next_opening(*, property: Property, after: datetime) -> datetime | None:
    """When the office next opens after `after` (within two weeks), as a UTC instant."""
    instant = after.astimezone(UTC)
    first_day = instant.astimezone(property.tz).date()
    hours = _office_hours(property)
    for offset in range(15):
        for window in _windows(hours, day=first_day + timedelta(days=offset), property=property):
            if window.opens_at > instant:
                return window.opens_at
    return None


def _windows(hours: list[OfficeHours], *, day: date, property: Property) -> list[OpeningWindow]:
    tz = property.tz
    return [
        OpeningWindow(
            opens_at=local_time_first_reached(wall=datetime.combine(day, row.opens_at), tz=tz),
            closes_at=local_time_first_reached(wall=datetime.combine(day, row.closes_at), tz=tz),
        )
        for row in hours
        if row.weekday == day.weekday()
    ]


def _office_hours(property: Property) -> list[OfficeHours]:
    """The weekly hours, loaded once per Property instance (prefetch_related also works)."""
    cache = getattr(property, "_prefetched_objects_cache", {})
    if "office_hours" in cache:
        return list(cache["office_hours"])
    if not hasattr(property, "_office_hours_loaded"):
        property._office_hours_loaded = list(property.office_hours.order_by("weekday", "opens_at"))
    return property._office_hours_loaded


def local_time_phrase(value: time) -> str:
    """14:30 -> "2:30 PM", 9:00 -> "9 AM": how a person says a time."""
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour}:{value.minute:02d} {suffix}" if value.minute else f"{hour} {suffix}"


def property_list(*, user: AbstractBaseUser) -> QuerySet[Property]:
    return properties_visible_to(user=user, superuser_sees_all=False).prefetch_related(
        "office_hours"
    )


def organization_list(*, user: AbstractBaseUser) -> QuerySet[Organization]:
    """The organizations the user belongs to (the API: superusers too)."""
    return organizations_visible_to(user=user, superuser_sees_all=False)


def unit_list(*, user: AbstractBaseUser) -> QuerySet[Unit]:
    return Unit.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )
