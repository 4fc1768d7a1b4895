"""Alarms as records: raised by the rules (grc.audit.rules), investigated and closed by the lead.

Raising is safe with concurrent writers: a partial unique constraint allows one open or
investigating alarm per (rule, key), so the loser of a race gets an IntegrityError in its own
savepoint and simply does nothing. Each new alarm is an audit event and an email to every active
security lead, sent after commit by a task; ``notified_at`` is claimed before sending, so a
re-run never sends twice and the minute task sends any that were missed. The emails themselves
are written by the receivers of ``grc.audit.hooks.alarm_mail`` (``grc.oversight.emails``: who
the security leads are is the accounts' business, a layer above this one).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from grc.audit.conditions import MAX_EVIDENCE, Condition
from grc.audit.hooks import alarm_mail
from grc.audit.models import ACTIVE_ALARM_STATUSES, Alarm, AlarmStatus, Channel
from grc.audit.services import record_change, record_event
from grc.queue import enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User  # the AUTH_USER_MODEL (the stubs' alias): audit sits below accounts

logger = logging.getLogger("grc.audit")
RULES_ACTOR = "alarm-rules"
NOTIFY_TASK = "grc.audit.tasks.notify_alarm"  # queued by name: the tasks module runs this one

# Allowed status changes: closed is final (the same condition raises a new alarm next time).
TRANSITIONS: dict[str, set[str]] = {
    AlarmStatus.OPEN: {AlarmStatus.INVESTIGATING, AlarmStatus.CLOSED},
    AlarmStatus.INVESTIGATING: {AlarmStatus.OPEN, AlarmStatus.CLOSED},
    AlarmStatus.CLOSED: set(),
}


def alarm_raise(*, condition: Condition, event_ids: list[int], summary: str, now: datetime) -> Alarm | None:
    """Create the alarm of ``condition`` unless one is already open; returns it, or None."""
    actor_id = condition.actor_id
    if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
        actor_id = None  # an account id that no longer exists: the key still names it
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                rule=condition.rule,
                key=condition.key[:200],
                summary=summary[:300],
                raised_at=now,
                actor_id=actor_id,
                source_ip=condition.source_ip,
                subject_type=condition.subject_type,
                subject_id=condition.subject_id,
                evidence=sorted(event_ids)[:MAX_EVIDENCE],
                event_count=len(event_ids),
                last_event_id=max(event_ids),
            )
    except IntegrityError:
        return None  # another writer raised it a moment ago
    record_event(
        "audit.alarm.raised",
        system_actor=RULES_ACTOR,
        channel=Channel.TASK,
        obj=alarm,
        outcome="failure",
        message=f"rule={alarm.rule}",
        details={"rule": alarm.rule, "evidence": alarm.evidence[:20], "event_count": alarm.event_count},
        occurred_at=now,
    )
    _queue_notification(alarm.pk)  # written with the alarm, published after commit (grc.queue)
    return alarm


def _queue_notification(alarm_id: int) -> None:
    enqueue(NOTIFY_TASK, alarm_id)


def alarm_extend(*, alarm_id: int, event_ids: list[int]) -> None:
    """Add newer evidence to an open alarm (no second alarm for the same condition)."""
    alarm = Alarm.objects.select_for_update().filter(pk=alarm_id).first()
    if alarm is None:
        return
    new = sorted(event_id for event_id in event_ids if event_id > alarm.last_event_id)
    if not new:
        return
    alarm.evidence = (list(alarm.evidence) + new)[:MAX_EVIDENCE]
    Alarm.objects.filter(pk=alarm_id).update(evidence=alarm.evidence, event_count=F("event_count") + len(new), last_event_id=new[-1])


@transaction.atomic
def alarm_set_status(*, alarm: Alarm, status: str, note: str, by: User, now: datetime, request: HttpRequest | None = None) -> Alarm:
    """Move an alarm to ``investigating``, back to ``open``, or ``closed`` (a note is required to close).

    The note is stored encrypted and never copied into the audit trail: the event carries the new
    status and the names of the changed fields.
    """
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    note = (note or "").strip()
    if status not in TRANSITIONS.get(alarm.status, set()):
        raise ValidationError({"status": f"A {alarm.get_status_display().lower()} alarm cannot become {status}."})
    if status == AlarmStatus.CLOSED and not note:
        raise ValidationError({"note": "Say what was found and done before closing the alarm."})
    changed = ["status", "status_changed_at", "status_changed_by"]
    alarm.status = status
    alarm.status_changed_at = now
    alarm.status_changed_by = by
    if note:
        alarm.note = note
        changed.append("note")
    if status == AlarmStatus.CLOSED:
        alarm.closed_at = now
        alarm.closed_by = by
        changed += ["closed_at", "closed_by"]
    alarm.save(update_fields=changed)
    record_change("updated", alarm, request=request, actor=by, changed_fields=changed, message=f"status={status}")
    return alarm


def alarm_notify(*, alarm_id: int, now: datetime) -> bool:
    """Email the security leads about one alarm, once. Returns whether this call sent it.

    The claim (``notified_at``) is taken before sending; a failed send gives it back so the next
    run retries.
    """
    if Alarm.objects.filter(pk=alarm_id, notified_at__isnull=True).update(notified_at=now) != 1:
        return False
    alarm = Alarm.objects.select_related("actor").get(pk=alarm_id)
    try:
        # each receiver returns how many emails it sent (the stubs type a receiver's answer as str)
        sent = sum(cast(int | None, count) or 0 for _receiver, count in alarm_mail.send(sender=Alarm, alarm=alarm))
    except Exception:
        Alarm.objects.filter(pk=alarm_id).update(notified_at=None)
        raise
    record_event(
        "audit.alarm.notified", system_actor=RULES_ACTOR, channel=Channel.TASK, obj=alarm, details={"emails": sent}, occurred_at=now
    )
    return True


def alarms_notify_missed(*, now: datetime) -> int:
    """Send the emails of alarms whose notification never went out (the minute task)."""
    sent = 0
    for alarm_id in Alarm.objects.filter(notified_at__isnull=True, status__in=ACTIVE_ALARM_STATUSES).values_list("pk", flat=True)[:50]:
        try:
            sent += alarm_notify(alarm_id=alarm_id, now=now)
        except Exception:
            logger.exception("alarm %s notification failed; it is retried on the next run", alarm_id)
    return sent
