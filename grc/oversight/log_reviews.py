"""The bi-weekly log review (DPP 2.6: "review logs in real-time … or on a bi-weekly basis").

The security lead records each review (period covered and a note) with ``log_review_record``; it
completes the programme-wide obligation ``audit.log_review`` (``subject=None``), which is
recurring, so the engine opens the next one due one period later: 14 days by the cadence table,
or the tighter period the security lead set (``effective_cadence``; the check reads the same).

The first obligation: opened without any data by ``log_review_obligation_ensure``, which the
provider's ``resync`` and the daily ``purge_expired_events`` task call (through
``grc.audit.hooks.housekeeping_done``, connected in ``grc.oversight.signals``) — so a fresh installation
has the clock running within a day (anchored at that moment: the first review is due one period
after the portal started tracking), and the demo seed gets it from ``grc/compliance/seed.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from grc.audit.chain import last_verification
from grc.audit.models import Alarm, AuditEvent, LogReview
from grc.audit.services import record_change
from grc.compliance.cadences import effective_cadence
from grc.compliance.registry import CheckResult, portal_check, register_check, register_provider
from grc.compliance.services import obligation_complete, obligation_open, open_obligation
from grc.oversight.emails import security_leads
from grc.timefmt import span, time_left

KIND = "audit.log_review"
VERIFY_EVERY = timedelta(days=2)  # the daily task verifies; two days without one is a risk


def review_every(now: datetime) -> timedelta:
    """The period in force between two log reviews (14 days, or tighter if the security lead set it), as a span."""
    return effective_cadence(KIND).due_after(now) - now


def reviews_url() -> str:
    return reverse("audit:reviews")


@transaction.atomic
def log_review_record(*, by, period_start: datetime, period_end: datetime, note: str, now: datetime, request=None) -> LogReview:
    """Attest that the logs of ``period_start``–``period_end`` were reviewed; completes the obligation."""
    note = (note or "").strip()
    if timedelta(0) <= now - period_end < timedelta(minutes=1):
        period_end = now  # the form picks minutes: "up to this minute" means up to now
    errors = {}
    if period_start >= period_end:
        errors["period_end"] = "The end of the period must be after its start."
    elif period_end > now + timedelta(minutes=5):
        errors["period_end"] = "The period cannot end in the future."
    if not note:
        errors["note"] = "Say what you reviewed and what you found (alarms looked at, anything unusual)."
    if errors:
        raise ValidationError(errors)
    review = LogReview.objects.create(
        reviewed_by=by,
        reviewed_at=now,
        period_start=period_start,
        period_end=period_end,
        note=note,
        events_in_period=AuditEvent.objects.filter(occurred_at__gte=period_start, occurred_at__lt=period_end).count(),
        alarms_in_period=Alarm.objects.filter(raised_at__gte=period_start, raised_at__lt=period_end).count(),
    )
    record_change("created", review, request=request, actor=by, changed_fields=["period_start", "period_end", "note"])
    obligation_complete(kind=KIND, subject=None, completed_at=now, completed_by=by)
    obligation = open_obligation(KIND, None)
    if obligation is not None and not obligation.url:
        obligation_open(kind=KIND, subject=None, anchor_at=obligation.anchor_at, owner=obligation.owner or by, url=reviews_url())
    return review


def log_review_obligation_ensure(*, now: datetime) -> bool:
    """Open the log-review obligation if none is open (anchored at the last review, else ``now``).

    Returns whether it opened one. Idempotent; called daily and by the provider's resync.
    """
    if open_obligation(KIND, None) is not None:
        return False
    last = LogReview.objects.order_by("-reviewed_at").values_list("reviewed_at", flat=True).first()
    obligation_open(kind=KIND, subject=None, anchor_at=last or now, url=reviews_url())
    return True


class LogReviewProvider:
    """Registered for ``audit.log_review``: every active security lead is reminded."""

    def recipients(self, obligation) -> Iterable:
        return list(security_leads())

    def resync(self, *, now: datetime) -> int:
        """Open the first obligation, or re-date the open one from the last recorded review."""
        if log_review_obligation_ensure(now=now):
            return 1
        last = LogReview.objects.order_by("-reviewed_at").first()
        obligation = open_obligation(KIND, None)
        if last is None or obligation is None or obligation.anchor_at == last.reviewed_at:
            return 0
        obligation_open(kind=KIND, subject=None, anchor_at=last.reviewed_at, owner=obligation.owner, url=obligation.url or reviews_url())
        return 1


def _ago(moment: datetime, now: datetime) -> str:
    """Whole days, as auditors count them ("16 days ago"); shorter spans in hours/minutes."""
    delta = max(now - moment, timedelta(0))
    if delta < timedelta(minutes=1):
        return "just now"
    return f"{delta.days} days ago" if delta.days >= 2 else f"{span(delta)} ago"


def check_log_review(now: datetime) -> CheckResult:
    """DPP 2.6: logs reviewed at least every 14 days (or the tighter period in force)."""
    cadence = effective_cadence(KIND)
    every = f"due every {cadence.period}"
    last = LogReview.objects.order_by("-reviewed_at").values_list("reviewed_at", flat=True).first()
    if last is None:
        return CheckResult("not_met", f"no log review is recorded yet; DPP 2.6 needs one every {cadence.period}", reviews_url())
    due = cadence.due_after(last)
    if now > due:
        return CheckResult("not_met", f"last log review recorded {_ago(last, now)}; {every}", reviews_url())
    if now > due - cadence.warning:
        return CheckResult("at_risk", f"last log review recorded {_ago(last, now)}; {every}, the next {time_left(due, now)}", reviews_url())
    return CheckResult("met", f"last log review recorded {_ago(last, now)}; {every}", reviews_url())


def check_chain(now: datetime) -> CheckResult:
    """DPP 2.6: logs protected against tampering — the hash chain verified recently and intact."""
    url = reverse("audit:index")
    event = last_verification()
    if event is None:
        return CheckResult("at_risk", "the audit trail's hash chain has not been verified yet (verify_audit_log, or the daily task)", url)
    count = (event.details or {}).get("count", 0)
    if event.outcome != "success":
        broken = (event.details or {}).get("broken_at")
        return CheckResult("not_met", f"the last chain verification ({_ago(event.occurred_at, now)}) found event #{broken} broken", url)
    if now - event.occurred_at > VERIFY_EVERY:
        return CheckResult("at_risk", f"the hash chain was last verified {_ago(event.occurred_at, now)}; it is checked daily", url)
    details = event.details or {}
    if details.get("mode") == "incremental":  # from the last verified checkpoint of the witness on
        what = f"{count:,} events since checkpoint #{details.get('checkpoint_seq')} intact"
    else:
        what = f"{count:,} events intact"
    return CheckResult("met", f"hash chain verified {_ago(event.occurred_at, now)}: {what}", url)


SEVERITY = {"met": 0, "not_tracked": 1, "at_risk": 2, "not_met": 3}


def check_audit_trail(now: datetime) -> CheckResult:
    """The live 2.6 check: the worse of the log review and the chain verification, both in words."""
    results = [check_log_review(now), check_chain(now)]
    worst = max(results, key=lambda result: SEVERITY.get(result.status, 1))
    return CheckResult(worst.status, "; ".join(result.reason for result in results), worst.url)


def register() -> None:
    """Called from ``OversightConfig.ready()``: the obligation's provider and the live 2.6 check."""
    register_provider(KIND, LogReviewProvider())
    register_check("2.6", "Audit trail reviewed and intact", portal_check(check_audit_trail))  # the portal's own log
