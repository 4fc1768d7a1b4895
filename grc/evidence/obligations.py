"""What the evidence app tells the obligation engine: providers for its two kinds (reminders also
go to every active security lead; resync re-derives the open obligations from the records) and
the live check of DPP 3's books-and-records rule."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from grc.accounts.models import Role, User
from grc.books import audit_keep_policy
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.evidence.models import AuditFinding, FindingStatus
from grc.evidence.retention import retention_months
from grc.evidence.services.audits import APPROVAL_KIND, FINDING_KIND, _finding_obligation


def _leads():
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True))


class FindingProvider:
    def recipients(self, obligation):
        return _leads()

    def resync(self, *, now: datetime) -> int:
        """Every open finding has its remediation obligation, due at the agreed date."""

        count = 0
        for finding in AuditFinding.objects.filter(status=FindingStatus.OPEN).select_related("owner", "audit"):
            _finding_obligation(finding)
            count += 1
        return count


class ApprovalProvider:
    def recipients(self, obligation):
        return _leads()

    def resync(self, *, now: datetime) -> int:
        return 0  # opened and completed by the audit services only


def check_books_retention(now: datetime) -> CheckResult:
    """DPP 3: books and records kept for the agreement period and 12 months after it. The audit
    trail is among them: the reason says what its purge keeps (``grc.books.audit_keep_policy``), and
    the check is at risk while ``AUDIT_RETENTION_DAYS`` alone would purge events DPP 3 still keeps."""

    months = retention_months()
    if months < 12:
        return CheckResult("not_met", f"books and records are kept only {months} months after the agreement (12 needed)")
    policy = audit_keep_policy(now)
    reason = f"{policy.audit_words()}; the programme's other books and records have no purge path"
    if policy.disagrees:
        return CheckResult("at_risk", f"{policy.disagreement()}; {reason}", url=reverse("evidence:index"))
    return CheckResult("met", reason, url=reverse("evidence:index"))


def register() -> None:
    register_provider(FINDING_KIND, FindingProvider())
    register_provider(APPROVAL_KIND, ApprovalProvider())
    register_check("3", "Books and records retention", check_books_retention)
