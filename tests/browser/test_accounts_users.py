"""The security lead's user management in Chromium: invite, the invitee's first sign-in with MFA,
deactivation ending the invitee's session, and the locked-accounts page (DPP 1.2, 1.3)."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts.models import Role, User
from tests.browser.conftest import Visitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/accounts/invite/[\w-]+/")


def test_the_lead_invites_a_user_who_accepts_and_is_later_deactivated(visitor, browser, lead, manager, mailoutbox, settings):
    settings.PORTAL_BASE_URL = visitor.base_url
    page = visitor.login(lead)
    page.locator("nav.portal-nav").get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url("**/accounts/users/")
    assert page.locator("[data-testid=users-table] tbody tr").count() == 2
    visitor.shot("users")

    page.get_by_role("link", name="Invite a user").click()
    page.wait_for_url("**/accounts/users/invite/")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Patel")
    page.fill("#id_email", "nina.patel@example.test")
    page.select_option("#id_role", "auditor")
    page.get_by_role("button", name="Send invitation").click()
    assert "Auditor access needs an end date." in page.locator("[data-field-error=access_last_day]").inner_text()
    visitor.shot("invite-needs-end-date")
    page.select_option("#id_role", "staff")
    page.select_option("#id_manager", str(manager.pk))
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/accounts/users/")
    assert "Invitation sent to nina.patel@example.test" in page.locator(".alert").first.inner_text()
    assert "nina.patel@example.test" in page.locator("[data-testid=invitations-table]").inner_text()
    visitor.shot("invitation-pending")

    # The invitee, in their own browser, follows the emailed link.
    [message] = mailoutbox
    link = LINK.search(message.body).group(0)
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    invitee = Visitor(context.new_page(), visitor.base_url, visitor.test_name + "-invitee")
    other = invitee.goto(link.removeprefix(visitor.base_url))
    assert "Staff member" in other.locator("main").inner_text()
    invitee.shot("accept")
    other.fill("#id_username", "npatel")
    other.fill("#id_password1", "Blue-Lantern-Rises-42")
    other.fill("#id_password2", "Blue-Lantern-Rises-42")
    other.get_by_role("button", name="Create account").click()
    other.wait_for_url("**/accounts/mfa/enrol/")
    secret = other.locator("[data-testid=totp-secret]").inner_text().strip()
    other.fill("#id_code", pyotp.TOTP(secret).now())
    other.get_by_role("button", name="Confirm and continue").click()
    other.wait_for_url("**/accounts/mfa/backup-codes/")
    other.get_by_role("link", name="I have saved them — continue").click()
    other.wait_for_url("**/compliance/")
    nina = User.objects.get(username="npatel")
    assert nina.role == Role.STAFF and nina.manager == manager

    # The lead sees the new account with MFA, opens it and deactivates it.
    page = visitor.goto("/accounts/users/")
    row = page.locator("tr[data-username=npatel]")
    assert "enrolled" in row.inner_text() and "Tom Becker" in row.inner_text()
    assert page.locator("[data-testid=invitations-table]").count() == 0
    row.get_by_role("link", name="Nina Patel").click()
    page.wait_for_url(f"**/accounts/users/{nina.pk}/")
    assert page.locator("[data-testid=session-count]").inner_text() == "1"
    visitor.shot("user-detail")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_load_state("networkidle")
    assert "deactivated" in page.locator("[data-testid=account-state]").inner_text()
    assert page.locator("[data-testid=session-count]").inner_text() == "0"
    visitor.shot("deactivated")

    other.reload()
    other.wait_for_url("**/accounts/login/**")
    context.close()


def test_the_lead_sees_and_clears_a_lockout(visitor, lead, staff):
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": staff.username, "password": "Wrong-Password-1!"}, REMOTE_ADDR="203.0.113.5")
    page = visitor.login(lead)
    page = visitor.goto("/accounts/users/")
    assert page.locator("[data-testid=lock-count]").inner_text() == "1"
    page.get_by_role("link", name="Locked accounts").click()
    page.wait_for_url("**/accounts/lockouts/")
    row = page.locator(f"tr[data-username={staff.username}]")
    assert "Lee Wong" in row.inner_text() and "5" in row.inner_text()
    visitor.shot("lockouts")
    row.get_by_role("button", name="Unlock").click()
    page.wait_for_load_state("networkidle")
    assert "No account is locked" in page.locator("main").inner_text()
    visitor.shot("unlocked")
    assert timezone.now()
