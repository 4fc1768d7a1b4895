"""The policy library (``grc.policies``, read-only): the IR plan's versions, signed reviews and the
major changes that called for a review (DPP 1.6), and every other governed document under the
clause its type names (the vulnerability runbook under 2.7, the privacy policy under 2.2 …).
Data-subject requests (DPP 2.2) come from ``grc.policies.selectors`` once it offers them."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Q

from assets.selectors import dsar_period_summary
from grc.evidence.clauses import all_clauses
from grc.evidence.collect import PackContext, on_time, person_name
from grc.evidence.sections.registry import Evidence, Mark, register
from grc.policies.selectors import IR_PLAN, approved_versions_before, documents_evidence
from grc.policies.selectors import ir_plan as current_plan


def _versions_table(ctx: PackContext, document, title: str):
    versions = approved_versions_before(document, ctx.period.end_at)
    in_force = next((v for v in versions if v.approved_at is not None and v.approved_at < ctx.period.end_at), None)
    rows = [
        [
            f"v{v.number}" + (" (in force at the period end)" if in_force and v.pk == in_force.pk else ""),
            v.get_status_display(),
            v.approved_at,
            person_name(v.approved_by),
            v.change_summary,
        ]
        for v in versions
    ]
    return ctx.table(
        title=title,
        columns=("Version", "Status", "Approved", "Approved by (step-up MFA)", "Change summary"),
        rows=rows,
        csv_name=f"{document.type.code}-versions",
        description=f"{document.type.name}: approved versions",
        empty="No version was approved by the end of the period.",
    )


def _reviews_table(ctx: PackContext, document):
    reviews = document.reviews.filter(ctx.between("reviewed_at")).select_related("reviewer", "version").order_by("reviewed_at", "pk")
    return ctx.table(
        title="Reviews signed in the period",
        columns=("Reviewed", "Reviewer (step-up MFA)", "Version reviewed", "Outcome"),
        rows=[[r.reviewed_at, person_name(r.reviewer), f"v{r.version.number}", r.get_outcome_display()] for r in reviews],
        csv_name=f"{document.type.code}-reviews",
        description=f"{document.type.name}: reviews signed in the period",
        empty="No review was signed in this period.",
    )


@register(clause="1.6", key="policies.ir_plan", title="Incident response plan: versions, reviews and major changes", order=20)
def ir_plan(ctx: PackContext) -> Evidence:
    document = current_plan()
    if document is None:
        return Evidence(notes=["No incident response plan is recorded in the policy library: DPP 1.6 requires one."])
    last_review = document.reviews.filter(reviewed_at__lt=ctx.period.end_at).aggregate(last=Max("reviewed_at"))["last"]
    facts = [
        ("Plan", f"{document.title} (owner {person_name(document.owner)}, approver {person_name(document.approver)})"),
        ("Last review up to the period end", last_review or Mark("never", "not_met")),
        ("Next six-monthly review due", document.review_due_at or "—"),
    ]
    changes = (
        document.major_changes.filter(ctx.between("changed_at") | Q(changed_at__lt=ctx.period.end_at, review__isnull=True))
        .select_related("review", "logged_by")
        .order_by("changed_at", "pk")
    )
    change_table = ctx.table(
        title="Major infrastructure or system changes and the reviews they called for",
        columns=("Change", "Category", "When", "Review due", "Reviewed", "Result"),
        rows=[
            [
                c.summary,
                c.get_category_display(),
                c.changed_at,
                c.review_due_at,
                c.review.reviewed_at if c.review else None,
                on_time(c.review.reviewed_at if c.review else None, c.review_due_at, ctx.now),
            ]
            for c in changes
        ],
        csv_name="ir-plan-major-changes",
        description="DPP 1.6: major changes and the IR plan reviews after them",
        empty="No major change was logged in this period.",
    )
    return Evidence(
        facts=facts,
        tables=[_versions_table(ctx, document, "Approved versions of the plan"), _reviews_table(ctx, document), change_table],
    )


def governed_documents(ctx: PackContext) -> Evidence:
    """Every governed document whose type names this clause (the IR plan has its own block), as
    ``grc.policies.selectors.documents_evidence`` describes it for the period."""
    if "documents" not in ctx.cache:
        ctx.cache["documents"] = documents_evidence(ctx.period.start, ctx.period.end)
    found = [doc for doc in ctx.cache["documents"] if doc.clause == ctx.clause and doc.code != IR_PLAN]
    if not found:
        return Evidence()
    rows: list[list[Any]] = []
    reviews: list[list[Any]] = []
    for doc in found:
        approval = doc.approval
        overdue = doc.review_due_at is not None and doc.review_due_at <= ctx.now
        acks = doc.acknowledgements or {}
        rows.append(
            [
                doc.title,
                doc.type_name,
                f"v{approval.version_number} approved {approval.approved_at:%Y-%m-%d} by {approval.approved_by}"
                if approval
                else Mark("none approved", "not_met"),
                ", ".join(f"v{v.number}" for v in doc.versions_approved) or "—",
                len(doc.reviews),
                Mark(doc.review_due_at.strftime("%Y-%m-%d") if doc.review_due_at else "—", "not_met" if overdue else "met"),
                f"{acks.get('done', 0)} of {acks.get('asked', 0)}" + (f" ({acks['overdue']} overdue)" if acks.get("overdue") else "")
                if acks
                else "—",
                Mark("; ".join(doc.missing_parts), "not_met") if doc.missing_parts else "none",
            ]
        )
        reviews.extend(
            [doc.title, r.reviewed_at, person_name(r.reviewer), f"v{r.version.number}", r.get_outcome_display()] for r in doc.reviews
        )
    table = ctx.table(
        title="Governed documents of this clause",
        columns=(
            "Document",
            "Type",
            "In force at the period end",
            "Approved in the period",
            "Reviews in the period",
            "Next review due",
            "Acknowledged",
            "Required parts missing",
        ),
        rows=rows,
        csv_name="governed-documents",
        description=f"DPP {ctx.clause}: governed documents, versions, reviews and acknowledgements in the period",
    )
    review_table = ctx.table(
        title="Reviews signed in the period (step-up MFA)",
        columns=("Document", "Reviewed", "Reviewer", "Version", "Outcome"),
        rows=reviews,
        empty="No review of these documents was signed in this period.",
    )
    return Evidence(tables=[table, review_table])


for _clause in all_clauses():
    register(clause=_clause, key=f"policies.documents.{_clause}", title="Policy library", order=40)(governed_documents)


@register(clause="2.2", key="assets.dsars", title="Data-subject requests", order=30)
def dsars(ctx: PackContext) -> Evidence:
    """Data-subject requests (DPP 2.2) from ``assets.selectors.dsar_period_summary`` (PII-free)."""
    summary = dsar_period_summary(ctx.period.start, ctx.period.end)
    facts = [
        ("Received in the period", summary["received"]),
        ("By type", ", ".join(f"{n} {label.lower()}" for label, n in summary["by_type"].items() if n) or "—"),
        ("Answered in the period", f"{summary['answered']} ({summary['answered_in_time']} in time, {summary['answered_late']} late)"),
        ("Extended in the period", summary["extended"]),
        ("Open at the period end", f"{summary['open_at_end']} ({summary['overdue_at_end']} overdue)"),
        ("Response time / details kept after answering", f"{summary['response_days']} days / {summary['retention_days']} days"),
    ]
    table = ctx.table(
        title="Requests active in the period (no requester details: they are never evidence)",
        columns=(
            "Request",
            "Type",
            "Channel",
            "Received",
            "Due",
            "Extended",
            "Answered",
            "In time",
            "Outcome",
            "Identity verified",
            "Stores searched",
        ),
        rows=[
            [
                r["reference"],
                r["type"],
                r["channel"],
                r["received_at"],
                r["due_at"],
                r["extended"],
                r["response_sent_at"],
                "—" if r["in_time"] is None else Mark("yes" if r["in_time"] else "late", "met" if r["in_time"] else "not_met"),
                r["outcome"],
                r["identity_verified"],
                r["stores_searched"],
            ]
            for r in summary["rows"]
        ],
        csv_name="data-subject-requests",
        description="DPP 2.2: data-subject requests active in the period",
        empty="No data-subject request was active in this period.",
    )
    return Evidence(facts=facts, tables=[table])
