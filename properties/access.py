"""Who may do what: the one place that decides access to organizations and their properties.

Every object the product serves (units, leads, tours, assistants, call logs) belongs to a
property, and every property to an organization. A user reaches a property through a membership
of its organization; the role says what they may do there (ROLE_ACTIONS, the README's role table).
The API, the admin, the commands that act for a user and the exports all ask this module:
`properties_visible_to` for what to list, `property_check_access` before acting on one object.

Superusers see and do everything in the admin and in commands (they run the deployment). In the
API they are members like anyone (`superuser_sees_all=False`): an API token is what an
integration of one company holds, and a leaked one must not open every tenant. `is_staff` alone
grants nothing here: it only lets a user log in to the admin.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q, QuerySet
from django.http import Http404

from properties.models import Membership, Organization, Property

Role = Membership.Role

# Actions. VIEW covers every read of a property's objects (property data, units, leads, tours,
# assistants, call logs with recordings and transcripts, reports).
VIEW = "view"
WORK_LEADS = "work_leads"  # leads, tours and notes: create, change, delete; place calls
EDIT_PROPERTY = "edit_property"  # property data, units, office hours, policies; new properties
CONFIGURE_ASSISTANT = "configure_assistant"  # the assistant's prompt, voice, tools
MANAGE_MEMBERS = "manage_members"  # an organization's name and its memberships

ACTION_DESCRIPTIONS = {
    VIEW: "see",
    WORK_LEADS: "work leads, tours and calls at",
    EDIT_PROPERTY: "change the property data of",
    CONFIGURE_ASSISTANT: "change the voice assistant configuration of",
    MANAGE_MEMBERS: "manage the members of",
}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({VIEW, WORK_LEADS, EDIT_PROPERTY, CONFIGURE_ASSISTANT, MANAGE_MEMBERS}),
    Role.MANAGER: frozenset({VIEW, WORK_LEADS, EDIT_PROPERTY, CONFIGURE_ASSISTANT}),
    Role.AGENT: frozenset({VIEW, WORK_LEADS}),
    Role.READ_ONLY: frozenset({VIEW}),
}


def roles_allowed(action: str) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def _is_superuser(user: Any, superuser_sees_all: bool = True) -> bool:
    return bool(
        superuser_sees_all
        and getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
    )


def _memberships(user: Any, action: str) -> QuerySet[Membership]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, role__in=roles_allowed(action))


def properties_visible_to(
    *, user: Any, action: str = VIEW, superuser_sees_all: bool = True
) -> QuerySet[Property]:
    """The properties where `user` may do `action` (by default: see them).

    A leasing agent with assigned properties reaches only those; one without assignments reaches
    all of the organization's (a central leasing team). Every other role covers its whole
    organization. Subqueries, not joins: one row per property however many memberships match.
    """
    if _is_superuser(user, superuser_sees_all):
        return Property.objects.all()
    memberships = _memberships(user, action)
    whole_organization = memberships.filter(
        ~Q(role=Role.AGENT) | Q(properties__isnull=True)
    ).values("organization_id")
    # An assignment counts only while the property is in the membership's organization: a
    # property moved to another company leaves its former agents behind.
    assigned = Membership.properties.through.objects.filter(
        membership__in=memberships.filter(role=Role.AGENT),
        property__organization_id=F("membership__organization_id"),
    ).values("property_id")
    return Property.objects.filter(Q(organization__in=whole_organization) | Q(pk__in=assigned))


def organizations_visible_to(
    *, user: Any, action: str = VIEW, superuser_sees_all: bool = True
) -> QuerySet[Organization]:
    """The organizations where `user` may do `action` as an organization-wide role.

    An agent's membership counts only when it is not limited to assigned properties, so that an
    organization-level action (adding a property) never reaches past an assignment.
    """
    if _is_superuser(user, superuser_sees_all):
        return Organization.objects.all()
    memberships = _memberships(user, action).filter(
        ~Q(role=Role.AGENT) | Q(properties__isnull=True)
    )
    return Organization.objects.filter(pk__in=memberships.values("organization_id"))


def membership_list(*, user: Any) -> QuerySet[Membership]:
    """The user's own memberships, with their organizations and assigned properties."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .prefetch_related("properties")
        .order_by("organization__name", "organization_id")
    )


