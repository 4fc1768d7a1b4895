"""Reads of the risk register, for its pages, the CSV export, the DPP check and the evidence pack.

For reports (the evidence pack calls these; both return plain dataclasses, no querysets):

* ``risk_register(*, now, include_closed=False) -> RiskRegister`` — every (open) risk as a
  ``RegisterEntry`` (scores, bands, treatment and plan state, flags, clauses, source), the
  inherent and residual 5×5 counts for ``grc.risks.heatmap.heatmap_svg``, the totals a summary
  needs, and the last completed and next annual review. A fixed number of queries at any size.
* ``annual_reviews(start, end) -> list[AnnualReview]`` — the reviews that were in progress or
  completed within [start, end): approvers, signatures (with the time of each one-time code),
  and each risk's decision with its scores before and after.

The flags are computed by ``grc.risks.rules`` on each row's annotations; ``register_queryset``
expresses the same rules in SQL so lists filter and count flagged risks without loading them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, cast

from django.db.models import BooleanField, Case, Count, Exists, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from grc.compliance.services import open_obligation
from grc.risks import rules
from grc.risks.heatmap import Grid, grid_from_totals, heatmap_counts
from grc.risks.models import (
    AcceptanceStatus,
    ActionStatus,
    ReviewDecision,
    ReviewStatus,
    Risk,
    RiskAcceptance,
    RiskReview,
    RiskStatus,
    Treatment,
    TreatmentAction,
)
from grc.risks.services.register import ANNUAL_REVIEW
from grc.risks.sources import source_label, source_url


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("risk").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), Value(0))


class RegisterAnnotations(Protocol):
    """What ``register_queryset`` adds to each risk (annotations, not model fields)."""

    action_count: int
    done_count: int
    open_actions: int
    overdue_actions: int
    next_action_due: datetime | None
    acceptance_expires_at: datetime | None
    acceptance_pending: bool
    plan_in_place: bool


def annotations_of(risk: Risk) -> RegisterAnnotations:
    """The annotations of a risk read through ``register_queryset`` (typed for mypy; no query)."""
    return cast(RegisterAnnotations, risk)


def register_queryset(*, now: datetime) -> QuerySet[Risk]:
    """Risks with what the flags need, annotated in SQL (one query per page, any size)."""
    actions = TreatmentAction.objects.filter(risk=OuterRef("pk"))
    approved = RiskAcceptance.objects.filter(risk=OuterRef("pk"), status=AcceptanceStatus.APPROVED)
    queryset = Risk.objects.select_related("owner").annotate(
        action_count=_count(actions.exclude(status=ActionStatus.CANCELLED)),
        done_count=_count(actions.filter(status=ActionStatus.DONE)),
        open_actions=_count(actions.filter(status=ActionStatus.OPEN)),
        overdue_actions=_count(actions.filter(status=ActionStatus.OPEN, due_at__lte=now)),
        next_action_due=Subquery(actions.filter(status=ActionStatus.OPEN).order_by("due_at").values("due_at")[:1]),
        acceptance_expires_at=Subquery(approved.order_by("-decided_at").values("expires_at")[:1]),
        acceptance_pending=Exists(RiskAcceptance.objects.filter(risk=OuterRef("pk"), status=AcceptanceStatus.PENDING)),
    )
    return queryset.annotate(
        plan_in_place=Case(
            When(
                Q(treatment__in=rules.PLANNED_TREATMENTS, action_count__gt=0)
                | Q(treatment=Treatment.ACCEPT, acceptance_expires_at__gt=now),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def register_summary(*, now: datetime, appetite: int) -> dict[str, int]:
    """Open risks, open above the appetite, those without a plan and those with an expired
    acceptance, in one aggregate query over the risks, set-based: the risks with live actions and
    those with an approved acceptance (at most one each: a unique constraint) are two ``IN``
    subqueries the planner runs once and hashes, not a subquery per risk. The same flags as
    ``flag_q`` on ``register_queryset`` (tests/risks compare them)."""
    is_open = Q(status=RiskStatus.OPEN)
    above = is_open & Q(residual_score__gt=appetite)
    with_actions = TreatmentAction.objects.exclude(status=ActionStatus.CANCELLED).values("risk_id")
    approved = RiskAcceptance.objects.filter(status=AcceptanceStatus.APPROVED)
    planned = Q(treatment__in=rules.PLANNED_TREATMENTS, pk__in=with_actions) | Q(
        treatment=Treatment.ACCEPT, pk__in=approved.filter(expires_at__gt=now).values("risk_id")
    )
    expired = is_open & Q(treatment=Treatment.ACCEPT, pk__in=approved.filter(expires_at__lte=now).values("risk_id"))
    return Risk.objects.order_by().aggregate(
        open=Count("pk", filter=is_open),
        above=Count("pk", filter=above),
        no_plan=Count("pk", filter=above & ~planned),
        expired=Count("pk", filter=expired),
    )


def register_summary_valid_until(*, now: datetime) -> datetime | None:
    """When ``register_summary(now=now)`` next changes without any write: the earliest approved
    acceptance to expire after ``now`` (its risk then leaves "planned" and counts as "expired");
    ``None`` if none will. Every other input is data, changed only with an audited change."""
    approved = RiskAcceptance.objects.filter(status=AcceptanceStatus.APPROVED, expires_at__gt=now)
    return approved.aggregate(until=Min("expires_at"))["until"]


def flag_q(flag: str, *, appetite: int, now: datetime) -> Q:
    """The rows of ``register_queryset`` that carry ``flag`` (the SQL twin of ``rules.risk_flags``)."""
    is_open = Q(status=RiskStatus.OPEN)
    if flag == rules.Flag.ABOVE_APPETITE:
        return is_open & Q(residual_score__gt=appetite)
    if flag == rules.Flag.NO_PLAN:
        return is_open & Q(residual_score__gt=appetite, plan_in_place=False)
    if flag == rules.Flag.ACCEPTANCE_EXPIRED:
        return is_open & Q(treatment=Treatment.ACCEPT, acceptance_expires_at__lte=now)
    if flag == rules.Flag.ACCEPTANCE_PENDING:
        return is_open & Q(acceptance_pending=True)
    if flag == rules.Flag.ACTIONS_OVERDUE:
        return is_open & Q(overdue_actions__gt=0)
    raise ValueError(f"unknown flag {flag!r}")


def facts_of(risk: Risk) -> rules.RiskFacts:
    """The plain facts of an annotated risk (``register_queryset``)."""
    extra = annotations_of(risk)
    return rules.RiskFacts(
        is_open=risk.status == RiskStatus.OPEN,
        residual_score=risk.residual_score,
        treatment=risk.treatment,
        action_count=extra.action_count,
        overdue_actions=extra.overdue_actions,
        acceptance_expires_at=extra.acceptance_expires_at,
        acceptance_pending=bool(extra.acceptance_pending),
    )


@dataclass(frozen=True)
class RegisterEntry:
    """One risk of the register as a report shows it (no model, no lazy queries)."""

    pk: int
    reference: str
    title: str
    url: str
    status: str
    owner: str
    inherent_likelihood: int
    inherent_impact: int
    inherent_score: int
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    treatment: str
    treatment_label: str
    plan_in_place: bool
    plan: str  # "2 of 3 actions done", "accepted until 01 Sep 2027" …
    actions_open: int
    actions_done: int
    actions_overdue: int
    next_action_due: datetime | None
    acceptance_expires_at: datetime | None
    acceptance_pending: bool
    clauses: tuple[str, ...]
    source: str  # "Incident INC-0012", "" when raised directly
    source_url: str
    identified_at: datetime
    last_reviewed_at: datetime | None
    closed_at: datetime | None
    flags: tuple[rules.Flag, ...] = ()

    @property
    def inherent_band(self) -> str:
        return rules.band(self.inherent_score)

    @property
    def residual_band(self) -> str:
        return rules.band(self.residual_score)

    @property
    def inherent_label(self) -> str:
        return rules.score_label(self.inherent_score)

    @property
    def residual_label(self) -> str:
        return rules.score_label(self.residual_score)

    @property
    def flag_labels(self) -> list[str]:
        return [flag.label for flag in self.flags]

    @property
    def is_open(self) -> bool:
        return self.status == RiskStatus.OPEN

    @property
    def needs_plan(self) -> bool:
        return rules.Flag.NO_PLAN in self.flags


def entry_for(risk: Risk, *, appetite: int, now: datetime, url: str | None = None) -> RegisterEntry:
    """``url``: the risk's page when the caller built it already (a list: ``grc.widgets.pk_url``)."""
    facts = facts_of(risk)
    extra = annotations_of(risk)
    return RegisterEntry(
        pk=risk.pk,
        reference=risk.reference,
        title=risk.title,
        url=risk.get_absolute_url() if url is None else url,
        status=risk.status,
        owner=person(risk.owner),
        inherent_likelihood=risk.inherent_likelihood,
        inherent_impact=risk.inherent_impact,
        inherent_score=risk.inherent_score,
        residual_likelihood=risk.residual_likelihood,
        residual_impact=risk.residual_impact,
        residual_score=risk.residual_score,
        treatment=risk.treatment,
        treatment_label=risk.get_treatment_display(),
        plan_in_place=bool(extra.plan_in_place),
        plan=rules.plan_summary(
            treatment=risk.treatment,
            action_count=extra.action_count,
            done_count=extra.done_count,
            acceptance_expires_at=timezone.localtime(extra.acceptance_expires_at) if extra.acceptance_expires_at else None,
            now=now,
        ),
        actions_open=extra.open_actions,
        actions_done=extra.done_count,
        actions_overdue=extra.overdue_actions,
        next_action_due=extra.next_action_due,
        acceptance_expires_at=extra.acceptance_expires_at,
        acceptance_pending=bool(extra.acceptance_pending),
        clauses=tuple(risk.clauses or ()),
        source=source_label(risk.source_type, risk.source_id),
        source_url=source_url(risk.source_type, risk.source_id),
        identified_at=risk.identified_at,
        last_reviewed_at=risk.last_reviewed_at,
        closed_at=risk.closed_at,
        flags=tuple(rules.risk_flags(facts, appetite=appetite, now=now)),
    )


