"""The risk register at scale: 600 risks made through ``grc.risks``' models, as its services leave them.

Each risk has its scores (likelihood x impact, residual never above inherent), its "recorded" score
history row, linked assets and systems, a treatment; mitigated risks have treatment actions (the
open ones with their ``risks.treatment_action`` obligation), accepted risks an approved acceptance
with its revisit obligation. Two annual senior-management reviews were completed and signed (the
last eleven months ago), so the 12-month clock is running. Written last, while the register was
being built: if ``grc.risks`` has no ``Risk`` model the step is skipped with a note.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.urls import reverse

from grc.compliance.models import Obligation
from grc.risks.rules import score
from grc.scale.bulk import ScaleContext, insert, obligation

ANNUAL_REVIEW = "risks.annual_review"
TREATMENT_ACTION = "risks.treatment_action"
ACCEPTANCE_REVISIT = "risks.acceptance_revisit"
TITLES = (
    "Leaked SP-API credentials",
    "Order export shared outside the company",
    "Laptop with buyer data lost",
    "Phishing of a warehouse account",
    "Unpatched server reachable from the internet",
    "Backup restore never tested",
    "Former contractor keeps access",
    "Buyer PII kept past 30 days",
    "Vendor breach exposes order data",
    "Weak TLS on a partner endpoint",
)
CLAUSES = ("1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.3", "2.4", "2.6", "2.7")


def risk_models():
    """``grc.risks.models`` if it has the register's models, else None."""
    try:
        models = importlib.import_module("grc.risks.models")
    except ImportError:
        return None
    needed = ("Risk", "RiskScoreChange", "TreatmentAction", "RiskAcceptance", "RiskReview", "RiskReviewItem", "RiskReviewSignature")
    return models if all(hasattr(models, name) for name in needed) else None


def seed_risks(ctx: ScaleContext) -> None:
    models = risk_models()
    if models is None:
        ctx.out("  (risks skipped: grc.risks has no risk register models yet)")
        ctx.count("risks", 0)
        return

    rng, now = ctx.rng, ctx.now
    stewards = [u for u in ctx.made["leads"] + ctx.made["managers"] if u.is_active]
    lead = ctx.made["leads"][0]
    assets = [a for a in ctx.made["assets"] if a.retired_at is None]
    systems = ctx.made["systems"]
    risks = []
    for n in range(ctx.sizes.risks):
        identified = ctx.moment_between(ctx.start, now - timedelta(days=2))
        inherent_l, inherent_i = rng.randint(2, 5), rng.randint(2, 5)
        residual_l, residual_i = rng.randint(1, inherent_l), rng.randint(1, inherent_i)
        treatment = rng.choices(("mitigate", "accept", "transfer", "avoid", ""), weights=(60, 15, 5, 5, 15))[0]
        risk = models.Risk(
            title=f"{TITLES[n % len(TITLES)]} ({n + 1})",
            description="What could happen and to which records (seeded).",
            threat="An outside attacker or a careless insider (seeded).",
            vulnerability="The weakness the threat would use (seeded).",
            clauses=sorted(rng.sample(CLAUSES, rng.randint(1, 3))),
            owner=rng.choice(stewards),
            inherent_likelihood=inherent_l,
            inherent_impact=inherent_i,
            inherent_score=score(inherent_l, inherent_i),
            existing_controls="Controls in place (seeded).",
            residual_likelihood=residual_l,
            residual_impact=residual_i,
            residual_score=score(residual_l, residual_i),
            treatment=treatment,
            treatment_plan="How the risk is treated (seeded)." if treatment else "",
            identified_at=identified,
            created_by=lead,
            updated_at=ctx.moment_between(identified, now),
        )
        if ctx.chance(0.15):
            risk.status, risk.closed_at, risk.closed_by = "closed", ctx.moment_between(identified, now), lead
            risk.closure_reason = "The system was retired (seeded)."
        risks.append(risk)
    insert(models.Risk, risks)
    insert(
        models.RiskScoreChange,
        [
            models.RiskScoreChange(
                risk=risk,
                changed_at=risk.identified_at,
                changed_by=lead,
                reason="recorded",
                **{
                    f"{part}_{what}": getattr(risk, f"{part}_{what}")
                    for part in ("inherent", "residual")
                    for what in ("likelihood", "impact", "score")
                },
            )
            for risk in risks
        ],
    )
    links_a = [
        models.Risk.affected_assets.through(risk_id=r.pk, asset_id=a.pk)
        for r in risks
        for a in rng.sample(assets, min(len(assets), rng.randint(0, 2)))
    ]
    links_s = [
        models.Risk.affected_systems.through(risk_id=r.pk, system_id=s.pk) for r in risks for s in rng.sample(systems, rng.randint(0, 2))
    ]
    insert(models.Risk.affected_assets.through, links_a)
    insert(models.Risk.affected_systems.through, links_s)
    _treatment(ctx, models, risks, stewards)
    _annual_reviews(ctx, models, risks, stewards)
    ctx.count("risks", len(risks))


