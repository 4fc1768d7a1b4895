"""Audits and the certification letter in Chromium (DPP 3): the security lead records an audit and
a finding, attaches the remediation evidence, records the auditor's written approval, closes the
audit with a fresh code, and signs the letter that certifies compliance in writing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from grc.evidence.models import Audit, AuditStatus, CertificationLetter, FindingStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BACKUP_CODES = ("r4n8q2w6", "t5v9z3c7")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def age_step_up(minutes: int) -> None:
    """As if the last code was entered ``minutes`` ago (without moving the live server's clock)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from grc.accounts.stepup import SESSION_KEY

    for row in Session.objects.all():
        session = SessionStore(session_key=row.session_key)
        if SESSION_KEY in session:
            session[SESSION_KEY] = session[SESSION_KEY] - minutes * 60
            session.save()


def step_up(visitor, page, code: str):
    page.wait_for_url("**/accounts/step-up/**")
    page.fill("#id_code", code)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("networkidle")


def test_the_lead_runs_an_audit_to_closure_and_certifies_compliance(visitor, lead, tmp_path):
    device = StaticDevice.objects.create(user=lead, name="Backup codes", confirmed=True)
    for code in BACKUP_CODES:
        StaticToken.objects.create(device=device, token=code)
    today = timezone.localdate()
    evidence_file = tmp_path / "mfa-policy.pdf"
    evidence_file.write_bytes(b"%PDF-1.4 MFA policy export")
    approval_file = tmp_path / "approval.pdf"
    approval_file.write_bytes(b"%PDF-1.4 written approval from Amazon")

    page = visitor.login(lead)
    page = visitor.goto("/evidence/audits/")
    visitor.shot("audits-empty")
    page.get_by_role("link", name="Record an audit").first.click()
    page.fill("#id_title", "Amazon DPP assessment 2027")
    page.select_option("#id_kind", "amazon")
    page.fill("#id_reference", "AMZ-DPP-0412")
    page.fill("#id_auditor_organisation", "Amazon Security Assessments")
    page.fill("#id_starts_on", (today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    audit = Audit.objects.get()
    assert page.locator("h1").inner_text() == "Amazon DPP assessment 2027"

    page.get_by_role("link", name="Add a finding").click()
    page.select_option("#id_clause", "1.4")
    page.fill("#id_title", "MFA not enforced on the AWS console")
    page.select_option("#id_severity", "high")
    page.fill("#id_remediation_action", "Deny every action without MFA with an IAM policy.")
    page.fill("#id_due_on", (today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add the finding").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=finding-table] tbody tr").count() == 1
    assert page.locator("[data-testid=closure-problems]").is_visible()
    visitor.shot("audit-with-finding")

    page.get_by_role("link", name="F-1 MFA not enforced on the AWS console").click()
    page.wait_for_load_state("networkidle")
    page.set_input_files("[data-testid=evidence-form] #id_file", str(evidence_file))
    page.fill("[data-testid=evidence-form] #id_description", "IAM policy export")
    page.get_by_role("button", name="Attach").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=evidence-list] li").count() == 1
    page.fill("[data-testid=remediate-form] #id_note", "Policy deployed to the production account.")
    page.get_by_role("button", name="Mark remediated").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=finding-status]").inner_text().strip() == "remediated"
    visitor.shot("finding-remediated")

    page = visitor.goto(audit.get_absolute_url())
    page.get_by_role("link", name="Record the auditor's approval").first.click()
    page.fill("#id_approver_name", "Alex Auditor")
    page.fill("#id_approved_on", today.isoformat())
    page.fill("#id_statement", "The remediation evidence for F-1 is accepted.")
    page.set_input_files("#id_document", str(approval_file))
    page.get_by_role("button", name="Record the approval").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=approvals] li").count() == 1

    age_step_up(minutes=11)
    page.get_by_role("link", name="Close the audit").click()
    step_up(visitor, page, BACKUP_CODES[0])
    visitor.shot("close-audit")
    page.get_by_role("button", name="Close the audit").click()
    page.wait_for_load_state("networkidle")
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CLOSED and audit.findings.get().status == FindingStatus.CLOSED
    visitor.shot("audit-closed")

    age_step_up(minutes=11)
    page = visitor.goto("/evidence/letters/")
    page.get_by_role("link", name="Prepare and sign a letter").click()
    step_up(visitor, page, BACKUP_CODES[1])
    assert page.locator("h1").inner_text() == "Certify compliance in writing"
    page.fill("#id_request_reference", "AMZ-CERT-77")
    page.check("#id_confirm")
    visitor.shot("letter-sign")
    page.get_by_role("button", name="Sign the letter").click()
    page.wait_for_load_state("networkidle")
    letter = CertificationLetter.objects.get()
    assert letter.request_reference == "AMZ-CERT-77" and letter.signed_by == lead
    assert letter.sha256 in page.locator("[data-testid=letter-table]").inner_text()
    visitor.shot("letters")
