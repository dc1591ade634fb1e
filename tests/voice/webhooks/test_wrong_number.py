"""'Wrong number' on a call (calling-compliance.md §7 rule 17, second half): the person we called
is not the one who consented, so the number is suppressed and every live consent for it in the
organization is void — from a final transcript line or the end-of-call report, outbound only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.compliance.gate import Reason, call_permission
from leads.compliance.models import CallDecision, Consent, Suppression
from leads.compliance.services import CONSENT_REVOKED_WRONG_NUMBER
from tests.factories import CallLogFactory, ConsentFactory, LeadFactory, OrganizationFactory
from tests.voice.webhook_helpers import (
    CALLER,
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.models import CallLog

pytestmark = pytest.mark.django_db

OTHER_NUMBER = "+14155550199"


def _outbound(message):
    message["message"]["call"]["type"] = "outboundPhoneCall"
    return message


def _line(client, world, text, *, role="user", outbound=True):
    message = world.fixture("transcript__opt_out")
    message["message"].update(role=role, transcript=text)
    if outbound:
        _outbound(message)
    assert post_vapi(client, message).status_code == 200


@pytest.fixture
def consents(world, calling_hours):
    """The called lead with consent, a second consent for the same number, and consents that
    must survive: another number of the organization, the same number at another organization."""
    org = world.property.organization
    lead = LeadFactory(property=world.property, phone=CALLER, state="CA")
    ConsentFactory(organization=org, number=CALLER, given_at=timezone.now() - timedelta(days=30))
    other_number = ConsentFactory(organization=org, number=OTHER_NUMBER)
    other_org = ConsentFactory(organization=OrganizationFactory(), number=CALLER)
    return lead, other_number, other_org


def _assert_voided(world, consents, *, source=Suppression.Source.WRONG_NUMBER):
    lead, other_number, other_org = consents
    row = Suppression.objects.get()
    assert (row.organization, row.number, row.source, row.lead, row.vapi_call_id) == (
        world.property.organization,
        CALLER,
        source,
        lead,
        world.call_id,
    )
    voided = Consent.objects.filter(organization=world.property.organization, number=CALLER)
    assert voided.count() == 2
    assert all(
        consent.revoked_at == timezone.now() and consent.revoked_how == CONSENT_REVOKED_WRONG_NUMBER
        for consent in voided
    )
    for survivor in (other_number, other_org):
        survivor.refresh_from_db()
        assert survivor.revoked_at is None
    return row


def test_a_final_line_saying_wrong_number_suppresses_and_voids_the_consent(
    client, world, consents, clock
):
    clock.move_to(timezone.now(), tick=False)
    _line(client, world, "Sorry, you have the wrong number.")

    row = _assert_voided(world, consents)
    assert "you have the wrong number" in row.note
    permission = call_permission(
        organization=world.property.organization,
        number=CALLER,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=consents[0],
    )
    assert (permission.allowed, permission.reason) == (False, Reason.OPTED_OUT)


def test_no_one_by_that_name_in_the_end_of_call_report(client, world, consents, clock):
    clock.move_to(timezone.now(), tick=False)
    message = _outbound(world.fixture("end_of_call_report"))
    message["message"]["artifact"]["messages"] = []
    message["message"]["artifact"]["transcript"] += "\nUser: There is no Maria here."

    assert post_vapi(client, message).status_code == 200

    row = _assert_voided(world, consents)
    assert "There is no Maria here." in row.note


def test_the_live_line_and_the_report_leave_one_row_and_one_revocation(
    client, world, consents, clock
):
    clock.move_to(timezone.now(), tick=False)
    _line(client, world, "Wrong number.")
    first = set(Consent.objects.values_list("pk", "revoked_at"))
    clock.move_to(timezone.now() + timedelta(minutes=3), tick=False)
    message = _outbound(world.fixture("end_of_call_report"))
    message["message"]["artifact"]["transcript"] += "\nUser: Wrong number."

    post_vapi(client, message)

    assert Suppression.objects.count() == 1
    assert set(Consent.objects.values_list("pk", "revoked_at")) == first


def test_a_line_that_is_both_keeps_the_opt_outs_source_and_voids_the_consent(
    client, world, consents, clock
):
    clock.move_to(timezone.now(), tick=False)
    _line(client, world, "Wrong number, stop calling me.")

    _assert_voided(world, consents, source=Suppression.Source.SPOKEN)


def test_an_inbound_caller_who_misdialled_keeps_their_consent(client, world, consents, clock):
    """A caller who says "sorry, wrong number" dialled us by mistake: that says nothing about
    the consent they gave (the number is still theirs)."""
    _line(client, world, "Oh sorry, wrong number.", outbound=False)

    assert not Suppression.objects.exists()
    assert not Consent.objects.filter(revoked_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("assistant", "Sorry, do I have the wrong number?"),
        ("user", "there's no parking here?"),
        ("user", "Can you stop by Tuesday?"),
    ],
)
def test_the_assistants_words_and_harmless_lines_do_nothing(
    client, world, consents, clock, role, text
):
    _line(client, world, text, role=role)

    assert not Suppression.objects.exists()
    assert not Consent.objects.filter(revoked_at__isnull=False).exists()


def test_a_logged_outbound_call_without_a_type_counts(client, world, consents, clock):
    CallLogFactory(
        vapi_call_id=world.call_id,
        direction=CallLog.Direction.OUTBOUND,
        property=world.property,
        customer_number=CALLER,
    )
    message = world.fixture("transcript__opt_out")
    message["message"]["call"].pop("type")
    message["message"].update(transcript="You have the wrong number.")

    post_vapi(client, message)

    assert Suppression.objects.get().source == Suppression.Source.WRONG_NUMBER