def heatmap_grids(queryset: QuerySet[Risk]) -> tuple[Grid, Grid]:
    """(inherent, residual) counts of ``queryset`` in two aggregate queries."""
    inherent = queryset.order_by().values_list("inherent_likelihood", "inherent_impact").annotate(n=Count("pk"))
    residual = queryset.order_by().values_list("residual_likelihood", "residual_impact").annotate(n=Count("pk"))
    return grid_from_totals(inherent), grid_from_totals(residual)


def open_risks() -> QuerySet[Risk]:
    return Risk.objects.filter(status=RiskStatus.OPEN)


@dataclass(frozen=True)
class RiskRegister:
    generated_at: datetime
    appetite: int
    entries: list[RegisterEntry]
    inherent_counts: Grid  # open risks only
    residual_counts: Grid
    last_review: AnnualReview | None
    next_review_due_at: datetime | None

    @property
    def open_entries(self) -> list[RegisterEntry]:
        return [entry for entry in self.entries if entry.is_open]

    @property
    def open_count(self) -> int:
        return len(self.open_entries)

    @property
    def above_appetite(self) -> int:
        return sum(1 for entry in self.open_entries if rules.Flag.ABOVE_APPETITE in entry.flags)

    @property
    def without_plan(self) -> int:
        return sum(1 for entry in self.open_entries if entry.needs_plan)

    @property
    def accepted(self) -> int:
        return sum(1 for entry in self.open_entries if entry.treatment == Treatment.ACCEPT and entry.plan_in_place)

    @property
    def actions_overdue(self) -> int:
        return sum(entry.actions_overdue for entry in self.open_entries)


