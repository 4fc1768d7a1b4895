"""The letter that certifies compliance in writing (DPP 3: "Upon Amazon's written request,
Developers must certify in writing to Amazon that they are in compliance with these policies").

It is produced from the DPP status computed at the moment of signing: every clause with its
status and basis, and — honestly — every clause not met or at risk, and every open audit finding
with its agreed date, listed as exceptions. Only a security lead signs it, with a fresh step-up
code; its SHA-256 goes into the audit trail and the verify page recognises it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from grc.audit.services import record_event
from grc.compliance.posture import posture_counts
from grc.compliance.selectors import requirement_statuses
from grc.evidence.collect import person_name
from grc.evidence.models import AuditFinding, CertificationLetter, FindingStatus
from grc.evidence.retention import retention_words
from grc.pdf import render_pdf
from grc.pdf_signing import pdf_sign

EXCEPTION_STATES = ("not_met", "at_risk", "not_tracked")  # untracked: nothing in the records shows compliance


def letter_statement(now: datetime) -> dict:
    """The DPP status the letter certifies: every clause, the exceptions and open findings."""

    rows = requirement_statuses(now)
    clauses = [
        {
            "clause": row.requirement.clause,
            "title": row.requirement.title,
            "status": row.status.status.value,
            "label": row.status.label,
            "reason": row.status.reason,
        }
        for row in rows
    ]
    findings = [
        {"reference": f"{f.audit.title} {f.reference}", "clause": f.clause, "title": f.title, "due_on": f.due_on.isoformat()}
        for f in AuditFinding.objects.filter(status=FindingStatus.OPEN).select_related("audit").order_by("due_at", "pk")
    ]
    return {
        "as_of": now.isoformat(timespec="seconds"),
        "clauses": clauses,
        "exceptions": [entry for entry in clauses if entry["status"] in EXCEPTION_STATES],
        "open_findings": findings,
        "posture": posture_counts(row.status for row in rows),
        "books": retention_words(now),
    }


@transaction.atomic
def letter_sign(*, data: dict, by, step_up_at: datetime, now: datetime, request=None) -> CertificationLetter:

    if not by.is_security_lead:
        raise PermissionDenied("Only a security lead signs the certification letter.")
    if data.get("requested_on") and data["requested_on"] > now.date():
        raise ValidationError({"requested_on": "The request cannot be dated in the future."})
    statement = letter_statement(now)
    letter = CertificationLetter.objects.create(
        addressed_to=(data.get("addressed_to") or "Amazon").strip()[:200],
        request_reference=(data.get("request_reference") or "").strip()[:120],
        requested_on=data.get("requested_on"),
        as_of=now,
        statement=statement,
        exceptions_count=len(statement["exceptions"]) + len(statement["open_findings"]),
        signed_by=by,
        signed_at=now,
        step_up_at=step_up_at,
        sha256="",
    )
    pdf = render_pdf("pdf/evidence/letter.html", {"letter": letter, "statement": statement, "signer": person_name(by)})
    # The organisation's PAdES signature lets Amazon check the letter without the portal; the hash is of the signed bytes.
    pdf = pdf_sign(pdf, reason=f"Certification of compliance with Amazon's Data Protection Policy, signed by {person_name(by)}")
    letter.sha256 = hashlib.sha256(pdf).hexdigest()
    letter.file.save(f"certification-letter-{letter.pk}-{uuid.uuid4().hex[:10]}.pdf", ContentFile(pdf), save=False)
    letter.save(update_fields=["sha256", "file"])
    record_event(
        "evidence.letter.signed",
        request=request,
        actor=by,
        obj=letter,
        details={"sha256": letter.sha256, "exceptions": letter.exceptions_count, "step_up_at": step_up_at.isoformat()},
        occurred_at=now,
    )
    return letter
