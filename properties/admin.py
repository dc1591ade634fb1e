from django.contrib import admin

from properties.models import OfficeHours, Property, Unit


class OfficeHoursInline(admin.TabularInline):
    model = OfficeHours
    extra = 0


class UnitInline(admin.TabularInline):
    model = Unit
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
class PropertyAdmin(admin.ModelAdmin):
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
class UnitAdmin(admin.ModelAdmin):
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
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ("property", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday", "property")
    search_fields = ("property__name",)
    list_select_related = ("property",)
