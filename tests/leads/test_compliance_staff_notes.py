"""A staff note is an opt-out channel (calling-compliance.md §7 rule 9: "any channel revokes …
staff entry"; its test: staff note "lead emailed: don't call" → suppressed). Every place a note is
written (the API, the lead page's activities inline, the activity admin) runs the phrase list."""

from datetime import date

import pytest
from django.urls import reverse

from leads.compliance.gate import Reason, call_permission
from leads.compliance.models import CallDecision, Suppression
from leads.models import LeadActivity
from leads.services import lead_delete, lead_note_create
from tests.api.conftest import bearer_client
from tests.clock import at
from tests.factories import LeadFactory, PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db

THURSDAY = date(2027, 3, 4)
PHONE = "+13125550100"
OPT_OUT_NOTE = "lead emailed: don't call"


def _at_thursday_morning(clock):
    clock.move_to(at(THURSDAY, 11, zone="America/Chicago"), tick=False)


@pytest.fixture
def staff(client, admin_user):
    """Logs the superuser in once the test has moved the clock (a session started at the suite's
    clock would have expired by then)."""

    def login(clock):
        _at_thursday_morning(clock)
        client.force_login(admin_user)
        return client

    return login


def _ask(organization, number=PHONE):
    """The next gate decision for the number alone (no lead: the row must do the work)."""
    return call_permission(
        organization=organization, number=number, purpose="marketing", path=CallDecision.Path.API
    )


def test_the_rule_9_staff_note_suppresses_the_number(clock):
    _at_thursday_morning(clock)
    lead = LeadFactory(phone=PHONE, state="IL")
    org = lead.property.organization
    assert _ask(org).allowed

    note = lead_note_create(lead=lead, text=OPT_OUT_NOTE)

    assert _ask(org).reason == Reason.OPTED_OUT
    row = Suppression.objects.get()
    assert (row.organization, row.number, row.source, row.lead) == (
        org,
        PHONE,
        Suppression.Source.STAFF_NOTE,
        lead,
    )
    assert OPT_OUT_NOTE in row.note
    lead.refresh_from_db()
    assert lead.do_not_call is True
    assert lead.opted_out_at == at(THURSDAY, 11, zone="America/Chicago")
    note.refresh_from_db()
    assert (note.kind, note.text) == (LeadActivity.Kind.NOTE, OPT_OUT_NOTE)
    assert note.data == {"opt_out": True, "suppression_id": row.pk}


def test_a_harmless_note_changes_nothing(clock):
    _at_thursday_morning(clock)
    lead = LeadFactory(phone=PHONE, state="IL")

    note = lead_note_create(lead=lead, text="can you stop by Tuesday?")

    assert not Suppression.objects.exists()
    lead.refresh_from_db()
    assert (lead.do_not_call, lead.opted_out_at) == (False, None)
    assert note.data == {}
    assert _ask(lead.property.organization).allowed


def test_the_suppression_survives_deleting_the_lead(clock):
    _at_thursday_morning(clock)
    lead = LeadFactory(phone=PHONE, state="IL")
    org = lead.property.organization
    lead_note_create(lead=lead, text=OPT_OUT_NOTE)

    lead_delete(lead=lead)

    assert Suppression.objects.get().number == PHONE
    # A new lead for the number at another property of the organization is still refused.
    again = LeadFactory(property=PropertyFactory(organization=org), phone=PHONE, state="IL")
    assert call_permission(
        organization=org,
        number=PHONE,
        purpose="marketing",
        path=CallDecision.Path.API,
        lead=again,
    ).reason == (Reason.OPTED_OUT)


def test_a_note_posted_over_the_api_suppresses_and_names_its_author(clock):
    _at_thursday_morning(clock)
    user = UserFactory()
    lead = LeadFactory(property=PropertyFactory(owner=user), phone=PHONE, state="IL")

    response = bearer_client(user).post(
        f"/api/v1/leads/{lead.pk}/notes", {"text": OPT_OUT_NOTE}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["opt_out"] is True
    row = Suppression.objects.get()
    assert (row.source, row.created_by) == (Suppression.Source.STAFF_NOTE, user)


def test_a_note_added_in_the_lead_pages_activities_suppresses(clock, staff, admin_user):
    admin_client = staff(clock)
    lead = LeadFactory(phone=PHONE, state="IL", metadata={})
    page = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "property": lead.property_id,
            "metadata": "{}",
            "activities-TOTAL_FORMS": 1,
            "activities-INITIAL_FORMS": 0,
            "activities-0-kind": LeadActivity.Kind.NOTE,
            "activities-0-text": "Lead emailed: please STOP CALLING.",
            "activities-0-lead": lead.pk,
            "tours-TOTAL_FORMS": 0,
            "tours-INITIAL_FORMS": 0,
        }
    )

    response = admin_client.post(reverse("admin:leads_lead_change", args=[lead.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    row = Suppression.objects.get()
    assert (row.number, row.source, row.created_by) == (
        PHONE,
        Suppression.Source.STAFF_NOTE,
        admin_user,
    )
    lead.refresh_from_db()
    assert lead.do_not_call is True
    assert _ask(lead.property.organization).reason == Reason.OPTED_OUT


def test_a_note_added_in_the_activity_admin_suppresses(clock, staff):
    admin_client = staff(clock)
    lead = LeadFactory(phone=PHONE, state="IL")

    response = admin_client.post(
        reverse("admin:leads_leadactivity_add"),
        {"lead": lead.pk, "kind": LeadActivity.Kind.NOTE, "text": OPT_OUT_NOTE, "data": "{}"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Suppression.objects.get().source == Suppression.Source.STAFF_NOTE


def test_other_activity_kinds_are_not_staff_words(clock, staff):
    """A call summary quoting the assistant's opt-out offer is not the lead opting out."""
    admin_client = staff(clock)
    lead = LeadFactory(phone=PHONE, state="IL")

    admin_client.post(
        reverse("admin:leads_leadactivity_add"),
        {
            "lead": lead.pk,
            "kind": LeadActivity.Kind.CALL_ENDED,
            "text": "Told the caller to say stop calling any time.",
            "data": "{}",
        },
    )

    assert LeadActivity.objects.filter(kind=LeadActivity.Kind.CALL_ENDED).exists()
    assert not Suppression.objects.exists()
