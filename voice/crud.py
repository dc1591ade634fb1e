"""Owner-scoped selectors behind the voice API (assistants and call logs)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from voice.models import Assistant, CallLog


def assistant_list(*, user: AbstractBaseUser) -> QuerySet[Assistant]:
    return Assistant.objects.filter(property__owner=user)


def call_log_list(*, user: AbstractBaseUser) -> QuerySet[CallLog]:
    """The user's calls: those at their properties (a call with no property belongs to no one)."""
    return CallLog.objects.filter(property__owner=user)


def call_log_list_summary(*, user: AbstractBaseUser) -> QuerySet[CallLog]:
    """`call_log_list` without the large columns the list does not show."""
    return call_log_list(user=user).defer("transcript", "messages", "structured_data", "metadata")
