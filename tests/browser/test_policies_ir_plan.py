"""The IR plan in Chromium (DPP 1.6): the lead creates it and writes its sections, approval is
refused while a required section is empty, the approver approves and signs the six-monthly review
(the sign-in code is the fresh step-up for the approval; the review is signed by the code typed on its form), and a major change opens a review due in 30 days."""

from __future__ import annotations

import base64
import time

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.compliance.services import open_obligation
from grc.policies.catalogue import document_types_ensure
from grc.policies.models import Document, DocumentReview, MajorChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_code(user) -> str:
    """The code of the next 30-second step: the sign-in's code cannot be used twice (django-otp),
    and one step ahead is inside the device's tolerance."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).at(time.time() + 30)


def test_the_ir_plan_is_written_approved_reviewed_and_reopened_by_a_major_change(visitor, lead):
    document_types_ensure()  # transactional tests flush the migration's rows
    page = visitor.login(lead)
    page = visitor.goto("/policies/")
    visitor.shot("empty-library")
    page.get_by_role("link", name="Create the IR plan").click()
    page.fill("#id_title", "Incident response plan")
    page.get_by_role("button", name="Create with a first draft").click()
    page.wait_for_url("**/policies/versions/*/edit/")
    page.fill("#id_section_roles", "The security lead runs every incident; the on-call engineer investigates.")
    page.fill("#id_section_procedures", "Contain, eradicate, recover; keep evidence with its chain of custody.")
    visitor.shot("draft-form")
    page.get_by_role("button", name="Save draft").click()
    assert "Escalation path to Amazon" in page.locator("[data-testid=missing-sections]").inner_text()
    visitor.shot("draft-missing-a-section")

    page.get_by_role("link", name="Edit draft").click()
    page.fill("#id_section_escalation", "Email 3p-security@amazon.com within 24 hours of detection.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="Approve").click()
    page.check("#id_confirm")
    page.get_by_role("button", name="Approve and sign").click()
    plan = Document.objects.get()
    page.wait_for_url(f"**{plan.get_absolute_url()}")
    assert page.locator("[data-testid=review-clock] .countdown[data-due]").inner_text().startswith("due in")
    assert open_obligation("policies.ir_plan_review", plan) is not None
    visitor.shot("approved-with-review-clock")

    page.get_by_role("link", name="Log a major change").click()
    page.fill("#id_summary", "Order database moved to a new cloud account")
    page.select_option("#id_category", "infrastructure")
    page.fill("#id_systems", "order database")
    visitor.shot("major-change-form")
    page.get_by_role("button", name="Log the change").click()
    page.wait_for_url(f"**{plan.get_absolute_url()}")
    change = MajorChange.objects.get()
    assert open_obligation("policies.major_change_review", change) is not None
    assert "Order database moved" in page.locator("[data-testid=changes-table]").inner_text()

    page.get_by_role("link", name="Sign a review").click()
    page.fill("#id_note", "Checked against the new cloud account and the on-call rota.")
    page.check("#id_confirm")
    page.fill("#id_code", next_code(lead))  # the code on the form signs the review: no second page
    visitor.shot("review-form")
    page.get_by_role("button", name="Sign the review").click()
    page.wait_for_url(f"**{plan.get_absolute_url()}")
    assert DocumentReview.objects.get().reviewer == lead
    assert open_obligation("policies.major_change_review", change) is None
    assert "reviewed" in page.locator("[data-testid=changes-table]").inner_text()
    visitor.shot("reviewed")
    page = visitor.goto("/policies/")
    assert "Incident response plan" in page.locator("[data-testid=documents-table]").inner_text()
    visitor.shot("library")
