"""The call log and units lists fit a 1366-pixel laptop screen: every column visible, no
sideways scrolling, with long property names, ended reasons and unit details.

Screenshots: test-artifacts/layout-<list>-1366.png.
"""

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from leads.demo import DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead
from properties.models import Property, Unit
from tests.factories import CallLogFactory
from tests.voice.samples import create_call_history, create_ended_call_with_tour, create_live_call
from voice.models import CallLog

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}

# Where each column's right edge is, and how wide the page and the list's scroller are.
MEASURE = """() => {
    const doc = document.documentElement;
    const results = document.querySelector("#changelist .results");
    const cells = [...document.querySelectorAll("#result_list th, #result_list td")];
    const headers = [...document.querySelectorAll("#result_list thead th")];
    return {
        scrollWidth: doc.scrollWidth,
        clientWidth: doc.clientWidth,
        resultsScrollWidth: results.scrollWidth,
        resultsClientWidth: results.clientWidth,
        rightmost: Math.max(...cells.map((c) => c.getBoundingClientRect().right)),
        headers: headers.map((h) => [h.innerText.trim(), h.getBoundingClientRect().right]),
    };
}"""


@pytest.fixture
def busy_lists(transactional_db) -> None:
    """Demo data with a month of calls, a live one, and the longest names a list may show."""
    call_command("load_demo_data", verbosity=0)
    lead = Lead.objects.get(phone="+14155550123")
    create_call_history(lead=lead)
    create_ended_call_with_tour(lead=lead)
    create_live_call(lead=Lead.objects.get(phone="+14155550177"))
    long_name = Property.objects.create(
        organization=lead.property.organization,
        name="The Residences at Riverside Commons Apartment Homes",
        address_line="1 River Road",
        city="Sacramento",
        state="CA",
        postal_code="95814",
        leasing_phone="+19165550100",
    )
    CallLogFactory(
        property=long_name,
        lead=None,
        customer_number="+19165550123",
        direction=CallLog.Direction.OUTBOUND,
        status=CallLog.Status.ENDED,
        ended_reason="call.in-progress.error-vapifault-openai-llm-failed",
        duration_seconds=4000,
        cost=Decimal("12.3456"),
    )
    Unit.objects.create(
        property=long_name,
        unit_number="PH-1204B",
        floor_plan="Two bedroom plus den penthouse with terrace",
        bedrooms=2,
        bathrooms=Decimal("2.5"),
        square_feet=1480,
        monthly_rent=Decimal("12500.00"),
        status=Unit.Status.ON_NOTICE,
    )


def _assert_fits(page: Any, *, name: str, admin_browser: Any) -> dict[str, Any]:
    page.set_viewport_size(LAPTOP)
    page.wait_for_load_state("load")
    size = page.evaluate(MEASURE)
    admin_browser.screenshot(f"layout-{name}-1366", full_page=False)
    assert size["scrollWidth"] <= size["clientWidth"], size
    assert size["resultsScrollWidth"] <= size["resultsClientWidth"], size
    assert size["rightmost"] <= LAPTOP["width"], size
    return size


def test_call_log_list_fits_a_1366_pixel_screen(admin_browser, busy_lists):
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    admin_browser.goto(reverse("admin:voice_calllog_changelist"))
    size = _assert_fits(admin_browser.page, name="call-log", admin_browser=admin_browser)
    labels = " ".join(label for label, _ in size["headers"]).lower()
    for column in ("When", "Caller", "Property", "Outcome", "Duration", "Cost"):
        assert column.lower() in labels, labels


def test_units_list_fits_a_1366_pixel_screen(admin_browser, busy_lists):
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    admin_browser.goto(reverse("admin:properties_unit_changelist"))
    size = _assert_fits(admin_browser.page, name="units", admin_browser=admin_browser)
    labels = " ".join(label for label, _ in size["headers"]).lower()
    for column in ("Unit", "Property", "Floor plan", "Beds", "Rent", "Available", "Status"):
        assert column.lower() in labels, labels
