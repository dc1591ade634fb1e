"""Reads for callbacks: when one is due, who should make it, and who may see which."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from leads.callbacks.models import Callback
from properties.access import properties_visible_to
from properties.models import Membership, Property
from properties.selectors import property_is_open, property_next_opening


def callback_due_at(*, prop: Property, at: datetime) -> datetime:
    """When a callback promised at `at` is due: now if the office is open, else the start of its
    next opening (the property's own zone and office hours). A property without office hours
    within the next two weeks gets `at`: better overdue on someone's list than never due."""
    if property_is_open(property=prop, at=at):
        return at
    return property_next_opening(property=prop, after=at) or at


def callback_assignee_pick(*, prop: Property) -> AbstractBaseUser | None:
    """Who should call back for `prop`: of its agents, the one with the fewest open callbacks.

    Agents assigned to the property come first; without any, the organization's central leasing
    agents (agents with no assigned property reach all of its properties, properties/access.py);
    without those, its property managers and organization admins. Read-only members never. Ties
    go to the longest-standing user (lowest id), so the pick is stable.
    """
    members = Membership.objects.filter(organization_id=prop.organization_id, user__is_active=True)
    agents = members.filter(role=Membership.Role.AGENT)
    tiers = (
        agents.filter(properties=prop),
        agents.filter(properties__isnull=True),
        members.filter(role__in=(Membership.Role.MANAGER, Membership.Role.ADMIN)),
    )
    for tier in tiers:
        user_ids = list(tier.values_list("user_id", flat=True))
        if user_ids:
            return (
                get_user_model()
                .objects.filter(pk__in=user_ids)
                .annotate(
                    open_callbacks=Count(
                        "assigned_callbacks",
                        filter=Q(assigned_callbacks__status=Callback.Status.OPEN),
                    )
                )
                .order_by("open_callbacks", "pk")
                .first()
            )
    return None


def callback_assignee_choices(*, prop: Property) -> QuerySet:
    """Who may be given a callback of `prop`: the members who work its leads (its agents, the
    organization's central agents, managers and admins), active users only."""
    members = Membership.objects.filter(organization_id=prop.organization_id).filter(
        Q(role__in=(Membership.Role.MANAGER, Membership.Role.ADMIN))
        | Q(role=Membership.Role.AGENT, properties=prop)
        | Q(role=Membership.Role.AGENT, properties__isnull=True)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=members.values("user_id"))
        .order_by("username")
    )


def callback_get_open_for_lead(*, lead_id: int) -> Callback | None:
    return Callback.objects.filter(lead_id=lead_id, status=Callback.Status.OPEN).first()


def callback_list_open_for_lead(*, lead_id: int) -> QuerySet[Callback]:
    return Callback.objects.filter(lead_id=lead_id, status=Callback.Status.OPEN).select_related(
        "assigned_to", "property"
    )


def callback_list(*, user: AbstractBaseUser) -> QuerySet[Callback]:
    """The callbacks of the properties `user` sees (properties/access.py)."""
    return Callback.objects.filter(
        property__in=properties_visible_to(user=user, superuser_sees_all=False)
    )


def callback_overdue_by(*, callback: Callback, now: datetime) -> timedelta | None:
    """How late an open callback is at `now`, or None when it is not (yet) late."""
    if callback.status != Callback.Status.OPEN or callback.due_at >= now:
        return None
    return now - callback.due_at


def callback_overdue_phrase(late: timedelta) -> str:
    """A lateness as staff say it: "5 min", "2 h", "3 days"."""
    minutes = int(late.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
