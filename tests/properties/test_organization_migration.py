"""The owners -> organizations data migration (properties 0002-0004) on a database with owners.

Migrates back to the one-owner schema, writes rows with the historical models, migrates forward
and checks that every former owner still reaches all of their objects, and nobody else's.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.selectors import lead_list
from properties.access import ROLE_ACTIONS, Role
from properties.models import Membership, Organization
from properties.selectors import property_list, unit_list

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_APP = ("properties", "0001_initial")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _leaf_targets():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


# The leads migrations that need organizations (the compliance records belong to one).
LEADS_BEFORE_ORGANIZATIONS = ("leads", "0001_initial")
# The voice migrations before campaigns, which belong to an organization.
VOICE_BEFORE_ORGANIZATIONS = ("voice", "0006_calllog_outcome_unknown")


def _before(leaves):
    """Every app at its latest migration but properties at the one-owner schema, and leads and
    voice before their records that belong to an organization (the other apps' migrations do
    not depend on the organization ones)."""
    keep = [node for node in leaves if node[0] not in ("properties", "leads", "voice")]
    return [*keep, BEFORE_APP, LEADS_BEFORE_ORGANIZATIONS, VOICE_BEFORE_ORGANIZATIONS]


def test_each_owner_becomes_an_organization_admin_and_keeps_every_object():
    leaves = _leaf_targets()
    old = _migrate(_before(leaves))
    User = old.get_model("auth", "User")
    Property = old.get_model("properties", "Property")
    Unit = old.get_model("properties", "Unit")
    Lead = old.get_model("leads", "Lead")
    alice = User.objects.create(username="alice", first_name="Alice", last_name="Ng")
    bob = User.objects.create(username="bob")
    User.objects.create(username="carol")  # owns nothing: no organization
    owned = {}
    n = 0
    for user, names in ((alice, ["Harbor", "Cedar"]), (bob, ["Maple"])):
        for name in names:
            n += 1
            prop = Property.objects.create(
                owner=user,
                name=name,
                address_line="1 Main St",
                city="X",
                state="CA",
                postal_code="1",
                leasing_phone=f"+1415555{n:04d}",
            )
            Unit.objects.create(
                property=prop, unit_number="101", bedrooms=1, bathrooms=1, monthly_rent=1000
            )
            Lead.objects.create(property=prop, first_name="L", phone=f"+1206555{n:04d}")
            owned.setdefault(user.username, set()).add(prop.pk)

    _migrate(leaves)

    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert Organization.objects.count() == 2
    alice_org = Organization.objects.get(memberships__user=users["alice"])
    assert (alice_org.name, alice_org.legal_name) == ("Alice Ng", "Alice Ng")
    assert Organization.objects.get(memberships__user=users["bob"]).name == "bob"
    assert set(Membership.objects.values_list("role", flat=True)) == {Role.ADMIN}
    assert not Membership.objects.filter(user=users["carol"]).exists()
    assert ROLE_ACTIONS[Role.ADMIN] >= {"view", "edit_property"}
    for name in ("alice", "bob"):
        user = users[name]
        assert set(property_list(user=user).values_list("pk", flat=True)) == owned[name]
        assert set(unit_list(user=user).values_list("property_id", flat=True)) == owned[name]
        assert set(lead_list(user=user).values_list("property_id", flat=True)) == owned[name]
    assert not property_list(user=users["carol"]).exists()


def test_migration_back_gives_each_property_its_admin_as_owner():
    leaves = _leaf_targets()
    old = _migrate(_before(leaves))
    User = old.get_model("auth", "User")
    Property = old.get_model("properties", "Property")
    dana = User.objects.create(username="dana")
    prop = Property.objects.create(
        owner=dana, name="P", address_line="1", city="X", state="CA", postal_code="1"
    )
    _migrate(leaves)
    old = _migrate(_before(leaves))
    assert old.get_model("properties", "Property").objects.get(pk=prop.pk).owner_id == dana.pk
    _migrate(leaves)
