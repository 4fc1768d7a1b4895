"""Reminder emails at each obligation's milestones, sent exactly once, and a daily overdue digest.

How exactly-once works (STYLE habits 3 and 4):

* ``send_one_reminder(obligation, now)`` handles one obligation. It works out the latest
  milestone already reached (``status.latest_milestone``: after downtime only that one goes out,
  never a burst), then *claims* it by inserting a ``Reminder`` row whose (obligation, milestone)
  key is unique. The insert commits before any email is sent; a second sweep inserting the same
  key gets an IntegrityError and does nothing. Then it sends and records the outcome.
* A failed send keeps its row (``failed``, ``attempts``, the error's class name, and
  ``next_attempt_at`` with exponential backoff); the next sweep re-claims it with a conditional
  ``update()`` (row count 1 = this worker won) and retries. Users already emailed are listed in
  ``delivered_to`` and skipped, so a retry never doubles an email. A row left ``pending`` by a
  worker that died is retried once its lease has passed.
* Only open obligations are reminded: one closed since, whether completed or waived (it no
  longer applies), gets nothing more, and a retry still pending for it is cancelled.
* ``sweep(now=...)`` only loops: open obligations with ``due_at <= now + the longest milestone``
  (the partial index ``obligation_open_due``), then due retries, then the daily digests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from grc.accounts.models import Role, User
from grc.audit.services import record_event
from grc.compliance import emails
from grc.compliance.cadences import CADENCES
from grc.compliance.models import Delivery, DeliveryStatus, Obligation, OverdueDigest, Reminder
from grc.compliance.registry import provider_for
from grc.compliance.status import latest_milestone, milestone_label

logger = logging.getLogger("grc.compliance.reminders")

LEASE = timedelta(minutes=10)  # a claimed row not finished by then is retried (the sender died)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 10  # after that the row stays failed (shown on the reminders page) and is not retried
BATCH_SIZE = 500
SYSTEM_ACTOR = "task:sweep_reminders"
RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` + 1: 5 min, 10, 20, 40 … capped at 6 h."""
    factor: int = 2 ** max(attempts - 1, 0)
    return min(BACKOFF_BASE * factor, BACKOFF_CAP)


def longest_milestone() -> timedelta:
    return max((max(c.milestones, default=timedelta(0)) for c in CADENCES.values()), default=timedelta(0))


def digest_hour() -> int:
    """The UTC hour from which each day's overdue digest goes out (``REMINDER_DIGEST_HOUR``, default 7)."""
    return int(getattr(settings, "REMINDER_DIGEST_HOUR", 7))


def reachable(user: User | None, now: datetime) -> bool:
    """Permissions are re-checked at send time: active, inside any access window, with an address."""
    return user is not None and user.is_active and bool(user.email) and user.access_is_current(now)


def active_security_leads() -> list[User]:
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk"))


def reminder_recipients(obligation: Obligation, offset: timedelta, now: datetime) -> list[tuple[User, str]]:
    """Who gets a milestone reminder, with why (shown in the email).

    The owner; the provider's ``recipients(obligation)`` (the registry's "users to remind
    besides the owner"); at breach, if the kind escalates, every active security lead. With
    nobody else to tell, the security leads are told so that no reminder goes nowhere.
    """
    people: list[tuple[User, str]] = []
    if obligation.owner is not None:
        people.append((obligation.owner, "you own this task"))
    provider = provider_for(obligation.kind)
    if provider is not None:
        try:
            people.extend((user, "the portal names you for this kind of task") for user in provider.recipients(obligation) or [])
        except Exception:
            logger.exception("recipients() of the %s provider failed", obligation.kind)
    cadence = CADENCES[obligation.kind]
    reached = [user for user, _ in people if reachable(user, now)]
    if (offset == timedelta(0) and cadence.escalate_to_leads) or not reached:
        people.extend((lead, "you are a security lead") for lead in active_security_leads())
    seen: set[int] = set()
    chosen = []
    for user, why in people:
        if user.pk not in seen and reachable(user, now):
            seen.add(user.pk)
            chosen.append((user, why))
    return chosen


# --- one reminder ------------------------------------------------------------------------------
def _claim_new(obligation: Obligation, offset: timedelta, now: datetime) -> Reminder | None:
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                obligation=obligation,
                milestone=milestone_label(offset),
                offset=offset,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now + LEASE,
                created_at=now,
            )
    except IntegrityError:
        return None  # another sweep claimed this milestone first