def property_check_access(
    *, user: Any, property: Property, action: str, superuser_sees_all: bool = True
) -> None:
    """Raise unless `user` may do `action` at `property`.

    Http404 when the user cannot see the property at all (another organization's property looks
    exactly like one that does not exist); PermissionDenied, with a message that names the role
    and what it may not do, when they can see it but their role does not allow `action`.
    """
    if _is_superuser(user, superuser_sees_all):
        return
    visible = properties_visible_to(user=user, superuser_sees_all=False)
    if not visible.filter(pk=property.pk).exists():
        raise Http404
    allowed = properties_visible_to(user=user, action=action, superuser_sees_all=False)
    if action == VIEW or allowed.filter(pk=property.pk).exists():
        return
    raise PermissionDenied(
        _refusal(
            user=user, organization_id=property.organization_id, action=action, where=str(property)
        )
    )


def organization_check_access(
    *, user: Any, organization: Organization, action: str, superuser_sees_all: bool = True
) -> None:
    """`property_check_access` for organization-wide actions (new properties, members)."""
    if _is_superuser(user, superuser_sees_all):
        return
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise Http404
    if action == VIEW:  # every member sees their organization
        return
    allowed = organizations_visible_to(user=user, action=action, superuser_sees_all=False)
    if allowed.filter(pk=organization.pk).exists():
        return
    raise PermissionDenied(
        _refusal(user=user, organization_id=organization.pk, action=action, where=str(organization))
    )


# Compliance records (consents, the do-not-call list, call decisions) belong to an organization,
# not to a property: every member of the organization sees them (an assigned agent and a
# read-only member too: whether a number may be called is not a secret within the company).
# Recording a consent or adding a number to the do-not-call list is working leads, done for the
# whole organization: admins, managers and organization-wide agents; not read-only members, and
# not agents limited to assigned properties (their opt-outs go through the lead's do-not-call
# box). Nobody deletes or changes a suppression or a call decision (README, "Calling compliance").
RECORD_CONSENT = WORK_LEADS
ADD_SUPPRESSION = WORK_LEADS


def compliance_organizations_visible_to(
    *, user: Any, superuser_sees_all: bool = True
) -> QuerySet[Organization]:
    """The organizations whose compliance records `user` may see: every one they belong to."""
    if _is_superuser(user, superuser_sees_all):
        return Organization.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    return Organization.objects.filter(
        pk__in=Membership.objects.filter(user=user).values("organization_id")
    )


def compliance_organization_default(*, user: Any) -> Organization:
    """The user's one organization, for a compliance write that leaves it out (API users only).

    PermissionDenied when they belong to none; a field error when they belong to several.
    """
    organizations = list(
        compliance_organizations_visible_to(user=user, superuser_sees_all=False)[:2]
    )
    if not organizations:
        raise PermissionDenied("You belong to no organization; ask an organization admin.")
    if len(organizations) > 1:
        raise ValidationError(
            {"organization": ["Say which of your organizations (you belong to several)."]},
        )
    return organizations[0]


# How a refusal names the people of a role.
ROLE_PLURALS = {
    Role.ADMIN: "Organization admins",
    Role.MANAGER: "Property managers",
    Role.AGENT: "Leasing agents",
    Role.READ_ONLY: "Read-only members",
}


def _refusal(*, user: Any, organization_id: int, action: str, where: str) -> str:
    role = (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )
    who = ROLE_PLURALS.get(role, "Members without a role") if role else "You"
    return (
        f"{who} may not {ACTION_DESCRIPTIONS.get(action, action)} {where}; "
        "ask a property manager or an organization admin."
    )


def access_property(obj: Any) -> Property | None:
    """The property an object belongs to (itself for a property), or None."""
    if isinstance(obj, Property):
        return obj
    prop = getattr(obj, "property", None)
    return prop if isinstance(prop, Property) else None


def organization_default(
    *, user: Any, action: str, superuser_sees_all: bool = True
) -> Organization:
    """The one organization where `user` may do `action`, for requests that leave it out.

    PermissionDenied when there is none; a field error (django ValidationError) when there are
    several, since guessing would put a property in the wrong company.
    """
    organizations = list(
        organizations_visible_to(user=user, action=action, superuser_sees_all=superuser_sees_all)[
            :2
        ]
    )
    if not organizations:
        raise PermissionDenied(
            f"You have no organization where you may {ACTION_DESCRIPTIONS.get(action, action)} "
            "a property; ask an organization admin."
        )
    if len(organizations) > 1:
        raise ValidationError(
            {"organization": ["Say which of your organizations (you belong to several)."]},
        )
    return organizations[0]
