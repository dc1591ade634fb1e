from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from properties.models import OfficeHours, Unit
from properties.phone import PHONE_INVALID, phone_normalize
from tests.factories import LeadFactory, PropertyFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_phone_normalize_accepts_national_format_and_returns_e164():
    assert phone_normalize("(415) 555-0100") == "+14155550100"
    assert phone_normalize("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("value", ["", "12", "not a phone", "+1555123456"])
def test_phone_normalize_rejects_bad_numbers(value):
    with pytest.raises(ValidationError) as exc:
        phone_normalize(value)
    assert exc.value.messages == [PHONE_INVALID]


def test_property_full_clean_normalizes_phone_and_rejects_bad_timezone():
    prop = PropertyFactory.build(
        organization=PropertyFactory().organization, leasing_phone="415.555.0111"
    )
    prop.full_clean()
    assert prop.leasing_phone == "+14155550111"
    prop.timezone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError) as exc:
        prop.full_clean()
    assert "timezone" in exc.value.message_dict


def test_property_full_clean_rejects_invalid_transfer_phone():
    prop = PropertyFactory.build(organization=PropertyFactory().organization, transfer_phone="555")
    with pytest.raises(ValidationError) as exc:
        prop.full_clean()
    assert exc.value.message_dict["transfer_phone"] == [PHONE_INVALID]


def test_duplicate_unit_number_rejected_by_database():
    unit = UnitFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            property=unit.property,
            unit_number=unit.unit_number,
            bedrooms=1,
            bathrooms=Decimal("1"),
            monthly_rent=Decimal("1500"),
        )


def test_same_unit_number_allowed_in_another_property():
    unit = UnitFactory()
    other = UnitFactory(unit_number=unit.unit_number)
    assert other.pk != unit.pk


def test_negative_rent_rejected_by_database():
    prop = PropertyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            property=prop,
            unit_number="9",
            bedrooms=1,
            bathrooms=Decimal("1"),
            monthly_rent=Decimal("-1"),
        )


def test_negative_bathrooms_rejected_by_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(bathrooms=Decimal("-0.5"))


def test_duplicate_lead_phone_per_property_rejected_by_database():
    lead = LeadFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(property=lead.property, phone=lead.phone)


def test_same_lead_phone_allowed_across_properties_and_blank_phones_do_not_clash():
    lead = LeadFactory()
    LeadFactory(phone=lead.phone)
    LeadFactory(property=lead.property, phone="")
    LeadFactory(property=lead.property, phone="")


def test_lead_score_out_of_range_rejected_by_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(score=101)


def test_office_hours_must_close_after_opening():
    prop = PropertyFactory(with_office_hours=False)
    from datetime import time

    with pytest.raises(IntegrityError), transaction.atomic():
        OfficeHours.objects.create(property=prop, weekday=0, opens_at=time(18), closes_at=time(9))


def test_two_properties_cannot_share_a_leasing_number():
    prop = PropertyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PropertyFactory(leasing_phone=prop.leasing_phone)
