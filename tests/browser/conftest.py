"""Playwright driving Debian's Chromium (it cannot download its own browser here).

Without Chromium the browser tests are skipped with the reason shown; with REQUIRE_BROWSER=1
(set by .ci/run) a missing browser fails the run instead. Every page a test visits is saved as
a screenshot under var/screenshots/ so anyone can look at the pages.

Every browser test fails on an uncaught JavaScript error or a Content Security Policy violation
(a console error from Chromium, or a ``securitypolicyviolation`` event). ``axe(page)`` runs
axe-core (package.json, installed by ``make test``) and returns the serious and critical
WCAG 2.0/2.1/2.2 A and AA violations.
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
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_IMPACTS = ("serious", "critical")
# Reports every CSP violation as a console error the `visitor` fixture collects (some, such as a
# blocked inline style injected by a script, leave no console message of Chromium's own).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""
CSP_MARKERS = ("Content Security Policy", "Refused to")


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
        yield WatchedBrowser(instance)
        instance.close()


class WatchedBrowser:
    """The Chromium browser, whose every new context is watched for errors and CSP violations:
    into the running `visitor` test's list (so a test's second context is checked too)."""

    def __init__(self, raw):
        self.raw = raw
        self.errors: list[str] | None = None  # set by the `visitor` fixture while its test runs

    def new_context(self, **options):
        return new_watched_context(self.raw, self.errors if self.errors is not None else [], **options)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


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


def watch_errors(page, errors: list[str]) -> None:
    """Collect uncaught errors and CSP violations of ``page`` (and its later navigations) into ``errors``."""
    page.on("pageerror", lambda error: errors.append(f"{page.url}: uncaught {error}"))

    def on_console(message) -> None:
        if message.type == "error" and any(marker in message.text for marker in CSP_MARKERS):
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


def new_watched_context(browser, errors: list[str], **options):
    """A browser context whose pages report CSP violations to the console (see ``watch_errors``)."""
    options = {"viewport": {"width": 1366, "height": 850}, "timezone_id": "Europe/London", **options}
    context = getattr(browser, "raw", browser).new_context(**options)
    context.add_init_script(CSP_LISTENER)
    context.on("page", lambda page: watch_errors(page, errors))
    return context


@pytest.fixture
def visitor(browser, live_server, request):
    errors: list[str] = []
    browser.errors = errors  # contexts the test opens itself report here too
    context = new_watched_context(browser, errors)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield Visitor(page, live_server.url, request.node.name)
    context.close()
    browser.errors = None
    assert not errors, "JavaScript errors or Content Security Policy violations:\n" + "\n".join(errors)


def axe_available() -> bool:
    return AXE_SCRIPT.exists()


@pytest.fixture
def axe_ready():
    """Skip (or, with REQUIRE_BROWSER=1, fail) when axe-core is not installed (`make node`)."""
    if axe_available():
        return
    message = f"axe-core not installed ({AXE_SCRIPT} missing): run `make node` (npm ci)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def axe(page, *, impacts: tuple[str, ...] = AXE_IMPACTS) -> list[dict]:
    """Run axe-core on ``page``: its WCAG 2.0/2.1/2.2 A+AA violations of the given impacts.

    The script is evaluated through the DevTools protocol rather than added as a <script> tag,
    which the portal's CSP (script-src 'self') would block as an inline script.
    Each violation: {"rule", "impact", "help", "targets": [(selector, summary), ...]}.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                rule: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => [n.target.join(" "), n.failureSummary || ""]),
            }));
        }""",
        AXE_TAGS,
    )
    return [violation for violation in result if violation["impact"] in impacts]
