"""Audits and findings (DPP 3): remediation obligations to the agreed date on the clock, evidence
before remediation, the auditor's written approval before closure, reopening, and the signed
certification letter."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.selectors import requirement_row
from grc.compliance.services import open_obligation
from grc.evidence.models import AuditStatus, CertificationLetter, FindingStatus
from grc.evidence.services.audits import (
    APPROVAL_KIND,
    FINDING_KIND,
    approval_record,
    audit_close,
    audit_create,
    closure_problems,
    evidence_add,
    finding_create,
    finding_remediate,
    finding_reopen,
)
from tests.evidence.conftest import build_pack, client_for, compact, sha256, with_step_up

pytestmark = pytest.mark.django_db


def upload(name="evidence.pdf", data=b"%PDF-1.4 remediation evidence"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def audit(lead):
    return audit_create(
        data={
            "title": "Amazon DPP assessment",
            "kind": "amazon",
            "reference": "AMZ-1",
            "auditor_organisation": "Amazon",
            "auditor_contact": "auditor@example.test",
            "starts_on": timezone.localdate() - timedelta(days=5),
            "ends_on": None,
            "clauses": ["1.4", "2.1"],
            "scope_note": "",
            "status": "in_progress",
        },
        by=lead,
        now=timezone.now(),
    )


def add_finding(audit, lead, owner, *, days: int = 10, clause: str = "1.4"):
    return finding_create(
        audit=audit,
        data={
            "clause": clause,
            "title": "MFA missing on the cloud console",
            "severity": "high",
            "description": "",
            "remediation_action": "Enforce MFA",
            "owner": owner,
            "due_on": timezone.localdate() + timedelta(days=days),
        },
        by=lead,
        now=timezone.now(),
    )


def approve(audit, lead):
    return approval_record(
        audit=audit,
        data={
            "approver_name": "A. Auditor",
            "approver_organisation": "Amazon",
            "approved_on": timezone.localdate(),
            "statement": "Evidence accepted.",
        },
        upload=upload("approval.pdf", b"%PDF-1.4 approval"),
        by=lead,
        now=timezone.now(),
    )


def test_a_finding_opens_a_remediation_obligation_due_at_the_end_of_the_agreed_day(audit, lead, staff):
    finding = add_finding(audit, lead, staff, days=10)
    obligation = open_obligation(FINDING_KIND, finding)
    assert obligation is not None and obligation.clause == "3" and obligation.owner == staff
    assert obligation.due_at == finding.due_at
    assert timezone.localtime(finding.due_at).date() == timezone.localdate() + timedelta(days=11)
    assert finding.reference == "F-1" and add_finding(audit, lead, staff).reference == "F-2"
    audit.refresh_from_db()
    assert audit.status == AuditStatus.REMEDIATION


def test_an_overdue_finding_makes_dpp_3_not_met(audit, lead, staff, time_machine):
    finding = add_finding(audit, lead, staff, days=2)
    time_machine.move_to(finding.due_at + timedelta(hours=1), tick=False)
    row = requirement_row("3", timezone.now())
    assert row.status.status == "not_met"
    assert "Remediate an audit finding" in row.status.reason


def test_remediation_needs_evidence_and_the_last_one_starts_the_approval_clock(audit, lead, staff):
    first, second = add_finding(audit, lead, staff), add_finding(audit, lead, lead)
    with pytest.raises(ValidationError, match="Attach the remediation evidence"):
        finding_remediate(finding=first, note="done", by=staff, now=timezone.now())
    item = evidence_add(finding=first, upload=upload(), description="policy screenshot", by=staff, now=timezone.now())
    assert item.sha256 == sha256(b"%PDF-1.4 remediation evidence") and item.size == 29
    finding_remediate(finding=first, note="MFA enforced", by=staff, now=timezone.now())
    first_obligation = Obligation.objects.get(kind=FINDING_KIND, subject_id=str(first.pk))
    assert first_obligation.completed_at is not None and first_obligation.status_at(timezone.now()) == "met"
    assert open_obligation(APPROVAL_KIND, audit) is None  # the second finding is still open
    evidence_add(finding=second, upload=upload(), description="config export", by=lead, now=timezone.now())
    finding_remediate(finding=second, note="done", by=lead, now=timezone.now())
    approval = open_obligation(APPROVAL_KIND, audit)
    assert approval is not None and approval.owner == lead and approval.clause == "3"


def test_an_audit_is_closed_only_after_the_auditors_written_approval(audit, lead, staff):
    finding = add_finding(audit, lead, staff)
    with pytest.raises(ValidationError):
        audit_close(audit=audit, by=lead, now=timezone.now())
    with pytest.raises(ValidationError, match="still open"):
        approve(audit, lead)
    evidence_add(finding=finding, upload=upload(), description="screenshot", by=staff, now=timezone.now())
    finding_remediate(finding=finding, note="done", by=staff, now=timezone.now())
    assert closure_problems(audit) == [
        "The auditor's written approval of the remediation evidence is not recorded (after the last remediation)."
    ]
    with pytest.raises(ValidationError):
        audit_close(audit=audit, by=lead, now=timezone.now())
    approval = approve(audit, lead)
    assert approval.sha256 == sha256(b"%PDF-1.4 approval")
    assert Obligation.objects.get(kind=APPROVAL_KIND, subject_id=str(audit.pk)).completed_at is not None
    closed = audit_close(audit=audit, by=lead, now=timezone.now())
    assert closed.status == AuditStatus.CLOSED and closed.closed_by == lead
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    with pytest.raises(ValidationError, match="closed"):
        add_finding(audit, lead, staff)


def test_an_approval_before_a_reopened_finding_does_not_close_the_audit(audit, lead, staff, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    finding = add_finding(audit, lead, staff)
    evidence_add(finding=finding, upload=upload(), description="screenshot", by=staff, now=timezone.now())
    finding_remediate(finding=finding, note="done", by=staff, now=timezone.now())
    approve(audit, lead)
    time_machine.shift(timedelta(hours=1))
    finding_reopen(
        finding=finding, due_on=timezone.localdate() + timedelta(days=7), reason="screenshot unreadable", by=lead, now=timezone.now()
    )
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and open_obligation(FINDING_KIND, finding).due_at == finding.due_at
    time_machine.shift(timedelta(hours=1))
    evidence_add(finding=finding, upload=upload("better.png", b"png"), description="clearer screenshot", by=staff, now=timezone.now())
    finding_remediate(finding=finding, note="new screenshot", by=staff, now=timezone.now())
    assert closure_problems(audit)  # the earlier approval predates the last remediation
    time_machine.shift(timedelta(hours=1))
    approve(audit, lead)
    assert audit_close(audit=audit, by=lead, now=timezone.now()).is_closed


def test_only_the_owner_or_the_lead_works_on_a_finding(audit, lead, staff, manager, make_user):
    finding = add_finding(audit, lead, staff)
    other = make_user("olga.other")
    with pytest.raises(PermissionDenied):
        evidence_add(finding=finding, upload=upload(), description="x", by=manager, now=timezone.now())
    assert client_for(other).get(finding.get_absolute_url()).status_code == 404
    reader = client_for(manager)
    assert reader.get(finding.get_absolute_url()).status_code == 200
    assert reader.post(reverse("evidence:evidence_upload", args=[finding.pk]), {"description": "x", "file": upload()}).status_code == 403
    owner = client_for(staff)
    page = owner.get(finding.get_absolute_url()).content.decode()
    assert 'data-testid="evidence-form"' in page
    assert (
        owner.post(reverse("evidence:evidence_upload", args=[finding.pk]), {"description": "MFA policy", "file": upload()}).status_code
        == 302
    )
    assert owner.post(reverse("evidence:finding_remediate", args=[finding.pk]), {"note": "enforced"}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMEDIATED and finding.remediated_by == staff
    download = reader.get(reverse("evidence:evidence_download", args=[finding.evidence.get().pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 remediation evidence"
    assert AuditEvent.objects.filter(action="download", actor_id=manager.pk, object_type="evidence.remediationevidence").exists()


def test_the_lead_runs_an_audit_end_to_end_on_the_pages(lead_client, lead, staff):
    today = timezone.localdate()
    created = lead_client.post(
        reverse("evidence:audit_create"),
        {
            "title": "Amazon DPP assessment",
            "kind": "amazon",
            "auditor_organisation": "Amazon",
            "starts_on": today.isoformat(),
            "status": "in_progress",
            "clauses": ["2.1"],
        },
    )
    assert created.status_code == 302
    audit_url = created["Location"]
    audit_pk = int(audit_url.rstrip("/").rsplit("/", 1)[-1])
    response = lead_client.post(
        reverse("evidence:finding_create", args=[audit_pk]),
        {
            "clause": "2.1",
            "title": "Labels kept 45 days",
            "severity": "medium",
            "remediation_action": "Lifecycle rule to 30 days",
            "owner": lead.pk,
            "due_on": (today + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    page = lead_client.get(audit_url).content.decode()
    assert "F-1 Labels kept 45 days" in page and 'data-testid="closure-problems"' in page
    finding_pk = int(page.split("/evidence/findings/")[1].split("/")[0])
    lead_client.post(
        reverse("evidence:evidence_upload", args=[finding_pk]), {"description": "lifecycle rule", "file": upload("rule.json", b"{}")}
    )
    lead_client.post(reverse("evidence:finding_remediate", args=[finding_pk]), {"note": "rule changed"})
    approval = lead_client.post(
        reverse("evidence:approval_create", args=[audit_pk]),
        {
            "approver_name": "A. Auditor",
            "approver_organisation": "Amazon",
            "approved_on": today.isoformat(),
            "statement": "Accepted",
            "document": upload("approval.pdf"),
        },
    )
    assert approval.status_code == 302
    close_url = reverse("evidence:audit_close", args=[audit_pk])
    assert lead_client.post(close_url)["Location"].startswith(reverse("accounts:step_up"))  # closing needs a fresh code
    with_step_up(lead_client)
    assert lead_client.post(close_url).status_code == 302
    assert "Closed" in lead_client.get(audit_url).content.decode()


def test_the_certification_letter_is_signed_with_step_up_and_lists_the_exceptions(lead_client, lead, audit, staff, manager):
    add_finding(audit, lead, staff, clause="2.1")
    url = reverse("evidence:letter_sign")
    assert lead_client.get(url)["Location"].startswith(reverse("accounts:step_up"))
    assert client_for(manager).get(url).status_code == 403
    with_step_up(lead_client)
    preview = lead_client.get(url)
    assert preview.status_code == 200 and 'data-testid="letter-exceptions"' in preview.content.decode()
    response = lead_client.post(
        url, {"addressed_to": "Amazon", "request_reference": "AMZ-REQ-9", "requested_on": timezone.localdate().isoformat(), "confirm": "on"}
    )
    assert response.status_code == 302
    letter = CertificationLetter.objects.get()
    data = letter.file.read()
    assert sha256(data) == letter.sha256
    text = compact(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    for words in (
        "Certification of compliance with the Amazon Data Protection Policy",
        "AMZ-REQ-9",
        "Exceptions",
        "MFA missing on the cloud console",
        "Priya Shah",
        "step-up MFA",
    ):
        assert compact(words) in text, words
    assert letter.exceptions_count >= 1 and letter.step_up_at is not None
    event = AuditEvent.objects.get(action="evidence.letter.signed")
    assert event.details["sha256"] == letter.sha256
    verified = lead_client.post(reverse("evidence:verify"), {"file": SimpleUploadedFile("letter.pdf", data)})
    assert verified.context["match"].letter == letter


def test_audit_findings_and_letters_appear_in_the_dpp_3_section_of_a_pack(audit, lead, staff):
    finding = add_finding(audit, lead, staff)
    evidence_add(finding=finding, upload=upload(), description="screenshot", by=staff, now=timezone.now())
    pack = build_pack(by=lead, clauses=["3"])
    files = [entry for entry in pack.manifest["attachments"] if entry["kind"] == "file"]
    assert len(files) == 1 and files[0]["sha256"] == sha256(b"%PDF-1.4 remediation evidence") and files[0]["matches_record"]
    from tests.evidence.conftest import pdf_pages

    text = compact("\n".join(pdf_pages(pack.pdf.read())))
    assert compact("Amazon DPP assessment F-1") in text and compact("Books and records retention") in text


def test_books_and_records_are_kept_for_the_agreement_and_twelve_months(settings):
    from datetime import UTC, date, datetime

    from grc.evidence.retention import books_kept_until, books_purge_cutoff, purge_allowed

    now = datetime(2027, 6, 1, tzinfo=UTC)
    before = now - timedelta(days=400)
    settings.AGREEMENT_ENDED_ON = ""
    assert books_purge_cutoff(before, now) is None and not purge_allowed(now)
    settings.AGREEMENT_ENDED_ON = "2026-12-31"
    assert books_kept_until(date(2026, 12, 31), 12) == datetime(2027, 12, 31, tzinfo=UTC)
    assert books_purge_cutoff(before, now) is None  # within the 12 months after the agreement
    assert books_purge_cutoff(before, datetime(2028, 1, 1, tzinfo=UTC)) == before
    settings.BOOKS_RETENTION_MONTHS = 24
    assert books_purge_cutoff(before, datetime(2028, 1, 1, tzinfo=UTC)) is None
    from grc.evidence.obligations import check_books_retention

    assert check_books_retention(now).status == "at_risk"  # AUDIT_RETENTION_DAYS (365) is shorter than 24 months
    settings.AUDIT_RETENTION_DAYS = 730
    assert check_books_retention(now).status == "met"