def _record_outcome(row: Delivery, *, error: Exception | None, now: datetime, nobody: bool = False, extra: tuple[str, ...] = ()) -> None:
    row.attempts += 1
    if error is None and not nobody:
        row.status, row.sent_at, row.next_attempt_at, row.last_error = DeliveryStatus.SENT, now, None, ""
    else:
        row.status = DeliveryStatus.FAILED
        row.last_error = "NoRecipients" if error is None else type(error).__name__[:100]
        row.next_attempt_at = now + backoff(row.attempts) if row.attempts < MAX_ATTEMPTS else None
    row.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "delivered_to", "sent_at", *extra])


def _deliver_reminder(reminder: Reminder, obligation: Obligation, now: datetime) -> bool:
    recipients = reminder_recipients(obligation, reminder.offset, now)
    delivered = set(reminder.delivered_to)
    error = None
    for user, why in recipients:
        if user.pk in delivered:
            continue
        try:
            emails.send_reminder(recipient=user, obligation=obligation, offset=reminder.offset, now=now, reason=why)
        except Exception as exc:  # SMTP refusal, timeout, connection error: recorded, retried next sweep
            error = exc
            break
        delivered.add(user.pk)
    reminder.delivered_to = sorted(delivered)
    _record_outcome(reminder, error=error, now=now, nobody=not recipients)
    sent = reminder.status == DeliveryStatus.SENT
    record_event(
        "compliance.reminder.sent" if sent else "compliance.reminder.failed",
        system_actor=SYSTEM_ACTOR,
        obj=reminder,
        outcome="success" if sent else "failure",
        details={"obligation": obligation.pk, "milestone": reminder.milestone, "recipients": len(delivered), "error": reminder.last_error},
    )
    return sent


def send_one_reminder(obligation: Obligation, now: datetime) -> bool:
    """Send the latest reached milestone reminder of one open obligation; True if this call sent it."""
    cadence = CADENCES.get(obligation.kind)
    if obligation.completed_at is not None or cadence is None:
        return False
    offset = latest_milestone(due_at=obligation.due_at, milestones=cadence.milestones, now=now)
    if offset is None:
        return False
    reminder = _claim_new(obligation, offset, now)
    if reminder is None:
        return False
    return _deliver_reminder(reminder, obligation, now)


def retry_one_reminder(reminder: Reminder, now: datetime) -> bool:
    """Retry a failed (or stalled) reminder if it is still the one to send; True if it went out now."""
    obligation = reminder.obligation
    cadence = CADENCES.get(obligation.kind)
    current = None
    if cadence is not None and obligation.completed_at is None:
        current = latest_milestone(due_at=obligation.due_at, milestones=cadence.milestones, now=now)
    if current is None or milestone_label(current) != reminder.milestone:
        Reminder.objects.filter(pk=reminder.pk, status__in=RETRYABLE).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        return False  # done meanwhile, or superseded by a later milestone
    won = Reminder.objects.filter(pk=reminder.pk, status__in=RETRYABLE, next_attempt_at__lte=now).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now + LEASE
    )
    if not won:
        return False
    reminder.refresh_from_db()
    return _deliver_reminder(reminder, obligation, now)


# --- the daily overdue digest ------------------------------------------------------------------
def overdue_for(user: User, now: datetime) -> QuerySet[Obligation]:
    """Overdue open obligations for a digest: a lead's covers every escalating kind, others their own."""
    mine = Q(owner=user)
    if user.role == Role.SECURITY_LEAD:
        mine |= Q(kind__in=[kind for kind, c in CADENCES.items() if c.escalate_to_leads])
    return Obligation.objects.filter(mine, completed_at__isnull=True, due_at__lte=now).order_by("due_at", "id")


def digest_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _deliver_digest(digest: OverdueDigest, user: User, now: datetime) -> bool:
    rows = overdue_for(user, now)
    total = rows.count()
    digest.item_count = total
    if total == 0:  # all done since the claim: nothing to say today
        digest.status, digest.next_attempt_at = DeliveryStatus.CANCELLED, None
        digest.save(update_fields=["status", "next_attempt_at", "item_count"])
        return False
    error = None
    if user.pk not in digest.delivered_to:
        try:
            emails.send_overdue_digest(recipient=user, obligations=list(rows[: emails.MAX_DIGEST_ITEMS]), now=now, total=total)
        except Exception as exc:  # recorded and retried like a reminder
            error = exc
        else:
            digest.delivered_to = [user.pk]
    _record_outcome(digest, error=error, now=now, extra=("item_count",))
    sent = digest.status == DeliveryStatus.SENT
    record_event(
        "compliance.digest.sent" if sent else "compliance.digest.failed",
        system_actor=SYSTEM_ACTOR,
        obj=digest,
        outcome="success" if sent else "failure",
        details={"items": total, "error": digest.last_error},
    )
    return sent