def risk_register(*, now: datetime, include_closed: bool = False, appetite: int | None = None) -> RiskRegister:
    """The register as a report needs it (see the module docstring)."""
    appetite = rules.appetite_from_settings() if appetite is None else appetite
    queryset = register_queryset(now=now).order_by("-residual_score", "-inherent_score", "pk")
    if not include_closed:
        queryset = queryset.filter(status=RiskStatus.OPEN)
    entries = [entry_for(risk, appetite=appetite, now=now) for risk in queryset]
    opened = [entry for entry in entries if entry.is_open]
    reviews = annual_reviews(None, None, completed_only=True, limit=1)
    return RiskRegister(
        generated_at=now,
        appetite=appetite,
        entries=entries,
        inherent_counts=heatmap_counts((e.inherent_likelihood, e.inherent_impact) for e in opened),
        residual_counts=heatmap_counts((e.residual_likelihood, e.residual_impact) for e in opened),
        last_review=reviews[0] if reviews else None,
        next_review_due_at=next_review_due_at(),
    )


def next_review_due_at() -> datetime | None:

    obligation = open_obligation(ANNUAL_REVIEW, None)
    return obligation.due_at if obligation is not None else None


# --- annual reviews ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewSignatureEntry:
    signer: str
    role: str
    signed_at: datetime
    step_up_at: datetime
    note: str


