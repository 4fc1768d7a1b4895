"""MFA end to end in Chromium: enrol a TOTP app from the page's secret, sign in again with a
fresh code, make new backup codes behind step-up, and use a backup code exactly once (DPP 1.4)."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_with_password(visitor, username: str):
    page = visitor.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def sign_out(page):
    page.click("[data-testid=user-menu]")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_a_user_enrols_totp_and_signs_in_again_with_a_code_and_a_backup_code(visitor, make_user):
    user = make_user("nina.patel", mfa=False)
    page = sign_in_with_password(visitor, user.username)
    page.wait_for_url("**/accounts/mfa/enrol/")
    assert page.locator(".qr-code svg").count() == 1
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    visitor.shot("enrol")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/backup-codes/")
    assert page.locator("[data-testid=backup-codes] li").count() == 10
    visitor.shot("first-backup-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url("**/compliance/")
    sign_out(page)

    # Second sign-in. django-otp refuses a code twice (the enrolment used this time step's code),
    # and accepts one step of clock drift (OTP_TOTP_TOLERANCE=1): the next step's code is fresh.
    page = sign_in_with_password(visitor, user.username)
    page.wait_for_url("**/accounts/verify/**")
    page.fill("#id_code", pyotp.TOTP(secret).at(time.time() + 30))
    visitor.shot("verify")
    page.click("button[type=submit]")
    page.wait_for_url("**/compliance/")

    # Profile: devices, then 10 new backup codes (the sign-in code counts as the step-up).
    page = visitor.goto("/accounts/profile/")
    assert "Authenticator app" in page.locator("[data-testid=mfa-devices]").inner_text()
    assert "10 of 10 unused" in page.locator("[data-testid=backup-codes-left]").inner_text()
    visitor.shot("profile")
    page.get_by_role("link", name="Make new backup codes").click()
    page.wait_for_url("**/accounts/profile/backup-codes/")
    visitor.shot("confirm-new-codes")
    page.get_by_role("button", name="Make new codes").click()
    page.wait_for_url("**/accounts/mfa/backup-codes/")
    codes = [code.strip() for code in page.locator("[data-testid=backup-codes] li").all_inner_texts()]
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url("**/accounts/profile/")
    sign_out(page)

    # A backup code signs in once …
    page = sign_in_with_password(visitor, user.username)
    page.fill("#id_code", codes[0])
    page.click("button[type=submit]")
    page.wait_for_url("**/compliance/")
    sign_out(page)
    # … and never again.
    page = sign_in_with_password(visitor, user.username)
    page.fill("#id_code", codes[0])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "That code is not valid" in page.locator("[data-field-error=code]").inner_text()
    assert "/accounts/verify/" in page.url
    visitor.shot("backup-code-used-up")
