"""Access management evidence (DPP 1.1 training, 1.2 reviews and terminations, 1.3 least privilege)
read from ``access_reviews`` through its selectors, read-only.

People appear by their registry id (employee number), never by name; reviewers and signers by
name, because the clause needs to show who signed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from access_reviews.selectors import (
    access_request_decisions,
    campaign_report,
    campaigns_in_period,
    people_with_access_at,
    present_account_flags,
    present_accounts_per_system,
    privileged_requests_decided,
    systems_in_scope_count,
    termination_tasks_in_period,
    trained_person_ids,
    training_records_completed,
)
from grc.evidence.collect import PackContext, display, hours_between, on_time, person_name
from grc.evidence.sections.registry import Evidence, Mark, register

TRAINING_VALID_DAYS = 365


CANCELLED = "task cancelled, the removal no longer applied"  # a withdrawn task is waived, never "met"


@register(clause="1.1", key="access_reviews.training", title="Security and data-protection training", order=20)
def training(ctx: PackContext) -> Evidence:
    period = ctx.period
    records = training_records_completed(period.start, period.end)
    completed = ctx.table(
        title="Training completed in the period",
        columns=("Person id", "Department", "Course", "Completed on", "Evidence file"),
        rows=[
            [record.person.person_id, record.person.department, record.course, record.completed_on, "attached" if record.evidence else "—"]
            for record in records.order_by("completed_on", "pk")
        ],
        csv_name="training-completed",
        description="DPP 1.1: training records completed in the period",
    )
    for record in records.exclude(evidence=""):
        ctx.attach(
            record.evidence,
            name=f"training-{record.pk}-{record.evidence.name.rsplit('/', 1)[-1]}",
            description=f"Training evidence of person {record.person.person_id} ({record.course})",
        )
    since = period.end - timedelta(days=TRAINING_VALID_DAYS - 1)
    active = people_with_access_at(period.end_at)
    trained_ids = set(trained_person_ids(since, period.end))
    people = list(active.only("pk", "person_id", "department", "kind").order_by("person_id"))
    missing = [person for person in people if person.pk not in trained_ids]
    coverage = f"{len(people) - len(missing)} of {len(people)}"
    facts = [
        ("Training records in the period", completed.total),
        (
            "People with access trained in the 12 months to the period end",
            Mark(coverage, "met" if not missing else "not_met"),
        ),
    ]
    untrained = ctx.table(
        title="People with access and no training in the 12 months to the period end",
        columns=("Person id", "Department", "Type"),
        rows=[[person.person_id, person.department, person.get_kind_display()] for person in missing],
        csv_name="training-missing",
        description="DPP 1.1: people active at the period end without training in the previous 12 months",
        empty="None: everyone with access was trained.",
    )
    return Evidence(facts=facts, tables=[completed, untrained])


@register(clause="1.2", key="access_reviews.campaigns", title="Quarterly access review campaigns", order=10)
def campaigns(ctx: PackContext) -> Evidence:
    evidence = Evidence()
    period = ctx.period
    found = list(campaigns_in_period(period.start, period.end, period.start_at, period.end_at))
    evidence.facts.append(("Campaigns covering or running in the period", len(found)))
    if not found:
        evidence.notes.append("No access review campaign covered or ran in this period: DPP 1.2 asks for one at least every quarter.")
        return evidence
    for campaign in found:
        report = campaign_report(campaign)
        counts = report["counts"]
        status = Mark(report["status"], "met" if campaign.completed_at else "in_progress")
        summary = (
            f"{report['period']} ({report['period_start']:%d %b %Y} – {report['period_end']:%d %b %Y}): {counts['total']} accounts reviewed, "
            f"{counts['kept']} kept, {counts['revoked']} revoked, {counts['changed']} changed, {counts['pending']} undecided; "
            f"{counts['flagged']} flagged"
        )
        evidence.facts.append((f"Campaign {report['period']}", summary))
        evidence.facts.append((f"{report['period']} status", status))
        evidence.facts.append((f"{report['period']} started", f"{ctx_time(report['started_at'])} by {report['started_by']}"))
        evidence.facts.append((f"{report['period']} completed", ctx_time(report["completed_at"]) if report["completed_at"] else "not yet"))
        evidence.facts.append(
            (
                f"{report['period']} every reviewer signed",
                Mark("yes" if report["all_signed"] else "no", "met" if report["all_signed"] else "at_risk"),
            )
        )
        evidence.tables.append(
            ctx.table(
                title=f"{report['period']}: sign-offs (who, when)",
                columns=("Reviewer", "Rows", "Undecided", "Signed at"),
                rows=[
                    [s["reviewer"], s["rows"], s["pending"], s["signed_at"] or Mark("not signed", "not_met")] for s in report["sign_offs"]
                ],
                csv_name=f"campaign-{report['period']}-sign-offs",
                description=f"DPP 1.2: sign-offs of access review {report['period']}",
                empty="No reviewer had rows to sign.",
            )
        )
        evidence.tables.append(
            ctx.table(
                title=f"{report['period']}: revoked and changed accounts with their deprovisioning",
                columns=("System", "Account", "Decision", "Decided at", "Reviewer", "Due", "Confirmed", "Result", "State"),
                rows=[
                    [
                        r["system"],
                        r["account"],
                        r["decision"],
                        r["decided_at"],
                        r["reviewer"],
                        r["due_at"],
                        r["confirmed_at"],
                        on_time(r["confirmed_at"], r["due_at"], ctx.now, waived_reason=CANCELLED if r["state"] == "cancelled" else "")
                        if r["due_at"]
                        else "—",
                        r["state"],
                    ]
                    for r in report["revocations"]
                ],
                csv_name=f"campaign-{report['period']}-revocations",
                description=f"DPP 1.2: accounts revoked or changed in access review {report['period']} and their 24-hour removal",
                empty="No account was revoked or changed.",
            )
        )
        evidence.tables.append(
            ctx.table(
                title=f"{report['period']}: flagged accounts kept, with the reviewer's justification",
                columns=("System", "Account", "Flags", "Justification", "Reviewer", "Decided at"),
                rows=[
                    [r["system"], r["account"], ", ".join(r["flags"]), r["justification"], r["reviewer"], r["decided_at"]]
                    for r in report["flagged_kept"]
                ],
                csv_name=f"campaign-{report['period']}-flagged-kept",
                description=f"DPP 1.2: flagged accounts kept in access review {report['period']}",
                limit=10,
                empty="No flagged account was kept.",
            )
        )
    return evidence


def ctx_time(value) -> str:
    return display(value)


@register(clause="1.2", key="access_reviews.terminations", title="Terminations and 24-hour deprovisioning", order=20)
def terminations(ctx: PackContext) -> Evidence:
    tasks = termination_tasks_in_period(ctx.period.start_at, ctx.period.end_at)
    rows, results = [], Counter[str]()
    for task in tasks:
        result = on_time(task.closed_at, task.due_at, ctx.now, waived_reason=CANCELLED if task.outcome == "cancelled" else "")
        results[result.status] += 1
        rows.append(
            [
                task.person.person_id if task.person else "—",
                task.account.system.name,
                f"account #{task.account_id}",
                task.opened_at,
                task.due_at,
                task.closed_at,
                hours_between(task.opened_at, task.closed_at),
                result,
                task.get_closed_via_display() if task.closed_via else "—",
                task.verified_at,
            ]
        )
    table = ctx.table(
        title="Accounts of terminated people and when they were removed",
        columns=(
            "Person id",
            "System",
            "Account",
            "Terminated",
            "Due (24 h)",
            "Removed",
            "Took",
            "Result",
            "Confirmed",
            "Verified by import",
        ),
        rows=rows,
        csv_name="terminations",
        description="DPP 1.2: accounts of terminated people and their removal within 24 hours",
        empty="No one with access was terminated in this period.",
    )
    facts = [
        ("Accounts to remove after terminations", len(rows)),
        ("Removed within 24 hours", Mark(str(results["met"]), "met")),
        ("Removed late", Mark(str(results["met_late"]), "met_late" if results["met_late"] else "met")),
        ("Overdue now", Mark(str(results["not_met"]), "not_met" if results["not_met"] else "met")),
    ]
    return Evidence(facts=facts, tables=[table])


@register(clause="1.2", key="access_reviews.registry", title="Access registration and the accounts registry", order=30)
def registry(ctx: PackContext) -> Evidence:
    counts = access_request_decisions(ctx.period.start_at, ctx.period.end_at)
    flags = present_account_flags()
    systems = systems_in_scope_count()
    facts = [
        (
            "Access requests decided in the period",
            f"{counts['approved']} approved ({counts['privileged']} privileged), {counts['rejected']} rejected",
        ),
        ("Systems in scope for access reviews", systems),
        ("Accounts present on those systems now", flags["total"]),
        ("Orphan accounts (no person)", Mark(str(flags["orphan"]), "at_risk" if flags["orphan"] else "met")),
        ("Shared or generic accounts", Mark(str(flags["shared"]), "not_met" if flags["shared"] else "met")),
        ("Accounts without MFA", Mark(str(flags["no_mfa"]), "at_risk" if flags["no_mfa"] else "met")),
        ("Accounts without an approved request", Mark(str(flags["no_request"]), "at_risk" if flags["no_request"] else "met")),
        ("Revoked but still present", Mark(str(flags["revoked_present"]), "not_met" if flags["revoked_present"] else "met")),
    ]
    notes = ["Flags describe the registry as it is when the pack is generated; the campaigns above show them as reviewed."]
    return Evidence(facts=facts, notes=notes)


@register(clause="1.3", key="access_reviews.privilege", title="Privileged access on the systems in scope", order=20)
def privilege(ctx: PackContext) -> Evidence:
    per_system = present_accounts_per_system()
    table = ctx.table(
        title="Accounts per system now",
        columns=("System", "Accounts", "Privileged", "Service accounts", "Privileged without an approved request"),
        rows=[[row["system__name"], row["n_total"], row["n_privileged"], row["n_service"], row["n_no_request"]] for row in per_system],
        csv_name="privileged-accounts-per-system",
        description="DPP 1.3: accounts and privileged accounts per system",
        empty="No accounts are registered.",
    )
    requests = privileged_requests_decided(ctx.period.start_at, ctx.period.end_at)
    decided = ctx.table(
        title="Privileged access requests decided in the period (need-to-know)",
        columns=("Request", "System", "Privilege", "Person id", "Decision", "Decided by", "Decided at"),
        rows=[
            [f"#{r.pk}", r.system.name, r.privilege, r.requester.person_id, r.get_status_display(), person_name(r.decided_by), r.decided_at]
            for r in requests.order_by("decided_at", "pk")
        ],
        csv_name="privileged-requests",
        description="DPP 1.3: privileged access requests decided in the period",
    )
    return Evidence(tables=[table, decided])
