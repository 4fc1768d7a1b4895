"""The campaign report's data (the report page here; a PDF in the evidence pack later).

Plain values only (strings, numbers, datetimes, lists of dicts), so any renderer can use it.
It holds names of people and accounts: render it only for users who may read the campaign.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from access_reviews.flags import FLAG_FIELDS, Flag, flags_from_fields
from access_reviews.models import Campaign, Decision, ReviewRow
from grc.accounts.models import User


def _task_state(task) -> str:
    if task is None:
        return ""
    if task.closed_at is None:
        return "reopened: still present in a later import" if task.reopen_count else "open"
    if task.outcome == "cancelled":
        return "cancelled"
    return "confirmed, verified by a later import" if task.verified_at else "confirmed"


def campaign_report(campaign: Campaign) -> dict[str, Any]:
    """Counts kept/revoked/changed, flagged accounts kept with their justification, revocations
    and whether each was confirmed (or is still present), and the sign-offs with their times."""
    rows = ReviewRow.objects.filter(campaign=campaign)
    counts = rows.aggregate(
        total=Count("pk"),
        kept=Count("pk", filter=Q(decision=Decision.KEEP)),
        revoked=Count("pk", filter=Q(decision=Decision.REVOKE)),
        changed=Count("pk", filter=Q(decision=Decision.CHANGE)),
        pending=Count("pk", filter=Q(decision=Decision.PENDING)),
        flagged=Count("pk", filter=Q(flag_count__gt=0)),
        **{flag.value: Count("pk", filter=Q(**{field: True})) for flag, field in FLAG_FIELDS.items()},
    )
    related = ("system", "person", "reviewer", "task")
    flagged_kept = [
        {
            "account": row.account_name,
            "system": row.system.name,
            "person": row.person.name if row.person else "",
            "person_id": row.person.person_id if row.person else "",
            "flags": [flag.label for flag in flags_from_fields(row)],
            "justification": row.comment,
            "reviewer": str(row.reviewer),
            "decided_at": row.decided_at,
        }
        for row in rows.filter(decision=Decision.KEEP, flag_count__gt=0).select_related(*related).order_by("system__name", "pk")
    ]
    revocations = [
        {
            "account": row.account_name,
            "system": row.system.name,
            "person": row.person.name if row.person else "",
            "decision": row.get_decision_display(),
            "new_privilege": row.new_privilege,
            "comment": row.comment,
            "reviewer": str(row.reviewer),
            "decided_at": row.decided_at,
            "task_id": row.task_id,
            "due_at": row.task.due_at if row.task else None,
            "confirmed_at": row.task.closed_at if row.task else None,
            "state": _task_state(row.task),
            "still_present": bool(row.task and (row.task.reopen_count or row.account.flag_revoked_present)),
        }
        for row in rows.filter(decision__in=[Decision.REVOKE, Decision.CHANGE])
        .select_related(*related, "account")
        .order_by("system__name", "pk")
    ]
    reviewers = (
        rows.values("reviewer_id")
        .annotate(total=Count("pk"), pending=Count("pk", filter=Q(decision=Decision.PENDING)))
        .order_by("reviewer_id")
    )
    signed = {s.reviewer_id: s for s in campaign.sign_offs.select_related("reviewer")}

    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["reviewer_id"] for r in reviewers])}
    sign_offs = [
        {
            "reviewer": names.get(r["reviewer_id"], ""),
            "reviewer_id": r["reviewer_id"],
            "rows": r["total"],
            "pending": r["pending"],
            "signed_at": signed[r["reviewer_id"]].signed_at if r["reviewer_id"] in signed else None,
        }
        for r in reviewers
    ]
    per_system = list(
        rows.values("system__name")
        .annotate(
            total=Count("pk"),
            kept=Count("pk", filter=Q(decision=Decision.KEEP)),
            revoked=Count("pk", filter=Q(decision=Decision.REVOKE)),
            changed=Count("pk", filter=Q(decision=Decision.CHANGE)),
            flagged=Count("pk", filter=Q(flag_count__gt=0)),
        )
        .order_by("system__name")
    )
    return {
        "campaign_id": campaign.pk,
        "period": campaign.period,
        "period_start": campaign.period_start,
        "period_end": campaign.period_end,
        "effective_at": campaign.effective_at,
        "started_at": campaign.started_at,
        "started_by": str(campaign.started_by) if campaign.started_by else "scheduled (quarterly obligation due)",
        "status": campaign.get_status_display(),
        "completed_at": campaign.completed_at,
        "counts": counts,
        "flag_labels": {flag.value: flag.label for flag in Flag},
        "per_system": per_system,
        "flagged_kept": flagged_kept,
        "revocations": revocations,
        "still_present": sum(1 for r in revocations if r["still_present"]),
        "unconfirmed": sum(1 for r in revocations if r["confirmed_at"] is None and r["state"] != "cancelled"),
        "sign_offs": sign_offs,
        "all_signed": bool(sign_offs) and all(s["signed_at"] for s in sign_offs),
    }
