"""Models of the evidence app, split by concept: packs, auditor access, audits and letters."""

from grc.evidence.models.audits import (
    Audit,
    AuditApproval,
    AuditFinding,
    AuditKind,
    AuditStatus,
    CertificationLetter,
    FindingStatus,
    RemediationEvidence,
    Severity,
)
from grc.evidence.models.grants import AuditorGrant, GrantState
from grc.evidence.models.packs import EvidencePack, PackChannel, PackStatus

__all__ = [
    "Audit",
    "AuditApproval",
    "AuditFinding",
    "AuditKind",
    "AuditStatus",
    "AuditorGrant",
    "CertificationLetter",
    "EvidencePack",
    "FindingStatus",
    "GrantState",
    "PackChannel",
    "PackStatus",
    "RemediationEvidence",
    "Severity",
]
