"""Playwright driving Debian's Chromium (it cannot download its own browser here).

Without Chromium the browser tests are skipped with the reason shown; with REQUIRE_BROWSER=1
(set by .ci/run) a missing browser fails the run instead. Every page a test visits is saved as
a screenshot under var/screenshots/ so anyone can look at the pages.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import TEST_PASSWORD, totp_now

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API inside live_server tests

CHROMIUM_CANDIDATES = [
    os.environ.get("CHROMIUM_PATH", ""),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    shutil.which("chromium") or "",
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def chromium_path() -> str | None:
    return next((path for path in CHROMIUM_CANDIDATES if path and Path(path).exists()), None)


def pytest_collection_modifyitems(config, items):
    if chromium_path():
        return
    reason = "Chromium not installed (apt-get install chromium); browser tests skipped"
    for item in items:
        if "tests/browser" in str(item.fspath):
            if os.environ.get("REQUIRE_BROWSER") == "1":
                item.add_marker(pytest.mark.usefixtures("_fail_without_browser"))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_without_browser():
    pytest.fail("REQUIRE_BROWSER=1 is set but Chromium is not installed")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


class Visitor:
    """A Playwright page bound to the live server, saving a screenshot of each page it shows."""

    def __init__(self, page, base_url: str, test_name: str):
        self.page = page
        self.base_url = base_url
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]", "_", test_name)
        self.shots = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, label: str) -> Path:
        self.shots += 1
        path = SCREENSHOTS / f"{self.test_name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, user, password: str = TEST_PASSWORD):
        page = self.goto("/accounts/login/")
        self.shot("login")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/accounts/verify/**")
        page.fill("#id_code", totp_now(user))
        self.shot("verify")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page


@pytest.fixture
def visitor(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1366, "height": 850}, timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield Visitor(page, live_server.url, request.node.name)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
