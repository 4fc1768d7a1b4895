"""Writes of the register itself: record, edit, close and reopen a risk; the score history; the
annual-review clock, which starts with the first risk recorded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from grc.accounts.models import Role, User
from grc.audit.services import record_change
from grc.compliance.requirements import requirement_data
from grc.compliance.services import obligation_open, obligation_waive, open_obligation
from grc.risks import rules
from grc.risks.kinds import ANNUAL_REVIEW, OWNER_ROLES, TREATMENT_ACTION
from grc.risks.models import (
    ActionStatus,
    ReviewStatus,
    Risk,
    RiskReview,
    RiskScoreChange,
    RiskStatus,
    ScoreChangeReason,
    SourceType,
    Treatment,
)
from grc.risks.services.treatment import acceptances_withdraw
from grc.risks.sources import source_object

LEVEL_FIELDS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
TEXT_FIELDS = (
    "title",
    "description",
    "threat",
    "vulnerability",
    "other_systems",
    "existing_controls",
    "treatment",
    "treatment_plan",
)
FIELDS = (*TEXT_FIELDS, "owner", "clauses", *LEVEL_FIELDS)


@lru_cache(maxsize=1)
def clause_catalogue() -> tuple[tuple[str, str], ...]:
    """(clause, title) of every DPP clause, from the catalogue's file (no database needed)."""
    return tuple((item["clause"], item["title"]) for item in requirement_data())


def clean_clauses(clauses: Iterable[str]) -> list[str]:
    known = [clause for clause, _title in clause_catalogue()]
    chosen = set(clauses or ())
    unknown = chosen - set(known)
    if unknown:
        raise ValidationError({"clauses": f"Not a DPP clause: {', '.join(sorted(unknown))}."})
    return [clause for clause in known if clause in chosen]  # catalogue order


def levels_problems(values: Mapping[str, Any]) -> dict[str, str]:
    problems = {}
    for field in LEVEL_FIELDS:
        try:
            rules.check_level(values.get(field), field.replace("_", " "))
        except ValueError as error:
            problems[field] = str(error).capitalize() + "."
    if problems:
        return problems
    if values["residual_likelihood"] > values["inherent_likelihood"]:
        problems["residual_likelihood"] = "Existing controls cannot make a risk more likely: keep it at or below the inherent likelihood."
    if values["residual_impact"] > values["inherent_impact"]:
        problems["residual_impact"] = "Existing controls cannot make the impact worse: keep it at or below the inherent impact."
    return problems


def _set_scores(risk: Risk) -> None:
    risk.inherent_score = rules.score(risk.inherent_likelihood, risk.inherent_impact)
    risk.residual_score = rules.score(risk.residual_likelihood, risk.residual_impact)


def record_scores(*, risk: Risk, reason: str, by, now: datetime, review: RiskReview | None = None) -> RiskScoreChange:
    """One row of the score history with the risk's current levels and scores."""
    return RiskScoreChange.objects.create(
        risk=risk,
        changed_at=now,
        changed_by=by,
        reason=reason,
        review=review,
        inherent_likelihood=risk.inherent_likelihood,
        inherent_impact=risk.inherent_impact,
        inherent_score=risk.inherent_score,
        residual_likelihood=risk.residual_likelihood,
        residual_impact=risk.residual_impact,
        residual_score=risk.residual_score,
    )


def _validate(risk: Risk, values: dict[str, Any]) -> None:
    problems = levels_problems(values)
    if not (risk.title or "").strip():
        problems["title"] = "Give the risk a short title."
    for field in ("threat", "vulnerability"):
        if not (getattr(risk, field) or "").strip():
            problems[field] = f"Describe the {field}: DPP 1.6 asks for an assessment of threats and vulnerabilities."
    if risk.treatment not in Treatment.values:
        problems["treatment"] = "Choose a treatment."
    owner = risk.owner if risk.owner_id else None
    if owner is None or not owner.is_active or owner.role not in OWNER_ROLES:
        problems["owner"] = "The owner must be an active security lead or manager."
    if problems:
        raise ValidationError(problems)


def annual_review_obligation_ensure(*, now: datetime, owner=None):
    """Start the annual senior-management review clock if it is not running.

    Anchored at the last completed review or, before any, at the first risk recorded: the
    register must be reviewed within 12 months of being started (DPP 1.6).
    """
    current = open_obligation(ANNUAL_REVIEW, None)
    if current is not None:
        return current

    last = RiskReview.objects.filter(status=ReviewStatus.COMPLETED).order_by("-completed_at").values_list("completed_at", flat=True).first()
    anchor = last or Risk.objects.order_by("identified_at").values_list("identified_at", flat=True).first() or now
    lead = User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk").first()
    return obligation_open(kind=ANNUAL_REVIEW, subject=None, anchor_at=anchor, owner=lead or owner, url=reverse("risks:reviews"))


