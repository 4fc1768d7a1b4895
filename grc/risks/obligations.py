"""What the risk register tells the obligation engine.

Providers of ``risks.annual_review`` (reminders to the open review's approvers and every active
security lead), ``risks.treatment_action`` (the action's owner, plus the risk's owner) and
``risks.acceptance_revisit`` (the risk's owner, plus the security leads); each ``resync``
re-derives its open obligations from the records. The live check of DPP 1.6 "risk register"
flags open risks above the appetite without a treatment plan (the dashboard's "needs
attention") and expired acceptances. Reasons carry counts and ages, never names or risk texts.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from grc.accounts.models import Role, User
from grc.compliance.cadences import effective_cadence
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.compliance.services import obligation_open
from grc.risks import rules
from grc.risks.kinds import ACCEPTANCE_REVISIT, ANNUAL_REVIEW, TREATMENT_ACTION
from grc.risks.models import AcceptanceStatus, ActionStatus, ReviewStatus, Risk, RiskAcceptance, RiskReview, RiskStatus, TreatmentAction
from grc.risks.selectors import flag_q, register_queryset
from grc.risks.services.register import annual_review_obligation_ensure
from grc.risks.services.treatment import action_obligation_open
from grc.timefmt import span
from grc.words import plural

CHECK_NAME = "risks.register"


def _leads() -> list:
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk"))


def _unique(users) -> list:
    return list({user.pk: user for user in users if user is not None}.values())


class AnnualReviewProvider:
    def recipients(self, obligation):
        review = RiskReview.objects.filter(status=ReviewStatus.OPEN).first()
        approvers = list(review.approvers.filter(is_active=True)) if review is not None else []
        return _unique([*approvers, *_leads()])

    def resync(self, *, now: datetime) -> int:
        """Start the clock if risks are recorded and it is not running (e.g. after a data import)."""

        if not Risk.objects.exists():
            return 0
        annual_review_obligation_ensure(now=now)
        return 1


class TreatmentActionProvider:
    def recipients(self, obligation):
        action = TreatmentAction.objects.select_related("risk__owner").filter(pk=obligation.subject_id).first()
        return [action.risk.owner] if action is not None else []

    def resync(self, *, now: datetime) -> int:

        count = 0
        for action in TreatmentAction.objects.filter(status=ActionStatus.OPEN).select_related("risk", "owner"):
            action_obligation_open(action)
            count += 1
        return count


class AcceptanceRevisitProvider:
    def recipients(self, obligation):
        return _leads()

    def resync(self, *, now: datetime) -> int:

        count = 0
        approved = RiskAcceptance.objects.filter(status=AcceptanceStatus.APPROVED, risk__status=RiskStatus.OPEN).select_related(
            "risk__owner"
        )
        for acceptance in approved:
            risk = acceptance.risk
            assert acceptance.decided_at is not None  # an approved acceptance has its decision time (check constraint)
            obligation_open(
                kind=ACCEPTANCE_REVISIT,
                subject=risk,
                anchor_at=acceptance.decided_at,
                due_at=acceptance.expires_at,
                owner=risk.owner,
                title=f"Revisit the accepted risk {risk.reference}",
                url=risk.get_absolute_url(),
            )
            count += 1
        return count


def check_risk_register(now: datetime) -> CheckResult:
    """1.6: a risk assessment that tracks known risks; those above the appetite have a treatment plan."""

    url = reverse("risks:index")
    every = effective_cadence(ANNUAL_REVIEW).period  # the period in force (the security lead may tighten it)
    if not Risk.objects.exists():
        return CheckResult(
            "not_met",
            "no risk assessment recorded yet: DPP 1.6 asks for threats, vulnerabilities, likelihood and impact of known risks, "
            f"reviewed by senior management every {every}",
            url,
        )
    appetite = rules.appetite_from_settings()
    risks = register_queryset(now=now)
    open_count = risks.filter(status=RiskStatus.OPEN).count()
    above = risks.filter(flag_q(rules.Flag.ABOVE_APPETITE, appetite=appetite, now=now)).count()
    untreated = risks.filter(flag_q(rules.Flag.NO_PLAN, appetite=appetite, now=now)).count()
    expired = risks.filter(flag_q(rules.Flag.ACCEPTANCE_EXPIRED, appetite=appetite, now=now)).count()
    last = (
        Risk.objects.filter(last_reviewed_at__isnull=False).order_by("-last_reviewed_at").values_list("last_reviewed_at", flat=True).first()
    )
    reviewed = f"last senior-management review {span(now - last)} ago" if last else "not yet reviewed by senior management"
    summary = f"{plural(open_count, 'open risk')}, {above} above the appetite score {appetite}; {reviewed}, due every {every}"
    if untreated:
        return CheckResult(
            "not_met",
            f"{plural(untreated, 'risk')} above the appetite score {appetite} without a treatment plan; {summary}",
            f"{url}?flag={rules.Flag.NO_PLAN.value}",
        )
    if expired:
        return CheckResult(
            "at_risk",
            f"{plural(expired, 'risk acceptance')} expired and not revisited; {summary}",
            f"{url}?flag={rules.Flag.ACCEPTANCE_EXPIRED.value}",
        )
    return CheckResult("met", f"every risk above the appetite has a treatment plan; {summary}", url)


def register() -> None:
    register_provider(ANNUAL_REVIEW, AnnualReviewProvider())
    register_provider(TREATMENT_ACTION, TreatmentActionProvider())
    register_provider(ACCEPTANCE_REVISIT, AcceptanceRevisitProvider())
    register_check("1.6", CHECK_NAME, check_risk_register, title="Risk register with treatment plans above the appetite")