def send_one_digest(user: User, now: datetime) -> bool:
    """Today's overdue digest for one user (one per user per UTC day); True if this call sent it."""
    if not reachable(user, now) or not overdue_for(user, now).exists():
        return False
    try:
        with transaction.atomic():
            digest = OverdueDigest.objects.create(
                user=user, day=digest_day(now), status=DeliveryStatus.PENDING, next_attempt_at=now + LEASE, created_at=now
            )
    except IntegrityError:
        return False
    return _deliver_digest(digest, user, now)


def retry_one_digest(digest: OverdueDigest, now: datetime) -> bool:
    if digest.day != digest_day(now) or not reachable(digest.user, now):
        OverdueDigest.objects.filter(pk=digest.pk, status__in=RETRYABLE).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        return False  # a new day has its own digest
    won = OverdueDigest.objects.filter(pk=digest.pk, status__in=RETRYABLE, next_attempt_at__lte=now).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now + LEASE
    )
    if not won:
        return False
    digest.refresh_from_db()
    return _deliver_digest(digest, digest.user, now)


def digest_candidates(now: datetime) -> list[User]:
    """Owners of overdue obligations, and the security leads when anything escalating is overdue,
    minus those who already have today's digest row."""
    overdue = Obligation.objects.filter(completed_at__isnull=True, due_at__lte=now)
    owner_ids = set(overdue.exclude(owner=None).values_list("owner_id", flat=True).distinct())
    escalating = [kind for kind, c in CADENCES.items() if c.escalate_to_leads]
    users = User.objects.filter(is_active=True)
    wanted = Q(pk__in=owner_ids)
    if overdue.filter(kind__in=escalating).exists():
        wanted |= Q(role=Role.SECURITY_LEAD)
    done = OverdueDigest.objects.filter(day=digest_day(now)).values_list("user_id", flat=True)
    return list(users.filter(wanted).exclude(pk__in=done).order_by("pk"))


# --- the sweep ---------------------------------------------------------------------------------
@dataclass
class SweepReport:
    now: datetime
    dry_run: bool = False
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def sent_count(self) -> int:
        return len(self.sent)


def _describe(obligation: Obligation, label: str) -> str:
    return f"{label} reminder of obligation {obligation.pk} (DPP {obligation.clause} {obligation.title}, due {obligation.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"


def sweep(*, now: datetime, dry_run: bool = False) -> SweepReport:
    """One pass: new milestone reminders, due retries, then today's digests. Safe to run in parallel."""
    report = SweepReport(now=now, dry_run=dry_run)
    horizon = now + longest_milestone()
    last_pk = 0
    while True:
        batch = list(
            Obligation.objects.filter(completed_at__isnull=True, due_at__lte=horizon, pk__gt=last_pk)
            .select_related("owner")
            .order_by("pk")[:BATCH_SIZE]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        claimed = set(Reminder.objects.filter(obligation__in=batch).values_list("obligation_id", "milestone"))
        for obligation in batch:
            cadence = CADENCES.get(obligation.kind)
            offset = latest_milestone(due_at=obligation.due_at, milestones=cadence.milestones, now=now) if cadence else None
            if offset is None or (obligation.pk, milestone_label(offset)) in claimed:
                continue
            line = _describe(obligation, milestone_label(offset))
            if dry_run:
                report.sent.append(f"would send {line}")
            elif send_one_reminder(obligation, now):
                report.sent.append(f"sent {line}")
            elif Reminder.objects.filter(obligation=obligation, milestone=milestone_label(offset), status=DeliveryStatus.FAILED).exists():
                report.failed.append(f"failed {line}")
    retries = Reminder.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=now).select_related("obligation", "obligation__owner")
    for reminder in retries.order_by("next_attempt_at", "pk"):
        line = _describe(reminder.obligation, reminder.milestone)
        if dry_run:
            report.sent.append(f"would retry {line}")
        elif retry_one_reminder(reminder, now):
            report.sent.append(f"sent (retry) {line}")
    digest_retries = OverdueDigest.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=now).select_related("user")
    for digest in digest_retries.order_by("pk"):
        if dry_run:
            report.sent.append(f"would retry the overdue digest of user {digest.user_id}")
        elif retry_one_digest(digest, now):
            report.sent.append(f"sent (retry) the overdue digest of user {digest.user_id}")
    if now.astimezone(UTC).hour >= digest_hour():
        for user in digest_candidates(now):
            if dry_run:
                report.sent.append(f"would send the overdue digest of user {user.pk}")
            elif send_one_digest(user, now):
                report.sent.append(f"sent the overdue digest of user {user.pk}")
    return report
