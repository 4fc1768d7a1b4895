"""A manager reviews their people's accounts in Chromium and signs off with a fresh TOTP code."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from access_reviews.models import Decision, ReviewRow, SignOff
from tests.browser.review_campaign import row_id, start_review_campaign
from tests.conftest import totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(lead, manager, other_manager, staff):
    return start_review_campaign(lead, manager, other_manager, staff)


def test_a_manager_reviews_their_accounts_and_signs_off_with_step_up(visitor, campaign, manager):
    page = visitor.login(manager)
    page.on("dialog", lambda dialog: dialog.accept())

    visitor.goto("/access/")
    expect(page.get_by_test_id("my-reviews")).to_contain_text("5 accounts, 5 to decide")
    visitor.shot("home")
    page.get_by_role("link", name="Access review 2026-Q4").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("progress-text")).to_have_text("0 of 5 decided")
    flagged_first = page.locator("[data-testid=review-table] tbody tr").first
    expect(flagged_first.locator("[data-flag]").first).to_be_visible()
    visitor.shot("review-page")

    page.get_by_role("button", name="Keep all 3 unflagged").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("progress-text")).to_have_text("3 of 5 decided")

    # A flagged account cannot be kept without a justification: the message sits next to the field.
    shared = row_id(campaign, "shared_support")
    page.select_option(f"{shared} select", "keep")
    page.click(f"{shared} button[type=submit]")
    expect(page.locator(f'{shared} [data-field-error="comment"]')).to_contain_text("justification")
    visitor.shot("comment-required")

    page.select_option(f"{shared} select", "revoke")
    page.fill(f"{shared} textarea[name$='-comment']", "generic account: replace with named accounts")
    page.click(f"{shared} button[type=submit]")
    expect(page.get_by_test_id("progress-text")).to_have_text("4 of 5 decided")

    admin = row_id(campaign, "sam-admin")
    page.select_option(f"{admin} select", "change")
    expect(page.locator(f"{admin} input[name$='-new_privilege']")).to_be_visible()
    page.fill(f"{admin} input[name$='-new_privilege']", "ReadOnlyAccess")
    page.fill(f"{admin} textarea[name$='-comment']", "admin rights no longer needed")
    page.click(f"{admin} button[type=submit]")
    expect(page.get_by_test_id("progress-text")).to_have_text("5 of 5 decided")
    visitor.shot("all-decided")

    # The sign-off asks a fresh code on the review page itself: one step, saying what is signed.
    TOTPDevice.objects.filter(user=manager).update(last_t=-1)  # django-otp refuses a code reused in the same 30 s step
    expect(page.get_by_test_id("sign-off-form")).to_contain_text("5 accounts")
    visitor.shot("sign-off")
    page.fill("#sign-off-code", totp_now(manager))
    page.get_by_test_id("sign-off").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("Signed off")
    visitor.shot("signed")

    sign_off = SignOff.objects.get()
    assert (sign_off.reviewer, sign_off.rows) == (manager, 5)
    decisions = dict(ReviewRow.objects.filter(campaign=campaign).values_list("account_name", "decision"))
    assert decisions["shared_support"] == Decision.REVOKE and decisions["sam-admin"] == Decision.CHANGE
    changed = next(r for r in ReviewRow.objects.select_related("task") if r.account_name == "sam-admin")
    assert changed.task.new_privilege == "ReadOnlyAccess"
