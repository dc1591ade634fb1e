"""factory_boy factories for every model the tests create."""

from datetime import time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.models import (
    Callback,
    Consent,
    DncSnapshot,
    Lead,
    LeadActivity,
    StaffPhone,
    Suppression,
    Tour,
)
from properties.models import Membership, OfficeHours, Organization, Property, Unit
from voice.models import Assistant, CallLog, Campaign, RetentionPolicy, WebhookEvent


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Cascade Living {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} LLC")
    timezone = "America/Los_Angeles"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.ADMIN

    @factory.post_generation
    def properties(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.properties.set(extracted)


class PropertyFactory(factory.django.DjangoModelFactory):
    """A property in a new organization; `owner=user` makes that user its organization admin
    (the one-owner world of the tests written before organizations)."""

    class Meta:
        model = Property
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Maple Court {n}")
    address_line = factory.Sequence(lambda n: f"{100 + n} Maple Street")
    city = "Portland"
    state = "OR"
    postal_code = "97205"
    timezone = "America/Los_Angeles"
    leasing_phone = factory.Sequence(lambda n: f"+1503555{1000 + n:04d}")
    transfer_phone = "+15035559999"
    tour_slot_minutes = 30
    tours_per_slot = 1
    pet_policy = "Cats and small dogs welcome."
    parking_policy = "One free space per unit."
    application_fee = Decimal("50.00")

    @factory.post_generation
    def owner(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            Membership.objects.get_or_create(
                user=extracted,
                organization=obj.organization,
                defaults={"role": Membership.Role.ADMIN},
            )

    @factory.post_generation
    def with_office_hours(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            for weekday in range(5):
                OfficeHours.objects.create(
                    property=obj, weekday=weekday, opens_at=time(9), closes_at=time(17)
                )


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    property = factory.SubFactory(PropertyFactory)
    unit_number = factory.Sequence(lambda n: f"{100 + n}")
    floor_plan = "Aspen"
    bedrooms = 2
    bathrooms = Decimal("1.0")
    square_feet = 900
    monthly_rent = Decimal("2000.00")
    # "Today" at the unit's property, in its own zone (the suite's clock: tests/clock.py).
    available_from = factory.LazyAttribute(lambda o: timezone.localdate(timezone=o.property.tz))
    status = Unit.Status.AVAILABLE


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead
        skip_postgeneration_save = True

    property = factory.SubFactory(PropertyFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Sequence(lambda n: f"+1206555{1000 + n:04d}")
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.com")
    source = Lead.Source.WEBSITE
    consent_to_call = True

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        """`consent_to_call=True` (the default) also records written consent for the lead's
        number, as the product does: the compliance gate reads Consent rows, not the flag.
        `consent=False` skips it."""
        if create and extracted is not False and obj.consent_to_call and obj.phone:
            consent_for(obj)


class LeadActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadActivity

    lead = factory.SubFactory(LeadFactory)
    kind = LeadActivity.Kind.NOTE
    text = "Called back about parking."


class TourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tour

    lead = factory.SubFactory(LeadFactory)
    property = factory.SelfAttribute("lead.property")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))


class CallbackFactory(factory.django.DjangoModelFactory):
    """An open callback of a lead, due now (the product makes them through `callback_request`)."""

    class Meta:
        model = Callback

    lead = factory.SubFactory(LeadFactory)
    property = factory.SelfAttribute("lead.property")
    number = factory.SelfAttribute("lead.phone")
    reason = Callback.Reason.AFTER_HOURS
    due_at = factory.LazyFunction(timezone.now)


class AssistantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assistant

    property = factory.SubFactory(PropertyFactory)
    name = factory.Sequence(lambda n: f"Leasing assistant {n}")
    first_message = "Thanks for calling! How can I help?"


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft campaign of an assistant's property (made with one when not given)."""

    class Meta:
        model = Campaign

    assistant = factory.SubFactory(AssistantFactory)
    property = factory.SelfAttribute("assistant.property")
    organization = factory.SelfAttribute("property.organization")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    purpose = "marketing"
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class CallLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallLog

    vapi_call_id = factory.Sequence(lambda n: f"call-{n:06d}")
    property = factory.SubFactory(PropertyFactory)
    direction = CallLog.Direction.INBOUND
    status = CallLog.Status.ENDED
    customer_number = "+12065550100"


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    message_type = "end-of-call-report"
    vapi_call_id = "call-000000"
    dedupe_key = factory.Sequence(lambda n: f"delivery-{n}")
    payload = factory.LazyAttribute(
        lambda o: {"message": {"type": o.message_type, "call": {"id": o.vapi_call_id}}}
    )
    status = WebhookEvent.Status.PROCESSED


class RetentionPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionPolicy

    organization = factory.SubFactory(OrganizationFactory)


def org_admin(prop: Property):
    """An organization admin of `prop`'s organization (made if it has none): who used to be
    the property's owner."""
    membership = prop.organization.memberships.filter(role=Membership.Role.ADMIN).first()
    if membership is None:
        membership = MembershipFactory(organization=prop.organization)
    return membership.user


DISCLOSURE = (
    "By submitting, you agree that {seller} may call you at the number above about renting, "
    "using an AI or artificial voice. Consent is not a condition of renting."
)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    organization = factory.SubFactory(OrganizationFactory)
    number = "+12065550100"
    kind = Consent.Kind.PEWC_AI_VOICE
    disclosure = factory.LazyAttribute(
        lambda o: DISCLOSURE.format(seller=o.organization.legal_name)
    )
    source = Consent.Source.WEB_FORM
    signature_method = "E-SIGN checkbox (unticked by default)"
    evidence_url = "https://example.com/contact"
    given_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


def consent_for(lead: Lead, **fields) -> Consent:
    """Written consent to AI-voice calls for `lead`'s number from its organization."""
    fields.setdefault("number", lead.phone)
    return ConsentFactory(organization=lead.property.organization, lead=lead, **fields)


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    organization = factory.SubFactory(OrganizationFactory)
    number = "+12065550100"
    source = Suppression.Source.SPOKEN


class StaffPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffPhone

    organization = factory.SubFactory(OrganizationFactory)
    number = "+12065550100"
    label = "Leasing manager"


class DncSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DncSnapshot

    registry = DncSnapshot.NATIONAL
    area_code = "206"
    downloaded_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
