"""Apartment communities, their units and weekly office hours."""

import zoneinfo
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from properties.phone import PhoneNumberField

TIMEZONE_INVALID = "Enter a valid IANA time zone, for example America/Los_Angeles."
CALLING_WINDOW_INVALID = "The calling window must end after it starts (for example 09:00-20:00)."


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(TIMEZONE_INVALID, code="invalid_timezone")


class Organization(models.Model):
    """A management company: the tenant that owns properties and whose staff share them.

    One Vapi account serves the whole deployment; organizations are tenants inside it.
    """

    legal_name = models.CharField(
        "legal business name",
        max_length=200,
        help_text="The registered business name; call disclosures say it aloud.",
    )
    name = models.CharField("display name", max_length=200)
    timezone = models.CharField(
        "default time zone",
        max_length=64,
        default="America/Los_Angeles",
        validators=[validate_timezone],
        help_text="New properties start in this time zone.",
    )
    # The organization's own calling hours, on top of the federal 08-21 window and each state's
    # rules (calling-compliance.md §7 rule 2); the defaults are the federal window, so an
    # organization that sets nothing calls exactly as the law allows.
    calling_window_start = models.TimeField(
        default=time(8, 0),
        help_text=(
            "Outbound AI calls are allowed only inside this window, in the called person's "
            "local time (and never outside the federal 08:00-21:00 or a state's own hours)."
        ),
    )
    calling_window_end = models.TimeField(
        default=time(21, 0),
        help_text=(
            "End of the calling window (exclusive: with 19:00, a call at 19:00 is refused), in "
            "the called person's local time."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("organization", "user"),
        related_name="organizations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        start, end = self.calling_window_start, self.calling_window_end
        # A window that wraps past midnight would allow night calls; the federal window never
        # does, so there is no use for one.
        if start is not None and end is not None and start >= end:
            raise ValidationError(
                {"calling_window_end": CALLING_WINDOW_INVALID}, code="calling_window_invalid"
            )

    @property
    def calling_window(self) -> tuple[time, time]:
        return (self.calling_window_start, self.calling_window_end)


class Property(models.Model):
    # PROTECT: an organization with properties is closed by moving or deleting them first, so a
    # click in the admin cannot take a portfolio's leads and call logs with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="properties"
    )
    name = models.CharField(max_length=200)
    address_line = models.CharField("street address", max_length=255)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    timezone = models.CharField(
        max_length=64, default="America/Los_Angeles", validators=[validate_timezone]
    )
    leasing_phone = PhoneNumberField(
        blank=True, help_text="The number prospects call (E.164); routes inbound calls."
    )
    transfer_phone = PhoneNumberField(
        blank=True, help_text="Staff number the assistant transfers callers to (E.164)."
    )
    tour_slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5)]
    )
    tours_per_slot = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="How many tours the team can give at the same time.",
    )
    pets_allowed = models.BooleanField(default=True)
    pet_policy = models.TextField(blank=True)
    parking_policy = models.TextField(blank=True)
    application_fee = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    application_fee_policy = models.TextField(blank=True)
    amenities = models.TextField(blank=True, help_text="One amenity per line.")
    knowledge = models.TextField(
        blank=True, help_text="Anything else the assistant should know (specials, directions...)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "properties"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["leasing_phone"],
                condition=~Q(leasing_phone=""),
                name="property_leasing_phone_unique",
                violation_error_message="Another property already uses this leasing number.",
            ),
            models.CheckConstraint(
                condition=Q(tour_slot_minutes__gte=5), name="property_tour_slot_minutes_min"
            ),
            models.CheckConstraint(
                condition=Q(tours_per_slot__gte=1), name="property_tours_per_slot_min"
            ),
            models.CheckConstraint(
                condition=Q(application_fee__gte=0), name="property_application_fee_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def amenity_list(self) -> list[str]:
        return [line.strip() for line in self.amenities.splitlines() if line.strip()]

    @property
    def full_address(self) -> str:
        return f"{self.address_line}, {self.city}, {self.state} {self.postal_code}"


class OfficeHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="office_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField(default=time(9, 0))
    closes_at = models.TimeField(default=time(18, 0))

    class Meta:
        verbose_name_plural = "office hours"
        ordering = ["property", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="office_hours_closes_after_opens",
                violation_error_message="Closing time must be after opening time.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="office_hours_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Unit(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        ON_NOTICE = "on_notice", "On notice"
        OCCUPIED = "occupied", "Occupied"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="units")
    unit_number = models.CharField(max_length=20)
    floor_plan = models.CharField(max_length=100, blank=True)
    bedrooms = models.PositiveSmallIntegerField(help_text="0 for a studio.")
    bathrooms = models.DecimalField(
        max_digits=3, decimal_places=1, validators=[MinValueValidator(0)]
    )
    square_feet = models.PositiveIntegerField(null=True, blank=True)
    monthly_rent = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    available_from = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["property", "unit_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "unit_number"],
                name="unit_number_unique_per_property",
                violation_error_message="This property already has a unit with this number.",
            ),
            models.CheckConstraint(condition=Q(monthly_rent__gte=0), name="unit_rent_non_negative"),
            models.CheckConstraint(condition=Q(bedrooms__gte=0), name="unit_bedrooms_non_negative"),
            models.CheckConstraint(
                condition=Q(bathrooms__gte=0), name="unit_bathrooms_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(square_feet__isnull=True) | Q(square_feet__gte=0),
                name="unit_square_feet_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["property", "status", "bedrooms"])]

    def __str__(self) -> str:
        return f"{self.property} #{self.unit_number}"


class Membership(models.Model):
    """A user's role in an organization (properties/access.py says what each role may do)."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Organization admin"
        MANAGER = "manager", "Property manager"
        AGENT = "agent", "Leasing agent"
        READ_ONLY = "read_only", "Read-only"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    properties = models.ManyToManyField(
        Property,
        blank=True,
        related_name="assigned_memberships",
        help_text=(
            "Leasing agents: the properties they work. None means all of the organization's. "
            "Other roles always cover the whole organization."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="membership_one_per_user_and_organization",
                violation_error_message="This user is already a member of this organization.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"
