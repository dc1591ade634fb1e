"""Each demo login in a real browser: what the manager and the two leasing agents see.

The agent assigned to Harbor View sees only Harbor View's leads and calls, the agent at Cedar Park
only Cedar Park's, the property manager both; none of them sees the technical screens (webhook
inbox, transcript lines, users, token blacklist), which the superuser still has.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from leads.demo import COMPLIANCE_LEADS, DEMO_PASSWORD, DEMO_USERNAME
from leads.models import Lead
from tests.factories import CallLogFactory

pytestmark = pytest.mark.django_db(transaction=True)

HARBOR_LEADS = {"Maya Chen", "Jordan Reyes", "Sam Okafor"}
# Cedar Park also has the demo leads that show each compliance answer (README).
CEDAR_LEADS = {"Priya Natarajan"} | {f"{lead[2]} {lead[3]}" for lead in COMPLIANCE_LEADS}
TECHNICAL = ["Webhook events", "Transcript lines", "Users", "Groups", "Outstanding tokens"]
TECHNICAL_URLS = [
    reverse("admin:voice_webhookevent_changelist"),
    reverse("admin:voice_transcriptline_changelist"),
    reverse("admin:auth_user_changelist"),
    reverse("admin:token_blacklist_outstandingtoken_changelist"),
]


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo_data", verbosity=0)
    for phone, number in (("+14155550123", "+14155550123"), ("+15125550166", "+15125550166")):
        lead = Lead.objects.get(phone=phone)
        CallLogFactory(property=lead.property, lead=lead, customer_number=number)


def _column(browser, path: str, selector: str) -> set[str]:
    browser.goto(path)
    return {text.strip() for text in browser.page.locator(selector).all_inner_texts()}


def _leads(browser) -> set[str]:
    return _column(browser, reverse("admin:leads_lead_changelist"), "#result_list tbody th a")


def _calls(browser) -> set[str]:
    cells = _column(
        browser, reverse("admin:voice_calllog_changelist"), "#result_list td.field-caller"
    )
    return {cell.splitlines()[0] for cell in cells}


def _index_links(browser) -> str:
    browser.goto(reverse("admin:index"))
    return browser.page.locator("#content-main").inner_text()


@pytest.mark.parametrize(
    ("username", "leads"),
    [
        ("agent.harbor", HARBOR_LEADS),
        ("agent.cedar", CEDAR_LEADS),
        ("manager", HARBOR_LEADS | CEDAR_LEADS),
    ],
)
def test_demo_staff_see_their_properties_and_no_technical_screen(
    admin_browser, demo, username, leads
):
    admin_browser.login(username=username, password=DEMO_PASSWORD)

    assert _leads(admin_browser) == leads
    admin_browser.screenshot(f"roles-{username}-leads")
    assert _calls(admin_browser) == {"Maya Chen", "Priya Natarajan"} & leads
    index = _index_links(admin_browser)
    admin_browser.screenshot(f"roles-{username}-index")
    assert "Voice dashboard" in index
    for screen in TECHNICAL:
        assert screen not in index, screen
    for url in TECHNICAL_URLS:
        response = admin_browser.page.goto(admin_browser.base_url + url)
        assert response.status == 403, url


def test_demo_superuser_still_sees_everything(admin_browser, demo):
    admin_browser.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)

    assert _leads(admin_browser) == HARBOR_LEADS | CEDAR_LEADS
    index = _index_links(admin_browser)
    for screen in ("Webhook events", "Users"):
        assert screen in index, screen