def _treatment(ctx: ScaleContext, models, risks: list, stewards: list) -> None:
    rng, now = ctx.rng, ctx.now
    lead = ctx.made["leads"][0]
    actions, acceptances, obligations = [], [], []
    for risk in risks:
        if risk.treatment == "mitigate":
            for _ in range(rng.randint(1, 3)):
                created = ctx.moment_between(risk.identified_at, now - timedelta(days=1))
                due = created + timedelta(days=rng.uniform(20, 120))
                action = models.TreatmentAction(
                    risk=risk,
                    title="Put the control in place (seeded)",
                    owner=rng.choice(stewards),
                    due_at=due,
                    created_at=created,
                    created_by=lead,
                )
                done = created + timedelta(days=rng.uniform(5, 130))
                if risk.status == "closed" or done < now - timedelta(hours=1):
                    action.status, action.completed_at, action.completed_by = "done", min(done, now - timedelta(hours=1)), action.owner
                actions.append(action)
        elif risk.treatment == "accept" and risk.status == "open":
            requested = ctx.moment_between(max(risk.identified_at, now - timedelta(days=300)), now - timedelta(days=2))
            approver = stewards[0] if risk.owner_id != stewards[0].pk else stewards[1]
            acceptances.append(
                models.RiskAcceptance(
                    risk=risk,
                    rationale="Low impact; the cost of the control outweighs it (seeded).",
                    expires_at=requested + timedelta(days=365),
                    status="approved",
                    requested_by=risk.owner,
                    requested_at=requested,
                    decided_by=approver,
                    decided_at=requested + timedelta(hours=3),
                    step_up_at=requested + timedelta(hours=3),
                )
            )
    insert(models.TreatmentAction, actions)
    insert(models.RiskAcceptance, acceptances)
    for action in actions:
        risk = action.risk
        obligations.append(
            obligation(
                TREATMENT_ACTION,
                "risks.treatmentaction",
                action.pk,
                anchor_at=min(action.created_at, action.due_at),
                due_at=action.due_at,
                owner_id=action.owner_id,
                completed_at=action.completed_at,
                completed_by_id=action.completed_by_id,
                title=f"{risk.reference} treatment: {action.title}",
                url=reverse("risks:detail", args=[risk.pk]),
            )
        )
    for acceptance in acceptances:
        risk = acceptance.risk
        obligations.append(
            obligation(
                ACCEPTANCE_REVISIT,
                "risks.risk",
                risk.pk,
                anchor_at=acceptance.decided_at,
                due_at=acceptance.expires_at,
                owner_id=risk.owner_id,
                title=f"Revisit the accepted risk {risk.reference}",
                url=reverse("risks:detail", args=[risk.pk]),
            )
        )
    insert(Obligation, obligations)


def _annual_reviews(ctx: ScaleContext, models, risks: list, stewards: list) -> None:
    """Two completed, signed annual reviews (about 23 and 11 months ago) and the running 12-month clock."""
    now, lead = ctx.now, ctx.made["leads"][0]
    approvers = stewards[:4]
    anchor = min(risk.identified_at for risk in risks)
    obligations, items, signatures = [], [], []
    for days in (700, 335):
        started = now - timedelta(days=days + 20)
        completed = now - timedelta(days=days)
        review = models.RiskReview.objects.create(
            title=f"Annual risk review {started:%Y}", status="completed", started_at=started, started_by=lead, completed_at=completed
        )
        review.approvers.set(approvers)
        for risk in risks:
            if risk.identified_at < started and (risk.closed_at is None or risk.closed_at > started):
                items.append(
                    models.RiskReviewItem(
                        review=review,
                        risk=risk,
                        inherent_likelihood=risk.inherent_likelihood,
                        inherent_impact=risk.inherent_impact,
                        residual_likelihood=risk.residual_likelihood,
                        residual_impact=risk.residual_impact,
                        treatment=risk.treatment,
                        decision="confirmed",
                        decided_by=approvers[0],
                        decided_at=started + timedelta(days=10),
                    )
                )
                risk.last_reviewed_at = completed
        for approver in approvers:
            signatures.append(
                models.RiskReviewSignature(
                    review=review, signer=approver, signed_at=completed, step_up_at=completed, note="Register reviewed (seeded)."
                )
            )
        obligations.append(
            obligation(
                ANNUAL_REVIEW,
                "programme",
                ANNUAL_REVIEW,
                anchor_at=anchor,
                owner_id=lead.pk,
                completed_at=completed,
                url=reverse("risks:reviews"),
            )
        )
        anchor = completed
    obligations.append(
        obligation(ANNUAL_REVIEW, "programme", ANNUAL_REVIEW, anchor_at=anchor, owner_id=lead.pk, url=reverse("risks:reviews"))
    )
    insert(models.RiskReviewItem, items)
    insert(models.RiskReviewSignature, signatures)
    insert(Obligation, obligations)
    models.Risk.objects.bulk_update([r for r in risks if r.last_reviewed_at], ["last_reviewed_at"], batch_size=1000)
