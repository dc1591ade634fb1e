"""The admin side of properties/access.py: every staff screen is scoped by membership.

Superusers keep Django's admin as it is (everything, by model permissions). For everyone else the
role decides, not Django's model permissions, so there is one rule (properties/access.py) and no
second permission system to keep in step:

- `OrganizationScopedAdmin` (model admins and inlines of objects that belong to a property or an
  organization): changelists, change pages, history, raw-id and autocomplete lookups (they list
  through the related model's admin), foreign-key and many-to-many choices, list filters and
  actions see only what the user's memberships reach; add, change and delete need the admin's
  `change_access` action there. A change the role does not allow is refused with the reason.
- `restrict_unscoped_admins_to_superusers` (at start-up): every other registered admin (users and
  groups, the webhook inbox, live transcript lines, the token blacklist, ...) is hidden from
  non-superusers. A new admin is therefore private until it opts in to the scoping: default deny.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from properties.access import (
    CONFIGURE_ASSISTANT,
    VIEW,
    organization_check_access,
    organizations_visible_to,
    properties_visible_to,
    property_check_access,
)
from properties.models import Membership, Organization, Property

# Which access action an admin action needs, by the Django permission it declares; the others
# ("change", "add", "delete") need the admin's `change_access`.
ACTION_PERMISSION_ACCESS = {"view": VIEW, "voice": CONFIGURE_ASSISTANT}


def _is_superuser(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


def property_of(obj: Any) -> Property | None:
    """The property an admin object belongs to: itself, its `property`, or its lead's."""
    if isinstance(obj, Property):
        return obj
    if getattr(obj, "property_id", None) is not None:
        return obj.property
    lead = getattr(obj, "lead", None)
    if lead is not None and getattr(lead, "property_id", None) is not None:
        return lead.property
    return None


def organization_of(obj: Any) -> Organization | None:
    """The organization of an object that belongs to one and to no property (a membership, a
    consent, a do-not-call entry, a call decision, a staff phone), or None."""
    if isinstance(obj, Organization):
        return obj
    if isinstance(obj, Membership):
        return obj.organization
    if isinstance(obj, Property) or not isinstance(obj, models.Model):
        return None
    names = {f.name for f in obj._meta.get_fields()}
    if "organization" in names and "property" not in names:
        organization = obj.organization
        return organization if isinstance(organization, Organization) else None
    return None


def user_has_access(request: HttpRequest, action: str) -> bool:
    """Whether the user may do `action` somewhere (one organization or one property)."""
    if _is_superuser(request):
        return True
    user = request.user
    return (
        organizations_visible_to(user=user, action=action).exists()
        or properties_visible_to(user=user, action=action).exists()
    )


def refusal(request: HttpRequest, obj: Any, action: str) -> str | None:
    """Why the user may not do `action` on `obj` (properties/access.py's message), or None."""
    if _is_superuser(request):
        return None
    try:
        organization = organization_of(obj)
        if organization is not None:
            organization_check_access(user=request.user, organization=organization, action=action)
            return None
        prop = property_of(obj)
        if prop is None:
            return "This object belongs to no property you can reach."
        property_check_access(user=request.user, property=prop, action=action)
    except PermissionDenied as exc:
        return str(exc)
    except Http404:  # not theirs at all
        return "This object belongs to no property you can reach."
    return None


