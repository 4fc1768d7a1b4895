"""The obligation clock's record of each clause in the period (``grc.compliance``, read-only).

For every clause: each deadline that fell due or was met in the period, whether it was met on
time, late, waived (with the reason: a waiver is never counted as met) or is overdue — counts per
kind in the PDF, every obligation in a CSV. The readiness checklist and the history of cadence
changes come from ``grc.kit.readiness`` (issue 14) when that module exists.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.apps import apps

from grc.compliance.cadences import CADENCES
from grc.compliance.models import Obligation
from grc.evidence.clauses import all_clauses
from grc.evidence.collect import PackContext, on_time
from grc.evidence.sections.readiness import cadence_changes_evidence, readiness_evidence
from grc.evidence.sections.registry import Evidence, Mark, register

COLUMNS = ("Kind", "Deadline", "Subject", "Started", "Due", "Completed", "Result", "Waived because")


def subject_words(subject_type: str) -> str:
    """``access_reviews.person`` → "person": a reader sees the record's name, not the code's."""
    try:
        return str(apps.get_model(subject_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return subject_type.rsplit(".", 1)[-1].replace("_", " ")


def obligations_in_period(ctx: PackContext, clause: str):
    # running at some moment of the period: started before its end, not completed before its start
    return Obligation.objects.filter(ctx.overlaps("anchor_at", "completed_at"), clause=clause).order_by("due_at", "id")


def obligation_evidence(ctx: PackContext) -> Evidence:
    clause = ctx.clause
    rows, results, per_kind = [], Counter[str](), defaultdict[str, Counter[str]](Counter)
    for obligation in obligations_in_period(ctx, clause).only(
        "kind", "title", "subject_type", "subject_id", "anchor_at", "due_at", "completed_at", "waived_reason"
    ):
        result = on_time(obligation.completed_at, obligation.due_at, ctx.now, waived_reason=obligation.waived_reason)
        cadence = CADENCES.get(obligation.kind)
        kind = cadence.title if cadence else obligation.kind
        results[result.status] += 1
        per_kind[kind][result.status] += 1
        subject = (
            "programme" if obligation.subject_type == "programme" else f"{subject_words(obligation.subject_type)} #{obligation.subject_id}"
        )
        rows.append(
            [
                kind,
                obligation.title,
                subject,
                obligation.anchor_at,
                obligation.due_at,
                obligation.completed_at,
                result,
                obligation.waived_reason,
            ]
        )
    if not rows:
        return Evidence(notes=["No deadline of this clause fell due, ran or was met in the period."])
    summary = ctx.table(
        title="Deadlines by kind",
        columns=("Kind", "Met on time", "Met late", "Overdue", "Still open", "Waived"),
        rows=[[kind, c["met"], c["met_late"], c["not_met"], c["open"], c["waived"]] for kind, c in sorted(per_kind.items())],
    )
    missed = [[row[1], row[2], row[4], row[5], row[6]] for row in rows if row[6].status in ("met_late", "not_met")]
    detail = ctx.table(
        title="Deadlines missed or met late",
        columns=("Deadline", "Subject", "Due", "Completed", "Result"),
        rows=missed,
        empty="None: every deadline of the period was met on time or is still running.",
    )
    everything = ctx.table(
        title="Every deadline of the period",
        columns=COLUMNS,
        rows=rows,
        csv_name="deadlines",
        description=f"DPP {clause}: every obligation due, running or met in the period",
        limit=0,
    )
    facts = [
        ("Deadlines in the period", len(rows)),
        ("Met on time", Mark(str(results["met"]), "met")),
        ("Met late", Mark(str(results["met_late"]), "met_late" if results["met_late"] else "met")),
        ("Overdue now", Mark(str(results["not_met"]), "not_met" if results["not_met"] else "met")),
        ("Waived (no longer applies; not counted as met)", Mark(str(results["waived"]), "waived")),
    ]
    if everything.attachment:
        facts.append(("Every deadline", f"{everything.attachment} ({len(rows)} rows)"))
    return Evidence(facts=facts, tables=[summary, detail])


for _clause in all_clauses():
    register(clause=_clause, key=f"compliance.deadlines.{_clause}", title="Deadlines on the obligation clock", order=90)(
        obligation_evidence
    )


for _clause in all_clauses():
    register(clause=_clause, key=f"compliance.readiness.{_clause}", title="Readiness checklist", order=1)(readiness_evidence)
    register(clause=_clause, key=f"compliance.cadences.{_clause}", title="Cadence changes", order=95)(cadence_changes_evidence)
