"""Write services behind the properties API (objects validated before saving)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from config.validation import full_clean_with_field_errors
from properties.models import OfficeHours, Organization, Property, Unit


def _validate(prop: Property) -> None:
    full_clean_with_field_errors(
        prop, constraint_fields={"property_leasing_phone_unique": "leasing_phone"}
    )


@transaction.atomic
def property_create(
    *,
    organization: Organization,
    office_hours: Iterable[Mapping[str, Any]] | None = None,
    amenities: Iterable[str] | None = None,
    **data: Any,
) -> Property:
    """Create a property of `organization`, with its weekly office hours; the time zone
    defaults to the organization's. Access is the caller's check (properties/access.py).

    Raises django ValidationError (field errors) from the model's validation, e.g. a leasing
    number another property already uses.
    """
    data.setdefault("timezone", organization.timezone)
    prop = Property(organization=organization, amenities=_amenities_text(amenities or []), **data)
    _validate(prop)
    prop.save()
    if office_hours:
        _office_hours_replace(prop=prop, office_hours=office_hours)
    return _property_fresh(prop)


@transaction.atomic
def property_update(
    *,
    prop: Property,
    office_hours: Iterable[Mapping[str, Any]] | None = None,
    amenities: Iterable[str] | None = None,
    **data: Any,
) -> Property:
    """Change the given fields; `office_hours`, when given, replaces the whole week."""
    for field, value in data.items():
        setattr(prop, field, value)
    if amenities is not None:
        prop.amenities = _amenities_text(amenities)
    _validate(prop)
    prop.save()
    if office_hours is not None:
        _office_hours_replace(prop=prop, office_hours=office_hours)
    return _property_fresh(prop)


def property_delete(*, prop: Property) -> None:
    """Delete the property and, by cascade, its units, leads, tours and assistants."""
    prop.delete()


def _property_fresh(prop: Property) -> Property:
    # Reload so the response shows the office hours just written, not a stale prefetch.
    return Property.objects.prefetch_related("office_hours").get(pk=prop.pk)


def _office_hours_replace(*, prop: Property, office_hours: Iterable[Mapping[str, Any]]) -> None:
    prop.office_hours.all().delete()
    OfficeHours.objects.bulk_create(OfficeHours(property=prop, **hours) for hours in office_hours)


def _amenities_text(amenities: Iterable[str]) -> str:
    # Stored one per line (Property.amenities); a line break inside an item would split it.
    return "\n".join(" ".join(item.split()) for item in amenities if item.strip())


UNIT_CONSTRAINT_FIELDS = {"unit_number_unique_per_property": "unit_number"}


def unit_create(*, prop: Property, **data: Any) -> Unit:
    unit = Unit(property=prop, **data)
    full_clean_with_field_errors(unit, constraint_fields=UNIT_CONSTRAINT_FIELDS)
    unit.save()
    return unit


def unit_update(*, unit: Unit, **data: Any) -> Unit:
    for field, value in data.items():
        setattr(unit, field, value)
    full_clean_with_field_errors(unit, constraint_fields=UNIT_CONSTRAINT_FIELDS)
    unit.save()
    return unit


def unit_delete(*, unit: Unit) -> None:
    """Delete the unit; its tours keep their lead and time (Tour.unit becomes empty)."""
    unit.delete()
