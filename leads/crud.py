"""Selectors and services behind the leads API, always scoped to the requesting user."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from config.validation import full_clean_with_field_errors
from leads.models import Lead, LeadActivity, Tour
from properties.models import Property


def lead_list(*, user: AbstractBaseUser) -> QuerySet[Lead]:
    return Lead.objects.filter(property__owner=user)


def lead_detail_list(*, user: AbstractBaseUser) -> QuerySet[Lead]:
    """`lead_list` with what the detail view shows: its tours and newest activities."""
    return lead_list(user=user).prefetch_related(
        Prefetch("tours", queryset=Tour.objects.order_by("starts_at", "id")),
        Prefetch("activities", queryset=LeadActivity.objects.order_by("-created_at", "-id")),
    )


def tour_list(*, user: AbstractBaseUser) -> QuerySet[Tour]:
    return Tour.objects.filter(property__owner=user)


def _apply_flags(lead: Lead) -> None:
    # Record when consent was given and when the lead opted out (TCPA: we must be able to show it).
    now = timezone.now()
    if lead.consent_to_call and lead.consent_recorded_at is None:
        lead.consent_recorded_at = now
    if not lead.consent_to_call:
        lead.consent_recorded_at = None
    if lead.do_not_call and lead.opted_out_at is None:
        lead.opted_out_at = now
    if not lead.do_not_call:
        lead.opted_out_at = None


def _validate(lead: Lead) -> None:
    full_clean_with_field_errors(
        lead, constraint_fields={"lead_phone_unique_per_property": "phone"}
    )


def lead_create(*, prop: Property, **data: Any) -> Lead:
    """Create a lead for one of the user's properties.

    Raises django ValidationError, e.g. when the property already has a lead with this phone.
    """
    lead = Lead(property=prop, **data)
    _apply_flags(lead)
    _validate(lead)
    lead.save()
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, **data: Any) -> Lead:
    """Change the given fields; a status change is recorded as a `status_changed` activity."""
    old_status = lead.status
    for field, value in data.items():
        setattr(lead, field, value)
    _apply_flags(lead)
    _validate(lead)
    lead.save()
    if lead.status != old_status:
        LeadActivity.objects.create(
            lead=lead,
            kind=LeadActivity.Kind.STATUS_CHANGED,
            text=f"Status changed from {old_status} to {lead.status}.",
            data={"from": old_status, "to": lead.status},
        )
    return lead


def lead_delete(*, lead: Lead) -> None:
    """Delete the lead with its activities and tours; its calls stay, without the lead."""
    lead.delete()


def lead_note_create(*, lead: Lead, text: str) -> LeadActivity:
    return LeadActivity.objects.create(lead=lead, kind=LeadActivity.Kind.NOTE, text=text)


@transaction.atomic
def tour_create(*, lead: Lead, **data: Any) -> Tour:
    """Book a tour for the lead at its property, and note it on the lead's activity feed."""
    tour = Tour(lead=lead, property_id=lead.property_id, **data)
    tour.full_clean()
    tour.save()
    local = timezone.localtime(tour.starts_at, lead.property.tz)
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.TOUR_SCHEDULED,
        text=f"{tour.get_kind_display()} tour booked for {local:%Y-%m-%d %H:%M}.",
        data={"tour_id": tour.pk, "starts_at": tour.starts_at.isoformat()},
    )
    return tour


def tour_update(*, tour: Tour, **data: Any) -> Tour:
    for field, value in data.items():
        setattr(tour, field, value)
    tour.full_clean()
    tour.save()
    return tour


def tour_delete(*, tour: Tour) -> None:
    tour.delete()