@transaction.atomic
def risk_create(*, data: dict[str, Any], by, now: datetime, source_type: str = "", source_id: int | None = None, request=None) -> Risk:
    """Record a risk (optionally raised from another record, keeping the link) with its first scores."""
    data = dict(data)
    assets = list(data.pop("affected_assets", []) or [])
    systems = list(data.pop("affected_systems", []) or [])
    data["clauses"] = clean_clauses(data.get("clauses", []))
    if source_type or source_id:
        if source_type not in SourceType.values or not source_type or source_object(source_type, source_id) is None:
            raise ValidationError("The record this risk was raised from no longer exists.")
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown risk fields: {sorted(unknown)}")
    risk = Risk(**data, source_type=source_type or "", source_id=source_id, identified_at=now, updated_at=now, created_by=by)
    _validate(risk, data)
    _set_scores(risk)
    risk.save()
    risk.affected_assets.set(assets)
    risk.affected_systems.set(systems)
    record_scores(risk=risk, reason=ScoreChangeReason.RECORDED, by=by, now=now)
    annual_review_obligation_ensure(now=now, owner=by)
    changed = [field for field in FIELDS if data.get(field) not in (None, "", [])]
    changed += [name for name, items in (("affected_assets", assets), ("affected_systems", systems)) if items]
    if source_type:
        changed += ["source_type", "source_id"]
    record_change("created", risk, request=request, actor=by, changed_fields=changed)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, data: dict[str, Any], by, now: datetime, request=None) -> Risk:
    """Edit a risk. Changed scores add a row to its history; leaving "accept" withdraws its acceptance."""
    risk = Risk.objects.select_for_update().select_related("owner").get(pk=risk.pk)
    data = dict(data)
    assets = data.pop("affected_assets", None)
    systems = data.pop("affected_systems", None)
    if "clauses" in data:
        data["clauses"] = clean_clauses(data["clauses"])
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown risk fields: {sorted(unknown)}")
    old_treatment = risk.treatment
    before = {field: getattr(risk, field) for field in LEVEL_FIELDS}
    changed = []
    for field, value in data.items():
        if getattr(risk, field) != value:
            changed.append(field)
            setattr(risk, field, value)
    _validate(risk, {field: getattr(risk, field) for field in LEVEL_FIELDS})
    _set_scores(risk)
    if assets is not None and {a.pk for a in assets} != set(risk.affected_assets.values_list("pk", flat=True)):
        risk.affected_assets.set(assets)
        changed.append("affected_assets")
    if systems is not None and {s.pk for s in systems} != set(risk.affected_systems.values_list("pk", flat=True)):
        risk.affected_systems.set(systems)
        changed.append("affected_systems")
    if not changed:
        return risk
    risk.updated_at = now
    risk.save()
    if any(before[field] != getattr(risk, field) for field in LEVEL_FIELDS):
        record_scores(risk=risk, reason=ScoreChangeReason.EDITED, by=by, now=now)
    if old_treatment == Treatment.ACCEPT and risk.treatment != Treatment.ACCEPT:
        acceptances_withdraw(risk=risk, by=by, now=now, reason="the treatment is no longer accept", request=request)
    record_change("updated", risk, request=request, actor=by, changed_fields=changed)
    return risk


@transaction.atomic
def risk_close(*, risk: Risk, reason: str, by, now: datetime, request=None) -> Risk:
    """Close a risk that no longer applies: its open actions are cancelled and its acceptance withdrawn."""
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    if not risk.is_open:
        raise ValidationError("This risk is already closed.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the risk no longer applies."})

    for action in risk.actions.select_for_update().filter(status=ActionStatus.OPEN):
        action.status, action.completed_at, action.completed_by, action.note = ActionStatus.CANCELLED, now, by, "risk closed"
        action.save(update_fields=["status", "completed_at", "completed_by", "note"])
        obligation_waive(kind=TREATMENT_ACTION, subject=action, when=now, reason="the risk was closed", by=by)
    acceptances_withdraw(risk=risk, by=by, now=now, reason="the risk was closed", request=request)
    risk.status, risk.closed_at, risk.closed_by, risk.closure_reason = RiskStatus.CLOSED, now, by, reason.strip()
    risk.updated_at = now
    risk.save(update_fields=["status", "closed_at", "closed_by", "closure_reason", "updated_at"])
    record_change("closed", risk, request=request, actor=by, changed_fields=["status", "closure_reason"])
    return risk


@transaction.atomic
def risk_reopen(*, risk: Risk, by, now: datetime, request=None) -> Risk:
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    if risk.is_open:
        raise ValidationError("This risk is open already.")
    risk.status, risk.closed_at, risk.closed_by, risk.closure_reason = RiskStatus.OPEN, None, None, ""
    risk.updated_at = now
    risk.save(update_fields=["status", "closed_at", "closed_by", "closure_reason", "updated_at"])
    annual_review_obligation_ensure(now=now, owner=by)
    record_change("reopened", risk, request=request, actor=by, changed_fields=["status"])
    return risk
