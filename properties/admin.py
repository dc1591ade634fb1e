"""Admin for organizations, memberships, properties, units and office hours.

Every class here is scoped by membership (properties/admin_access.py): a non-superuser sees and
changes only what their role reaches.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from properties.access import (
    EDIT_PROPERTY,
    MANAGE_MEMBERS,
    VIEW,
    organizations_visible_to,
    properties_visible_to,
)
from properties.admin_access import OrganizationScopedAdmin
from properties.models import Membership, OfficeHours, Organization, Property, Unit


class OrganizationLevelAdmin(OrganizationScopedAdmin):
    """Scoped by organization rather than property (organizations and their memberships)."""

    organization_path = "organization"
    change_access = MANAGE_MEMBERS

    def scope_q(self, request: HttpRequest, action: str = VIEW) -> Q:
        if action == VIEW:  # any member sees their organization (an assigned agent too)
            organizations = Organization.objects.filter(
                pk__in=Membership.objects.filter(user=request.user).values("organization_id")
            )
        else:
            organizations = organizations_visible_to(user=request.user, action=action)
        return Q(**{f"{self.organization_path}__in": organizations})

    def related_choices(self, request: HttpRequest, model: type) -> QuerySet:
        if model is Property:
            return properties_visible_to(user=request.user, action=EDIT_PROPERTY).filter(
                organization__in=organizations_visible_to(user=request.user, action=MANAGE_MEMBERS)
            )
        return super().related_choices(request, model)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organization", "role", "properties")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organization = data.get("organization")
        organization_id = organization.pk if organization else self.instance.organization_id
        other = [p for p in data.get("properties") or [] if p.organization_id != organization_id]
        if other:
            self.add_error(
                "properties",
                "Assign only properties of this organization "
                f"(not {', '.join(p.name for p in other)}).",
            )
        return data


class MembershipAdminMixin(OrganizationLevelAdmin):
    form = MembershipForm
    filter_horizontal = ("properties",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user" and not request.user.is_superuser:
            # Members are added by exact username: an organization admin does not browse the
            # deployment's user list (users are created by a superuser).
            return forms.ModelChoiceField(
                queryset=get_user_model().objects.filter(is_active=True),
                to_field_name="username",
                widget=forms.TextInput,
                label="Username",
                error_messages={"invalid_choice": "No active user has this username."},
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(MembershipAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "properties")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The member list is for those who manage it.
        return self.has_change_permission(request, obj)


@admin.register(Organization)
class OrganizationAdmin(OrganizationLevelAdmin, admin.ModelAdmin):
    organization_path = "pk"
    list_display = ("name", "legal_name", "timezone", "updated_at")
    search_fields = ("name", "legal_name")
    readonly_fields = ("created_at", "updated_at")
    fields = (
        "name",
        "legal_name",
        "timezone",
        ("calling_window_start", "calling_window_end"),
        "created_at",
        "updated_at",
    )
    inlines = (MembershipInline,)

    # New organizations are tenants of the deployment: a superuser creates them.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Membership)
class MembershipAdmin(MembershipAdminMixin, admin.ModelAdmin):
    list_display = ("user", "organization", "role", "assigned")
    list_filter = ("role", "organization")
    search_fields = ("user__username", "user__email", "organization__name")
    list_select_related = ("user", "organization")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).prefetch_related("properties")
        if request.user.is_superuser:
            return queryset
        # The member list is the organization admin's; others see their own memberships.
        managed = organizations_visible_to(user=request.user, action=MANAGE_MEMBERS)
        return queryset.filter(Q(organization__in=managed) | Q(user=request.user))

    @admin.display(description="Assigned properties")
    def assigned(self, obj: Membership) -> str:
        names = [p.name for p in obj.properties.all()]
        return ", ".join(names) if names else "All of the organization's"


class OfficeHoursInline(OrganizationScopedAdmin, admin.TabularInline):
    model = OfficeHours
    extra = 0
    change_access = EDIT_PROPERTY


class UnitInline(OrganizationScopedAdmin, admin.TabularInline):
    model = Unit
    change_access = EDIT_PROPERTY
    extra = 0
    fields = (
        "unit_number",
        "floor_plan",
        "bedrooms",
        "bathrooms",
        "square_feet",
        "monthly_rent",
        "available_from",
        "status",
    )
    show_change_link = True


@admin.register(Property)
class PropertyAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    property_path = ""
    change_access = EDIT_PROPERTY

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A user who can add properties to one organization only gets it preselected, with its
        # default time zone.
        initial = super().get_changeform_initial_data(request)
        organizations = list(organizations_visible_to(user=request.user, action=EDIT_PROPERTY)[:2])
        if len(organizations) == 1 and "organization" not in initial:
            initial["organization"] = organizations[0].pk
            initial.setdefault("timezone", organizations[0].timezone)
        return initial

    list_display = (
        "name",
        "city",
        "state",
        "leasing_phone",
        "timezone",
        "organization",
        "updated_at",
    )
    list_filter = ("state", "timezone", "pets_allowed")
    search_fields = ("name", "address_line", "city", "postal_code", "leasing_phone")
    list_select_related = ("organization",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (OfficeHoursInline, UnitInline)
    fieldsets = (
        (None, {"fields": ("organization", "name", "timezone")}),
        ("Address", {"fields": ("address_line", "city", "state", "postal_code")}),
        ("Phones", {"fields": ("leasing_phone", "transfer_phone")}),
        ("Tours", {"fields": ("tour_slot_minutes", "tours_per_slot")}),
        (
            "Policies",
            {
                "fields": (
                    "pets_allowed",
                    "pet_policy",
                    "parking_policy",
                    "application_fee",
                    "application_fee_policy",
                )
            },
        ),
        ("What the assistant knows", {"fields": ("amenities", "knowledge")}),
        ("Timestamps", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(Unit)
class UnitAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = EDIT_PROPERTY
    # Short columns so the list fits a 1366-px laptop beside the filters
    # (tests/browser/test_admin_layout.py): bedrooms and bathrooms share one.
    list_display = (
        "unit",
        "property",
        "floor_plan",
        "beds_baths",
        "rent",
        "available",
        "status",
    )
    list_filter = ("status", "bedrooms", "property")
    search_fields = ("unit_number", "floor_plan", "property__name")
    list_select_related = ("property",)
    readonly_fields = ("created_at", "updated_at")
    raw_id_fields = ("property",)

    @admin.display(description="Unit", ordering="unit_number")
    def unit(self, obj: Unit) -> str:
        return obj.unit_number

    @admin.display(description="Beds / baths", ordering="bedrooms")
    def beds_baths(self, obj: Unit) -> str:
        beds = "Studio" if obj.bedrooms == 0 else f"{obj.bedrooms} bd"
        return f"{beds} / {obj.bathrooms.normalize():f} ba"

    @admin.display(description="Rent", ordering="monthly_rent")
    def rent(self, obj: Unit) -> str:
        rent = obj.monthly_rent
        return f"${rent:,.0f}" if rent == rent.to_integral_value() else f"${rent:,.2f}"

    @admin.display(description="Available", ordering="available_from")
    def available(self, obj: Unit) -> str:
        if obj.available_from is None:
            return "—"
        return f"{obj.available_from.day} {obj.available_from:%b %Y}"


@admin.register(OfficeHours)
class OfficeHoursAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    change_access = EDIT_PROPERTY
    list_display = ("property", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday", "property")
    search_fields = ("property__name",)
    list_select_related = ("property",)
