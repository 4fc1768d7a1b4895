"""The manager's review path in Chromium, on a laptop and on a phone: the dashboard task, the review
page without sideways scrolling, bulk keep, individual decisions and the sign-off with one code —
and the same sign-off reached and submitted with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from access_reviews.models import Decision, ReviewRow, SignOff
from access_reviews.services.campaigns import row_decide, rows_bulk_keep
from tests.access_reviews.conftest import NOW
from tests.browser.review_campaign import row_id, start_review_campaign
from tests.conftest import totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(lead, manager, other_manager, staff):
    return start_review_campaign(lead, manager, other_manager, staff)


SIZES = {"laptop": (1440, 900), "phone": (390, 844)}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def fresh_code(user) -> str:
    TOTPDevice.objects.filter(user=user).update(last_t=-1)  # django-otp refuses a code reused in the same 30 s step
    return totp_now(user)


def assert_fits(page) -> None:
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    box = page.locator("[data-testid=review-table] select").first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.evaluate("window.innerWidth")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_manager_goes_from_the_dashboard_task_to_a_signed_review(visitor, campaign, manager, size):
    width, height = SIZES[size]
    page = visitor.page
    page.set_viewport_size({"width": width, "height": height})
    visitor.login(manager)

    visitor.goto("/compliance/")
    task = page.get_by_test_id("my-tasks").get_by_role("link", name="Review and sign off access review 2026-Q4")
    expect(task).to_be_visible()
    visitor.shot(f"{size}-dashboard-task")
    task.click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("progress-text")).to_have_text("0 of 5 decided")
    assert_fits(page)
    visitor.shot(f"{size}-review")

    page.get_by_role("button", name="Keep all 3 unflagged").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("progress-text")).to_have_text("3 of 5 decided")
    expect(page.locator(".alert-success")).to_contain_text("3 accounts kept.")

    shared = row_id(campaign, "shared_support")
    page.get_by_label("Decision for shared_support on Order DB").select_option("revoke")
    page.get_by_label("Comment for shared_support on Order DB").fill("generic account: replace with named accounts")
    page.click(f"{shared} button[type=submit]")
    expect(page.get_by_test_id("progress-text")).to_have_text("4 of 5 decided")

    admin = row_id(campaign, "sam-admin")
    page.get_by_label("Decision for sam-admin on AWS production").select_option("change")
    expect(page.get_by_label("New privilege for sam-admin on AWS production")).to_be_visible()
    page.get_by_label("New privilege for sam-admin on AWS production").fill("ReadOnlyAccess")
    page.get_by_label("Comment for sam-admin on AWS production").fill("admin rights no longer needed")
    page.click(f"{admin} button[type=submit]")
    expect(page.get_by_test_id("progress-text")).to_have_text("5 of 5 decided")
    statement = "Sign off the 2026-Q4 access review: 5 accounts, 3 kept, 1 revoked, 1 with a privilege change"
    expect(page.get_by_test_id("signing-statement")).to_contain_text(statement)
    assert_fits(page)
    visitor.shot(f"{size}-ready-to-sign")

    page.get_by_label("One-time code").fill(fresh_code(manager))
    page.get_by_test_id("sign-off").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("Signed off the 2026-Q4 access review: 5 accounts, 3 kept, 1 revoked")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    visitor.shot(f"{size}-signed")

    assert SignOff.objects.get().rows == 5
    decisions = dict(ReviewRow.objects.filter(campaign=campaign).values_list("account_name", "decision"))
    assert decisions["shared_support"] == Decision.REVOKE and decisions["sam-admin"] == Decision.CHANGE


def test_the_sign_off_is_reached_and_submitted_with_the_keyboard(visitor, campaign, manager):
    rows_bulk_keep(campaign=campaign, reviewer=manager, now=NOW)
    for row in ReviewRow.objects.filter(campaign=campaign, reviewer=manager, decision=Decision.PENDING):
        row_decide(row=row, decision=Decision.KEEP, comment="needed for the job", by=manager, now=NOW)
    page = visitor.page
    page.set_viewport_size({"width": 1440, "height": 900})
    visitor.login(manager)
    visitor.goto(f"/access/campaigns/{campaign.pk}/review/")
    page.keyboard.press("Tab")
    if page.evaluate("document.activeElement.classList.contains('skip-link')"):
        page.keyboard.press("Enter")  # the skip link jumps past the navigation
    for _ in range(150):
        if page.evaluate("document.activeElement.id") == "sign-off-code":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sign-off-code"
    page.keyboard.type(fresh_code(manager))
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text(re.compile(r"Signed off the 2026-Q4 access review: 5 accounts, 5 kept"))
    visitor.shot("keyboard-signed")
    assert SignOff.objects.get().reviewer == manager
