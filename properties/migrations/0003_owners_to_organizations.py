"""Each property owner becomes an organization (named after the user until renamed) and its admin.

Forward: one organization per distinct owner, holding all of that owner's properties, with the
owner as its organization admin, so every object stays reachable by its former owner.
Backward: each property's owner is an admin of its organization (the earliest one).
"""

from django.db import migrations


def owners_to_organizations(apps, schema_editor):
    Property = apps.get_model("properties", "Property")
    Organization = apps.get_model("properties", "Organization")
    Membership = apps.get_model("properties", "Membership")
    User = apps.get_model(*_user_model_label())
    owner_ids = (
        Property.objects.filter(organization__isnull=True)
        .order_by("owner_id")
        .values_list("owner_id", flat=True)
        .distinct()
    )
    for owner in User.objects.filter(pk__in=list(owner_ids)).order_by("pk"):
        name = _display_name(owner)
        organization = Organization.objects.create(legal_name=name, name=name)
        Membership.objects.create(user=owner, organization=organization, role="admin")
        Property.objects.filter(owner=owner, organization__isnull=True).update(
            organization=organization
        )


def organizations_to_owners(apps, schema_editor):
    Property = apps.get_model("properties", "Property")
    Membership = apps.get_model("properties", "Membership")
    for prop in Property.objects.filter(owner__isnull=True, organization__isnull=False):
        admin = (
            Membership.objects.filter(organization_id=prop.organization_id, role="admin")
            .order_by("created_at", "pk")
            .first()
        )
        if admin is not None:
            Property.objects.filter(pk=prop.pk).update(owner_id=admin.user_id)


def _user_model_label() -> tuple[str, str]:
    from django.conf import settings

    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    return app_label, model_name


def _display_name(user) -> str:
    full_name = f"{user.first_name} {user.last_name}".strip()
    return (full_name or user.username)[:200]


class Migration(migrations.Migration):
    dependencies = [
        ("properties", "0002_organizations"),
    ]

    operations = [
        migrations.RunPython(owners_to_organizations, organizations_to_owners),
    ]