@dataclass(frozen=True)
class ReviewItemEntry:
    reference: str
    title: str
    url: str
    decision: str
    decision_label: str
    inherent_before: int
    residual_before: int
    inherent_after: int  # equal to before unless re-scored
    residual_after: int
    comment: str
    decided_by: str
    decided_at: datetime | None


@dataclass(frozen=True)
class AnnualReview:
    pk: int
    title: str
    url: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    started_by: str
    approvers: tuple[str, ...]
    signatures: tuple[ReviewSignatureEntry, ...]
    items: tuple[ReviewItemEntry, ...] = field(default=())

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def confirmed(self) -> int:
        return sum(1 for item in self.items if item.decision == ReviewDecision.CONFIRMED)

    @property
    def rescored(self) -> int:
        return sum(1 for item in self.items if item.decision == ReviewDecision.RESCORED)

    @property
    def pending(self) -> int:
        return sum(1 for item in self.items if item.decision == ReviewDecision.PENDING)

    @property
    def is_complete(self) -> bool:
        return self.status == ReviewStatus.COMPLETED


def _item_entry(item) -> ReviewItemEntry:
    rescored = item.decision == ReviewDecision.RESCORED
    return ReviewItemEntry(
        reference=item.risk.reference,
        title=item.risk.title,
        url=item.risk.get_absolute_url(),
        decision=item.decision,
        decision_label=item.get_decision_display(),
        inherent_before=item.inherent_score,
        residual_before=item.residual_score,
        inherent_after=item.new_inherent_score if rescored else item.inherent_score,
        residual_after=item.new_residual_score if rescored else item.residual_score,
        comment=item.comment,
        decided_by=person(item.decided_by),
        decided_at=item.decided_at,
    )


def annual_reviews(
    start: datetime | None, end: datetime | None, *, completed_only: bool = False, limit: int | None = None
) -> list[AnnualReview]:
    """Reviews in progress or completed within [start, end) (None: no bound), newest first.

    ``completed_only`` keeps the completed ones (for "the last review"). Fixed number of queries.
    """
    reviews = RiskReview.objects.select_related("started_by").prefetch_related(
        "approvers", "signatures__signer", "items__risk", "items__decided_by"
    )
    if end is not None:
        reviews = reviews.filter(started_at__lt=end)
    if start is not None:
        reviews = reviews.filter(Q(completed_at__isnull=True) | Q(completed_at__gte=start))
    if completed_only:
        reviews = reviews.filter(status=ReviewStatus.COMPLETED).order_by("-completed_at", "-pk")
    else:
        reviews = reviews.order_by("-started_at", "-pk")
    if limit is not None:
        reviews = reviews[:limit]
    return [
        AnnualReview(
            pk=review.pk,
            title=review.title,
            url=review.get_absolute_url(),
            status=review.status,
            started_at=review.started_at,
            completed_at=review.completed_at,
            started_by=person(review.started_by),
            approvers=tuple(sorted(person(user) for user in review.approvers.all())),
            signatures=tuple(
                ReviewSignatureEntry(
                    signer=person(s.signer), role=s.signer.get_role_display(), signed_at=s.signed_at, step_up_at=s.step_up_at, note=s.note
                )
                for s in review.signatures.all()
            ),
            items=tuple(_item_entry(item) for item in review.items.all()),
        )
        for review in reviews
    ]


# --- the REST API (grc.api) -----------------------------------------------------------------------
def risks_for_list() -> QuerySet[Risk]:
    """Every risk with its owner and affected assets and systems (no annotations)."""
    return Risk.objects.select_related("owner").prefetch_related("affected_assets", "affected_systems")
