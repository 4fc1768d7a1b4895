"""axe-core on every main page, as each role sees it with the demo organisation (WCAG 2.2 AA).

One test seeds the demo data once and signs each role in once (one browser context per role) to
keep CI time low; it collects every serious or critical violation of every page and fails with
the list (page, rule, element). The `visitor` fixture's checks (no uncaught error, no CSP
violation) hold for every context here too.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from access_reviews.models import Campaign, CampaignReviewer
from grc.accounts.models import Role, User
from incidents.models import Incident
from tests.browser.conftest import Visitor, axe, new_watched_context
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def demo_user(username: str, *, mfa: bool = True) -> User:
    """A seeded demo user, given the test password (and an authenticator) so it can sign in."""
    user = User.objects.get(username=username)
    user.set_password(TEST_PASSWORD)
    user.save()
    if mfa:
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def pages_by_role(lead: User) -> dict[str, tuple[User, list[str]]]:
    incident = Incident.objects.order_by("-pk").first()
    campaign = Campaign.objects.order_by("-pk").first()
    assert incident is not None and campaign is not None, "seed_demo made no incident or campaign"
    share = CampaignReviewer.objects.filter(campaign=campaign, reviewer__role=Role.MANAGER).select_related("reviewer").first()
    assert share is not None, "the demo campaign has no manager as reviewer"
    manager = demo_user(share.reviewer.username)
    return {
        "security lead": (
            lead,
            [
                "/compliance/",
                "/compliance/calendar/",
                "/compliance/calendar/list/",
                "/incidents/",
                f"/incidents/{incident.pk}/",
                "/incidents/report/",
                "/access/",
                "/access/accounts/",
                f"/access/campaigns/{campaign.pk}/",
                "/assets/",
                "/risks/",
                "/controls/",
                "/policies/",
                "/evidence/",
                "/compliance/kit/",
                "/audit/",
                "/accounts/users/",
                "/accounts/profile/",
            ],
        ),
        "manager": (
            manager,
            ["/compliance/", "/access/", f"/access/campaigns/{campaign.pk}/review/"],
        ),
        "auditor": (demo_user("asilva"), ["/evidence/", "/compliance/"]),  # the auditor home first
        "staff member": (demo_user("lwong"), ["/compliance/", "/incidents/report/", "/access/training/"]),
    }


def describe(role: str, path: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        for target, summary in violation["targets"]:
            first_reason = summary.splitlines()[1].strip() if "\n" in summary else summary
            lines.append(f"{role} {path}: {violation['impact']} {violation['rule']} ({violation['help']}) at {target} — {first_reason}")
    return lines


def test_every_main_page_has_no_serious_or_critical_axe_violation_for_each_role(axe_ready, browser, live_server, lead):
    call_command("seed_demo")  # the demo organisation, with our lead as its security lead
    roles = pages_by_role(lead)
    newcomer = User.objects.create_user(
        username="newstarter", password=TEST_PASSWORD, email="new@example.test", first_name="New", last_name="Starter"
    )
    found: list[str] = []
    errors: list[str] = []
    visited = 0
    for role, (user, paths) in roles.items():
        context = new_watched_context(browser, errors)
        try:
            visitor = Visitor(context.new_page(), live_server.url, f"a11y-{role.replace(' ', '_')}")
            visitor.page.set_default_timeout(15000)
            visitor.login(user)
            page = visitor.page
            for path in paths:
                page.goto(live_server.url + path, wait_until="load")  # no page here loads parts later (hx-trigger="load")
                assert page.url.startswith(live_server.url + path.split("?")[0]), f"{role}: {path} went to {page.url}"
                found += describe(role, path, axe(page))
                visited += 1
        finally:
            context.close()

    # MFA enrolment as a new account sees it: password, then the QR code page
    context = new_watched_context(browser, errors)
    try:
        visitor = Visitor(context.new_page(), live_server.url, "a11y-enrol")
        page = visitor.goto("/accounts/login/")
        found += describe("signed out", "/accounts/login/", axe(page))
        page.fill("#id_username", newcomer.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/accounts/mfa/enrol/**")
        assert page.locator(".qr-code[role=img]").count() == 1
        found += describe("new account", "/accounts/mfa/enrol/", axe(page))
        visited += 2
    finally:
        context.close()

    assert visited >= 15
    assert not found, f"{len(found)} serious/critical axe-core violation(s):\n" + "\n".join(found)
    assert not errors, "JavaScript errors or Content Security Policy violations:\n" + "\n".join(errors)
