"""The Amazon kit's readiness checklist and cadence-change history in the pack, one block per clause,
read from ``grc.kit.readiness`` (a reader beside the evidence packs in the layers)."""

from __future__ import annotations

from grc.evidence.collect import PackContext
from grc.evidence.sections.registry import Evidence, Mark
from grc.kit.readiness import cadence_change_history, current_documents, readiness_checklists


def readiness_evidence(ctx: PackContext) -> Evidence:
    """The clause's readiness checklist (issue 14, ``grc.kit.readiness``): what an assessor
    will ask to see and whether the portal holds current evidence, and the attached assessment
    documents (architecture, data-flow diagrams …) with their review dates, attached to the ZIP."""
    if "readiness" not in ctx.cache:
        ctx.cache["readiness"] = {checklist.clause: checklist for checklist in readiness_checklists(ctx.now)}
    checklist = ctx.cache["readiness"].get(ctx.clause)
    if checklist is None:
        return Evidence(notes=["The readiness checklist has no items for this clause."])
    counts = checklist.counts
    status = {"met": "met", "at_risk": "at_risk", "not_met": "not_met"}.get(checklist.status, "unknown")
    facts = [
        (
            "What an assessor will ask to see",
            Mark(f"{counts.get('met', 0)} current, {counts.get('at_risk', 0)} out of date, {counts.get('not_met', 0)} missing", status),
        )
    ]
    items = ctx.table(
        title="Evidence an assessor will ask for",
        columns=("Asks to see", "Evidence held", "What the records say", "Where"),
        rows=[
            [item.asks, Mark(item.label, item.status), item.detail, ", ".join(source.label for source in item.evidence) or "—"]
            for item in checklist.items
        ],
        csv_name="readiness-checklist",
        description=f"DPP {ctx.clause}: the readiness checklist when the pack was generated",
        limit=30,
    )
    tables = [items]
    documents = _clause_documents(ctx)
    if checklist.documents:
        tables.append(
            ctx.table(
                title="Assessment documents (diagrams and other attachments) with their review dates",
                columns=("Document", "Kind", "Reviewed", "Review due", "SHA-256", "File (in the ZIP)"),
                rows=[
                    [
                        row.title,
                        row.kind_label,
                        row.reviewed_at,
                        Mark(f"{row.review_due_at:%Y-%m-%d}", row.status),
                        row.sha256,
                        documents.get(row.pk, "—"),
                    ]
                    for row in checklist.documents
                ],
            )
        )
    return Evidence(facts=facts, tables=tables)


def _clause_documents(ctx: PackContext) -> dict[int, str]:
    """Attach the clause's current assessment documents; returns their paths in the ZIP by id."""
    if "readiness_documents" not in ctx.cache:
        ctx.cache["readiness_documents"] = current_documents()
    paths = {}
    for document in ctx.cache["readiness_documents"]:
        if ctx.clause not in (document.clauses or []) or not getattr(document, "file", None):
            continue
        attachment = ctx.attach(
            document.file,
            name=f"assessment-document-{document.pk}-{document.file_name}",
            description=f"Assessment document: {document.title}",
            recorded_sha256=document.file_sha256,
        )
        if attachment:
            paths[document.pk] = attachment.path
    return paths


def cadence_changes_evidence(ctx: PackContext) -> Evidence:
    """Cadences of this clause the security lead changed (issue 14): old and new period, the
    policy's limit, the reason, who and when, up to the end of the period."""
    if "cadence_changes" not in ctx.cache:
        ctx.cache["cadence_changes"] = cadence_change_history(until=ctx.period.end_at)
    rows = [row for row in ctx.cache["cadence_changes"] if row.clause == ctx.clause]
    if not rows:
        return Evidence()
    table = ctx.table(
        title="Cadence changes up to the period end (newest first)",
        columns=("Deadline", "Change", "From", "To", "Policy allows", "Reason", "By", "When", "Open deadlines re-dated"),
        rows=[[r.title, r.action, r.old, r.new, r.policy, r.reason, r.changed_by, r.changed_at, r.redated_count] for r in rows],
        csv_name="cadence-changes",
        description=f"DPP {ctx.clause}: cadence changes up to the period end",
    )
    return Evidence(tables=[table])
