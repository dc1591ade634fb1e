"""properties/access.py: who sees which property, and what each role may do there."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from properties.access import (
    CONFIGURE_ASSISTANT,
    EDIT_PROPERTY,
    VIEW,
    WORK_LEADS,
    properties_visible_to,
    property_check_access,
)
from properties.models import Membership
from tests.factories import MembershipFactory, PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role


def test_agent_assignment_to_a_property_moved_to_another_organization_no_longer_counts():
    prop = PropertyFactory()
    agent = MembershipFactory(
        organization=prop.organization, role=Role.AGENT, properties=[prop]
    ).user
    assert list(properties_visible_to(user=agent)) == [prop]

    prop.organization = PropertyFactory().organization
    prop.save()

    assert not properties_visible_to(user=agent).exists()


def test_user_in_two_organizations_gets_each_ones_role():
    user = UserFactory()
    managed, read_only = PropertyFactory(), PropertyFactory()
    MembershipFactory(user=user, organization=managed.organization, role=Role.MANAGER)
    MembershipFactory(user=user, organization=read_only.organization, role=Role.READ_ONLY)

    assert set(properties_visible_to(user=user)) == {managed, read_only}
    assert list(properties_visible_to(user=user, action=EDIT_PROPERTY)) == [managed]
    property_check_access(user=user, property=managed, action=CONFIGURE_ASSISTANT)
    with pytest.raises(PermissionDenied, match="Read-only members may not work leads"):
        property_check_access(user=user, property=read_only, action=WORK_LEADS)
    with pytest.raises(Http404):
        property_check_access(user=user, property=PropertyFactory(), action=VIEW)


def test_superuser_sees_everything_unless_asked_to_be_a_member():
    prop = PropertyFactory()
    root = UserFactory(is_superuser=True, is_staff=True)

    assert list(properties_visible_to(user=root)) == [prop]
    assert not properties_visible_to(user=root, superuser_sees_all=False).exists()


def test_inactive_user_sees_nothing():
    prop = PropertyFactory()
    user = MembershipFactory(organization=prop.organization, role=Role.ADMIN).user
    user.is_active = False
    user.save()

    assert not properties_visible_to(user=user).exists()
