"""Areas of the portal the pack reads only if they exist yet (built in parallel by other issues).

``optional_module(name)`` imports a module or returns None when it is not there; a block whose
source is missing prints "not yet available" with the module it waits for, instead of failing
the pack or leaving the clause silently thin. The adapters below turn whatever such a module
exposes into ``Evidence``; each names exactly the functions it looks for.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from grc.evidence.collect import PackContext
from grc.evidence.sections.registry import Evidence, Mark

NOT_YET = "Not yet available: {what} comes from {module}, which this portal does not have yet."
NO_API = "Not yet available: {module} exists but does not offer {names} yet."


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(error.name + ".")):
            return None
        raise


def first_attribute(module: ModuleType, *names: str):
    for name in names:
        value = getattr(module, name, None)
        if callable(value):
            return value
    return None


def readiness_from(module: ModuleType, ctx: PackContext) -> Evidence:
    """The clause's readiness checklist (issue 14, ``grc.kit.readiness``): what an assessor
    will ask to see and whether the portal holds current evidence, and the attached assessment
    documents (architecture, data-flow diagrams …) with their review dates, attached to the ZIP."""
    checklists_fn = first_attribute(module, "readiness_checklists")
    if checklists_fn is None:
        return Evidence.not_available(NO_API.format(module="grc/kit/readiness.py", names="readiness_checklists(now)"))
    if "readiness" not in ctx.cache:
        ctx.cache["readiness"] = {checklist.clause: checklist for checklist in checklists_fn(ctx.now)}
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
    documents = _clause_documents(module, ctx)
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


def _clause_documents(module: ModuleType, ctx: PackContext) -> dict[int, str]:
    """Attach the clause's current assessment documents; returns their paths in the ZIP by id."""
    current = first_attribute(module, "current_documents")
    if current is None:
        return {}
    if "readiness_documents" not in ctx.cache:
        ctx.cache["readiness_documents"] = list(current())
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


def cadence_changes_from(module: ModuleType, ctx: PackContext) -> Evidence:
    """Cadences of this clause the security lead changed (issue 14): old and new period, the
    policy's limit, the reason, who and when, up to the end of the period."""
    history = first_attribute(module, "cadence_change_history")
    if history is None:
        return Evidence.not_available(NO_API.format(module="grc/kit/readiness.py", names="cadence_change_history()"))
    if "cadence_changes" not in ctx.cache:
        ctx.cache["cadence_changes"] = list(history(until=ctx.period.end_at))
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
