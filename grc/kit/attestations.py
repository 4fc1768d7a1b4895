"""Attestations: the statements of the Amazon answers that no record can show, signed by a person.

A drafted answer is made of claims; each is computed from records or is one of the statements
below. A statement counts only while a signed attestation of it is in force: signed by the
security lead with a fresh one-time code, with an accountable owner, evidence (a file or a link)
and an expiry at most a year away. Missing, expired or withdrawn, the claim is a gap and the
readiness checklist says so. Signing and withdrawing are audited; the history is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.accounts.models import Role
from grc.audit.services import record_change
from grc.files import check_evidence_upload, store_upload
from grc.kit.models import Attestation

MAX_VALIDITY_DAYS = 366  # a statement is signed again at least yearly
EXPIRING_DAYS = 30  # the readiness checklist warns this long before an attestation ends
OK, EXPIRING, EXPIRED, WITHDRAWN, MISSING = "ok", "expiring", "expired", "withdrawn", "missing"


@dataclass(frozen=True)
class Statement:
    key: str
    clause: str
    title: str
    text: str  # the sentence of the answer, exactly as it is signed
    missing: str  # the gap sentence while nobody has signed it
    evidence_hint: str  # what evidence an assessor expects


STATEMENTS: dict[str, Statement] = {
    s.key: s
    for s in (
        Statement(
            "change_control",
            "2.7",
            "Change control of storage hardware and systems",
            "Changes to systems and storage are tested, verified and approved before release, and only named administrators may make them.",
            "No signed attestation says how changes to storage hardware are tested, verified, approved and restricted.",
            "The change-management procedure, or a link to the approval workflow (e.g. protected branches, change tickets).",
        ),
    )
}


def attestation_state(attestation: Attestation | None, now: datetime) -> str:
    """ok / expiring (within 30 days) / expired / withdrawn / missing — a pure rule, ``now`` given."""
    if attestation is None:
        return MISSING
    if attestation.withdrawn_at is not None:
        return WITHDRAWN
    today = now.date()
    if attestation.expires_on < today:
        return EXPIRED
    if attestation.expires_on <= today + timedelta(days=EXPIRING_DAYS):
        return EXPIRING
    return OK


def in_force(state: str) -> bool:
    return state in (OK, EXPIRING)


def current_attestations() -> dict[str, Attestation]:
    """The newest attestation of each statement (one query; the table holds a few rows per statement)."""
    current: dict[str, Attestation] = {}
    for attestation in Attestation.objects.select_related("owner", "signed_by").order_by("statement", "-signed_at", "-pk"):
        current.setdefault(attestation.statement, attestation)
    return current


def _check_signature(*, statement: str, owner, by, step_up_at: datetime | None, expires_on: date, now: datetime) -> None:
    errors: dict[str, str] = {}
    if statement not in STATEMENTS:
        errors["statement"] = "There is no such statement to attest."
    if by is None or by.role != Role.SECURITY_LEAD or not by.is_active:
        raise ValidationError("Only the security lead signs attestations.")
    if step_up_at is None or not 0 <= (now - step_up_at).total_seconds() <= settings.STEP_UP_MAX_AGE_SECONDS:
        raise ValidationError("Signing needs a fresh one-time code.")
    if owner is None or not owner.is_active or owner.role not in (Role.SECURITY_LEAD, Role.MANAGER):
        errors["owner"] = "Choose an active security lead or manager who answers for the statement."
    if expires_on <= now.date():
        errors["expires_on"] = "The expiry must be after today."
    elif expires_on > now.date() + timedelta(days=MAX_VALIDITY_DAYS):
        errors["expires_on"] = "An attestation lasts at most 12 months: sign it again to extend it."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def attestation_sign(
    *,
    statement: str,
    owner,
    evidence_url: str = "",
    upload=None,
    expires_on: date,
    by,
    step_up_at: datetime | None,
    now: datetime,
    request=None,
) -> Attestation:
    """Sign ``statement`` as true until ``expires_on``; the new attestation replaces the one in force."""
    _check_signature(statement=statement, owner=owner, by=by, step_up_at=step_up_at, expires_on=expires_on, now=now)
    assert step_up_at is not None  # _check_signature refused a missing step-up
    evidence_url = (evidence_url or "").strip()
    if not evidence_url and upload is None:
        raise ValidationError({"evidence": "Attach the evidence or give a link to it."})
    if evidence_url and not evidence_url.startswith("https://"):
        raise ValidationError({"evidence_url": "Give an https:// link."})
    attestation = Attestation(
        statement=statement,
        text=STATEMENTS[statement].text,
        owner=owner,
        evidence_url=evidence_url,
        signed_by=by,
        signed_at=now,
        step_up_at=step_up_at,
        expires_on=expires_on,
    )
    if upload is not None:
        try:
            check_evidence_upload(upload)
        except ValidationError as error:
            raise ValidationError({"evidence": error.messages}) from error
        attestation.evidence_name = upload.name.rsplit("/", 1)[-1][:200]
        attestation.evidence_sha256 = store_upload(attestation.evidence, upload)
    attestation.save()
    fields = ["statement", "owner", "expires_on", "evidence_url" if evidence_url else "evidence"]
    record_change("signed", attestation, request=request, actor=by, changed_fields=fields)
    return attestation


@transaction.atomic
def attestation_withdraw(*, attestation: Attestation, by, reason: str, now: datetime, request=None) -> Attestation:
    """The statement is no longer true (or no longer known to be): the claim becomes a gap at once."""
    if by is None or by.role != Role.SECURITY_LEAD:
        raise ValidationError("Only the security lead withdraws attestations.")
    if attestation.withdrawn_at is not None:
        raise ValidationError("This attestation was already withdrawn.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the statement no longer holds."})
    attestation.withdrawn_at, attestation.withdrawn_by, attestation.withdrawn_reason = now, by, reason[:300]
    attestation.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    record_change("withdrawn", attestation, request=request, actor=by, changed_fields=["withdrawn_at", "withdrawn_reason"])
    return attestation
