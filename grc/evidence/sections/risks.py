"""The risk register (DPP 1.6) from ``grc.risks`` (issue 9), read-only through its report
selectors: ``grc.risks.selectors.risk_register`` and ``annual_reviews``, and the same 5×5 heat
map SVG the register page shows (``grc.risks.heatmap.heatmap_svg``)."""

from __future__ import annotations

from grc.evidence.collect import PackContext
from grc.evidence.sections.registry import Evidence, Mark, register
from grc.risks import heatmap, selectors

BAND_STATUS = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}


def _score(score: int, band: str, label: str) -> Mark:
    return Mark(f"{score} {label}".strip(), BAND_STATUS.get(str(band), "unknown"))


@register(clause="1.6", key="risks.register", title="Risk register and heat map", order=10)
def risk_register(ctx: PackContext) -> Evidence:
    register_ = selectors.risk_register(now=ctx.now)
    inherent = heatmap.heatmap_svg(register_.inherent_counts, title="Inherent risk", appetite=register_.appetite)
    residual = heatmap.heatmap_svg(register_.residual_counts, title="Residual risk", appetite=register_.appetite)
    figure = f'<div class="heatmaps"><div class="heatmap">{inherent}</div><div class="heatmap">{residual}</div></div>'
    facts = [
        ("Open risks", register_.open_count),
        ("Risk appetite (residual score)", register_.appetite),
        ("Above the appetite", Mark(str(register_.above_appetite), "at_risk" if register_.above_appetite else "met")),
        ("Without a treatment plan", Mark(str(register_.without_plan), "not_met" if register_.without_plan else "met")),
        ("Accepted (approved, with an expiry)", register_.accepted),
        ("Treatment actions overdue", Mark(str(register_.actions_overdue), "not_met" if register_.actions_overdue else "met")),
    ]
    rows = [
        [
            entry.reference,
            entry.title,
            entry.owner,
            _score(entry.inherent_score, entry.inherent_band, ""),
            _score(entry.residual_score, entry.residual_band, ""),
            entry.treatment_label,
            entry.plan,
            ", ".join(entry.flag_labels) or "—",
            ", ".join(entry.clauses) or "—",
        ]
        for entry in register_.entries
    ]
    table = ctx.table(
        title="Open risks, highest residual score first",
        columns=("Risk", "Title", "Owner", "Inherent", "Residual", "Treatment", "Plan", "Flags", "DPP clauses"),
        rows=rows,
        csv_name="risk-register",
        description="DPP 1.6: the open risks of the register when the pack was generated",
        empty="The register has no open risk.",
    )
    caption = "The same heat maps as the register page: counts of open risks by likelihood (up) and impact (right)."
    return Evidence(facts=facts, tables=[table], figure=figure, figure_caption=caption)


@register(clause="1.6", key="risks.reviews", title="Annual senior-management review of the risks", order=15)
def annual_review(ctx: PackContext) -> Evidence:
    reviews = selectors.annual_reviews(ctx.period.start_at, ctx.period.end_at)
    last = selectors.annual_reviews(None, ctx.period.end_at, completed_only=True, limit=1)
    facts = [
        ("Last completed review up to the period end", last[0].completed_at if last else Mark("never", "not_met")),
        ("Next review due", selectors.next_review_due_at() or "—"),
        ("Reviews in progress or completed in the period", len(reviews)),
    ]
    tables = []
    for review in reviews:
        facts.append(
            (
                review.title,
                f"{'completed' if review.is_complete else 'in progress'}; {review.total} risks: {review.confirmed} confirmed, "
                f"{review.rescored} re-scored, {review.pending} pending; approvers {', '.join(review.approvers) or '—'}",
            )
        )
        tables.append(
            ctx.table(
                title=f"{review.title}: signatures (step-up MFA)",
                columns=("Signed by", "Role", "Signed at", "One-time code at"),
                rows=[[s.signer, s.role, s.signed_at, s.step_up_at] for s in review.signatures],
                csv_name=f"risk-review-{review.pk}-signatures",
                description=f"DPP 1.6: signatures of {review.title}",
                empty="Not signed yet.",
            )
        )
        tables.append(
            ctx.table(
                title=f"{review.title}: each risk's decision",
                columns=("Risk", "Title", "Decision", "Inherent before → after", "Residual before → after", "Decided by", "Decided at"),
                rows=[
                    [
                        i.reference,
                        i.title,
                        i.decision_label,
                        f"{i.inherent_before} → {i.inherent_after}",
                        f"{i.residual_before} → {i.residual_after}",
                        i.decided_by,
                        i.decided_at,
                    ]
                    for i in review.items
                ],
                csv_name=f"risk-review-{review.pk}-decisions",
                description=f"DPP 1.6: decisions of {review.title}",
                limit=15,
                empty="No risk in this review.",
            )
        )
    return Evidence(facts=facts, tables=tables)