class OrganizationScopedAdmin:
    """Mixin for ModelAdmin and InlineModelAdmin: see the module docstring.

    `property_path`: the ORM path from the model to its property ("" for Property itself).
    `change_access`: the access action that add, change and delete need (None: read-only for
    everyone but superusers).
    """

    property_path = "property"
    change_access: str | None = None

    # Scope ----------------------------------------------------------------------------------
    def scope_q(self, request: HttpRequest, action: str = VIEW) -> Q:
        props = properties_visible_to(user=request.user, action=action)
        lookup = f"{self.property_path}__in" if self.property_path else "pk__in"
        return Q(**{lookup: props})

    def scoped(self, request: HttpRequest, queryset: QuerySet, action: str = VIEW) -> QuerySet:
        if _is_superuser(request):
            return queryset
        return queryset.filter(self.scope_q(request, action))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scoped(request, super().get_queryset(request))

    def visible_or_none(self, request: HttpRequest, obj: Any) -> Any:
        """`obj` if the user may see it, else None (for admins that load objects themselves)."""
        if obj is None or _is_superuser(request):
            return obj
        return obj if refusal(request, obj, VIEW) is None else None

    # Permissions: the role, not Django's model permissions ----------------------------------
    def _allowed(self, request: HttpRequest, obj: Any, action: str | None) -> bool:
        if action is None:
            return False
        if obj is None:
            return user_has_access(request, action)
        return refusal(request, obj, action) is None

    def has_module_permission(self, request: HttpRequest) -> bool:
        if _is_superuser(request):
            return super().has_module_permission(request)
        return user_has_access(request, VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if _is_superuser(request):
            return super().has_view_permission(request, obj)
        return self._allowed(request, obj, VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if _is_superuser(request):
            return super().has_change_permission(request, obj)
        return self._allowed(request, obj, self.change_access)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if _is_superuser(request):
            return super().has_add_permission(request, *args)
        # Inlines get the parent object: adding a unit to a property is changing the property.
        return self._allowed(request, args[0] if args else None, self.change_access)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if _is_superuser(request):
            return super().has_delete_permission(request, obj)
        return self._allowed(request, obj, self.change_access)

    # Choices --------------------------------------------------------------------------------
    def related_choices(self, request: HttpRequest, model: type[models.Model]) -> QuerySet:
        """What a foreign-key or many-to-many field may point at, for a non-superuser."""
        action = self.change_access or VIEW
        user = request.user
        if model is Property:
            return properties_visible_to(user=user, action=action)
        if model is Organization:
            return organizations_visible_to(user=user, action=action)
        try:
            model._meta.get_field("property")
        except FieldDoesNotExist:
            pass
        else:
            return model._default_manager.filter(
                property__in=properties_visible_to(user=user, action=action)
            )
        return model._default_manager.none()  # nothing the rule does not cover

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not _is_superuser(request) and "queryset" not in kwargs:
            kwargs["queryset"] = self.related_choices(request, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not _is_superuser(request) and "queryset" not in kwargs:
            kwargs["queryset"] = self.related_choices(request, db_field.related_model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if _is_superuser(request):
            return filters
        # A related-object filter would list every property's name; offer only those in the
        # user's own rows.
        return [
            (item, RelatedOnlyFieldListFilter) if self._is_relation(item) else item
            for item in filters
        ]

    def _is_relation(self, item: Any) -> bool:
        if not isinstance(item, str) or "__" in item:
            return False
        try:
            return self.model._meta.get_field(item).is_relation
        except FieldDoesNotExist:
            return False

    # Actions --------------------------------------------------------------------------------
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if _is_superuser(request):
            return actions
        return {
            name: (self._narrowed_action(func), name_, description)
            for name, (func, name_, description) in actions.items()
        }

    def _narrowed_action(self, func: Any) -> Any:
        """`func` run on the part of the selection where the user's role allows it."""
        permissions = getattr(func, "allowed_permissions", ())
        needs = {ACTION_PERMISSION_ACCESS.get(p, self.change_access) for p in permissions}
        action = VIEW if not needs else needs.pop() if len(needs) == 1 else self.change_access

        @functools.wraps(func)
        def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> Any:
            if action is None:
                raise PermissionDenied
            return func(modeladmin, request, modeladmin.scoped(request, queryset, action))

        return run

    # A change the role does not allow: refused with the reason -------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not _is_superuser(request) and self.change_access is not None:
            obj = self.get_object(request, object_id)
            reason = refusal(request, obj, self.change_access) if obj is not None else None
            if reason is not None and refusal(request, obj, VIEW) is None:
                if request.method == "POST":
                    messages.error(request, f"Not saved. {reason}")
                    return HttpResponseRedirect(request.get_full_path())
                messages.warning(request, f"Read only. {reason}")
        return super().change_view(request, object_id, form_url, extra_context)


class SuperuserOnlyAdmin:
    """Technical screens: superusers only (hidden from the index, 403 on every page)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_superuser(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_delete_permission(request, obj)


def restrict_unscoped_admins_to_superusers(site: admin.AdminSite | None = None) -> None:
    """Re-register every admin that does not opt in to OrganizationScopedAdmin as superuser-only.

    Runs from PropertiesConfig.ready(), after the admin's autodiscovery has imported every app's
    admin module (django.contrib.admin comes first in INSTALLED_APPS).
    """
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        cls = type(model_admin)
        if issubclass(cls, OrganizationScopedAdmin | SuperuserOnlyAdmin):
            continue
        restricted = type(f"SuperuserOnly{cls.__name__}", (SuperuserOnlyAdmin, cls), {})
        site.unregister(model)
        site.register(model, restricted)
