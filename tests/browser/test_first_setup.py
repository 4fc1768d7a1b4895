"""From the one-time setup link to a logged-in dashboard, as on a fresh `make run`."""

import pyotp
import pytest
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.accounts.services import setup_link_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_setup_link_creates_the_first_security_lead_with_mfa(visitor, settings):
    settings.PORTAL_BASE_URL = visitor.base_url
    link = setup_link_create(now=timezone.now())
    page = visitor.goto(link.removeprefix(visitor.base_url))
    visitor.shot("setup-form")
    page.fill("#id_first_name", "Priya")
    page.fill("#id_last_name", "Shah")
    page.fill("#id_email", "priya@example.test")
    page.fill("#id_username", "admin")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.click("button[type=submit]")
    assert "not allowed" in page.locator("[data-field-error=username]").inner_text()
    assert page.locator("[data-field-error=password1]").count() >= 3
    visitor.shot("setup-errors")

    page.fill("#id_username", "pshah")
    page.fill("#id_password1", "Blue-Lantern-Rises-42")
    page.fill("#id_password2", "Blue-Lantern-Rises-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/enrol/")
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    visitor.shot("enrol")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/backup-codes/")
    assert page.locator("[data-testid=backup-codes] li").count() == 10
    visitor.shot("backup-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url("**/compliance/")
    assert page.locator("h1").inner_text() == "DPP compliance dashboard"

    user = User.objects.get(username="pshah")
    assert user.role == Role.SECURITY_LEAD and user.is_superuser
    assert user.password_changed_at is not None
    # the link worked once: a second visit is refused
    visitor.page.context.clear_cookies()
    page = visitor.goto(link.removeprefix(visitor.base_url))
    assert "not valid" in page.locator("h1").inner_text()
