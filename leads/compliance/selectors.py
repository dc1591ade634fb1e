"""Reads of the compliance records, scoped by the user's organizations (properties/access.py)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from leads.compliance.models import CallDecision, Consent, Suppression
from properties.access import compliance_organizations_visible_to
from properties.models import Organization


def compliance_organization_list(*, user: AbstractBaseUser) -> QuerySet[Organization]:
    """The organizations whose consents, do-not-call list and call decisions the user sees."""
    return compliance_organizations_visible_to(user=user, superuser_sees_all=False)


def consent_list(*, user: AbstractBaseUser) -> QuerySet[Consent]:
    return Consent.objects.filter(organization__in=compliance_organization_list(user=user))


def suppression_list(*, user: AbstractBaseUser) -> QuerySet[Suppression]:
    return Suppression.objects.filter(organization__in=compliance_organization_list(user=user))


def call_decision_list(*, user: AbstractBaseUser) -> QuerySet[CallDecision]:
    return CallDecision.objects.filter(organization__in=compliance_organization_list(user=user))
