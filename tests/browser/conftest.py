"""Browser tests: a real headless Chromium (Debian's `chromium` package) driven by Playwright.

Without /usr/bin/chromium (or the `playwright` package) they are skipped locally, with the reason;
in CI (`CI=true`) they fail instead, so CI always runs them (`.ci/run` installs Chromium).
Playwright's own browser download is never used (no `playwright install`).

Screenshots are saved to `test-artifacts/` (gitignored).
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
VIEWPORT = {"width": 1440, "height": 960}
# Generous: CI shares two cores; the live view polls every 2.5 s.
TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (skipped locally without it; CI requires it)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


def chromium_env() -> dict[str, str]:
    """The environment Chromium starts with: this one, without libfaketime's variables.

    The suite may run under `faketime` (LD_PRELOAD + FAKETIME*) to prove it passes on any day;
    Chromium is a separate process on the real clock and breaks under a preloaded fake one.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if key != "LD_PRELOAD" and not key.startswith("FAKETIME")
    }


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so browser tests must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium for one test.

    Playwright's sync API keeps an asyncio loop set on this thread while it is open. Django then
    takes the thread for an async one: it refuses ORM calls and would hand the test a second
    database connection (a lock conflict on in-memory SQLite, a leaked session on PostgreSQL).
    The test's ORM calls are plain synchronous code, so the check is lifted and the test keeps
    its usual connections. The live server answers from its own thread and is unaffected.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (make test installs it)")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    existing = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in existing.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, env=chromium_env()
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class AdminBrowser:
    """A logged-out browser tab on the live server, with the steps the admin tests share."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, *, username: str, password: str) -> None:
        self.goto(reverse("admin:login"))
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("input[type=submit]")
        self.page.wait_for_url(f"{self.base_url}{reverse('admin:index')}")

    def open_call_log(self, call: Any) -> None:
        self.goto(reverse("admin:voice_calllog_change", args=[call.pk]))

    def open_lead(self, lead: Any) -> None:
        self.goto(reverse("admin:leads_lead_change", args=[lead.pk]))

    def open_dashboard(self) -> None:
        self.goto(reverse("admin:voice_dashboard"))

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def admin_browser(chromium: Any, live_server: Any, settings: Any) -> Iterator[AdminBrowser]:
    """A fresh browser context on the live server. Requests anywhere else are blocked, so a
    page can never reach the internet; page errors fail the test."""
    from playwright.sync_api import expect

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = chromium.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    origin = live_server.url

    def only_live_server(route: Any) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    browser = AdminBrowser(page=page, base_url=origin)
    page.on("pageerror", lambda error: browser.errors.append(str(error)))
    try:
        yield browser
    finally:
        context.close()
    assert browser.errors == [], f"JavaScript errors: {browser.errors}"
