"""The alarm rules of DPP 2.6: "multiple unauthorized calls, unexpected request rate and data
retrieval volume, and access to canary data records".

* failed sign-ins (wrong password or one-time code) from one address, or for one account;
* permission denials from one address, or by one user;
* one user downloading or exporting more than N records or files in an hour;
* any view or download of a canary record.

Rules run twice over: at once, when ``record_event`` writes an event they watch (``observe``, a
few indexed queries), and every minute from the ``evaluate_alarms`` task (``evaluate``), which
catches up on whatever the first path missed (a worker that died, a threshold lowered). Both go
through ``condition_check``, so a condition raises one alarm however many paths see it.

Thresholds are constants here, overridable per deployment with the ``AUDIT_ALARM_THRESHOLDS``
setting (a dict of the same keys); they are read when a rule runs, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet

from grc.audit.alarms import alarm_extend, alarm_raise
from grc.audit.conditions import DENIAL_ACTIONS, DOWNLOAD_ACTIONS, FAILED_LOGIN_ACTIONS, VIEWED_SUFFIX, Condition
from grc.audit.models import ACTIVE_ALARM_STATUSES, Alarm, AlarmRule, AuditEvent, Canary

logger = logging.getLogger("grc.audit")

ALARM_THRESHOLDS = {
    "FAILED_LOGINS_PER_IP": 10,  # failed sign-ins from one address …
    "FAILED_LOGINS_PER_USER": 5,  # … or for one account (django-axes locks it at 5 too)
    "FAILED_LOGIN_MINUTES": 15,  # … within this many minutes
    "DENIALS_PER_IP": 10,  # permission denials from one address …
    "DENIALS_PER_USER": 5,  # … or by one signed-in user
    "DENIAL_MINUTES": 10,  # … within this many minutes
    "DOWNLOAD_ITEMS_PER_HOUR": 1000,  # more records or files than this downloaded/exported by one user in an hour
}
SCAN_CAP = 5000  # events read for one condition at most (a flood still raises: the cap is far above any threshold)


def thresholds() -> dict[str, int]:
    return {**ALARM_THRESHOLDS, **getattr(settings, "AUDIT_ALARM_THRESHOLDS", {})}


def _one(details: dict) -> int:
    return 1


@dataclass(frozen=True)
class RateRule:
    """N matching events for one address/user within a window. ``by`` is how events are grouped:
    ``ip`` (source address), ``actor`` (the signed-in user) or ``account`` (the account a failed
    sign-in was for, ``object_id`` of ``accounts.user``)."""

    rule: str
    actions: tuple[str, ...]
    by: str
    limit_name: str
    minutes_name: str | None  # None: one hour
    noun: str
    weigh: Callable[[dict], int] = _one  # a download of 500 rows weighs 500

    @property
    def limit(self) -> int:
        return int(thresholds()[self.limit_name])

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=int(thresholds()[self.minutes_name])) if self.minutes_name else timedelta(hours=1)

    def value_of(self, event: AuditEvent) -> str | int | None:
        if self.by == "ip":
            return event.source_ip
        if self.by == "actor":
            return event.actor_id
        if event.object_type == "accounts.user" and event.object_id:
            return event.object_id
        return None

    def condition(self, value: str | int) -> Condition:
        if self.by == "ip":
            return Condition(self.rule, f"ip:{value}", source_ip=str(value))
        return Condition(self.rule, f"user:{value}", actor_id=int(value))

    def events(self, value: str | int, *, since: datetime, until: datetime, after_id: int) -> QuerySet[AuditEvent]:
        rows = AuditEvent.objects.filter(action__in=self.actions, occurred_at__gt=since, occurred_at__lte=until, id__gt=after_id)
        if self.by == "ip":
            rows = rows.filter(source_ip=value)
        elif self.by == "actor":
            rows = rows.filter(actor_id=value)
        else:
            rows = rows.filter(object_type="accounts.user", object_id=str(value))
        return rows

    def candidates(self, *, since: datetime, until: datetime) -> list:
        """Addresses/users with enough events in the window to be worth a closer look."""
        rows = AuditEvent.objects.filter(action__in=self.actions, occurred_at__gt=since, occurred_at__lte=until)
        field = {"ip": "source_ip", "actor": "actor_id", "account": "object_id"}[self.by]
        if self.by == "account":
            rows = rows.filter(object_type="accounts.user").exclude(object_id="")
        else:
            rows = rows.filter(**{f"{field}__isnull": False})
        grouped = rows.order_by().values(field).annotate(n=Count("id"))
        if self.weigh is _one:  # each event weighs 1: the database can count them
            grouped = grouped.filter(n__gte=self.limit)
        return [row[field] for row in grouped]

    def summary(self, volume: int) -> str:
        minutes = int(self.window.total_seconds() // 60)
        span = "an hour" if minutes == 60 else f"{minutes} minutes"
        return f"{volume} {self.noun} within {span}"


def _download_weight(details: dict) -> int:
    try:
        return max(1, int(details.get("count", 1)))
    except (TypeError, ValueError):
        return 1


RATE_RULES = (
    RateRule(
        AlarmRule.FAILED_LOGINS_IP,
        FAILED_LOGIN_ACTIONS,
        "ip",
        "FAILED_LOGINS_PER_IP",
        "FAILED_LOGIN_MINUTES",
        "failed sign-ins from one address",
    ),
    RateRule(
        AlarmRule.FAILED_LOGINS_USER,
        FAILED_LOGIN_ACTIONS,
        "account",
        "FAILED_LOGINS_PER_USER",
        "FAILED_LOGIN_MINUTES",
        "failed sign-ins for one account",
    ),
    RateRule(AlarmRule.DENIALS_IP, DENIAL_ACTIONS, "ip", "DENIALS_PER_IP", "DENIAL_MINUTES", "permission denials from one address"),
    RateRule(AlarmRule.DENIALS_USER, DENIAL_ACTIONS[:1], "actor", "DENIALS_PER_USER", "DENIAL_MINUTES", "permission denials for one user"),
)
DOWNLOAD_RULE = RateRule(
    AlarmRule.DOWNLOAD_VOLUME,
    DOWNLOAD_ACTIONS,
    "actor",
    "DOWNLOAD_ITEMS_PER_HOUR",
    None,
    "records or files downloaded by one user",
    _download_weight,
)
ALL_RATE_RULES = (*RATE_RULES, DOWNLOAD_RULE)


def _condition_state(condition: Condition) -> tuple[int | None, int]:
    """The active alarm of this condition (if any) and the newest event already used as evidence."""
    state = Alarm.objects.filter(rule=condition.rule, key=condition.key).aggregate(
        active=Max("id", filter=Q(status__in=ACTIVE_ALARM_STATUSES)), watermark=Max("last_event_id")
    )
    return state["active"], state["watermark"] or 0


def condition_check(spec: RateRule, value: str | int, *, now: datetime) -> Alarm | None:
    """Raise the alarm of ``spec`` for ``value`` if its events since the last alarm pass the limit.

    Events already counted by an earlier (now closed) alarm of the same condition are not counted
    again; while an alarm is open, new events are added to its evidence instead of raising another.
    """
    condition = spec.condition(value)
    active_id, watermark = _condition_state(condition)
    rows = spec.events(value, since=now - spec.window, until=now, after_id=watermark).order_by("id")
    events = list(rows.values_list("id", "details")[:SCAN_CAP])
    if not events:
        return None
    ids = [event_id for event_id, _ in events]
    if active_id is not None:
        alarm_extend(alarm_id=active_id, event_ids=ids)
        return None
    volume = sum(spec.weigh(details or {}) for _, details in events)
    limit = spec.limit
    passed = volume > limit if spec is DOWNLOAD_RULE else volume >= limit
    if not passed:
        return None
    return alarm_raise(condition=condition, event_ids=ids, summary=spec.summary(volume), now=now)


def canary_check(event: AuditEvent) -> Alarm | None:
    """A view or download of a canary record raises an alarm at once (one indexed query otherwise)."""
    if not event.object_type or not event.object_id:
        return None
    if not Canary.objects.filter(subject_type=event.object_type, subject_id=event.object_id).exists():
        return None
    condition = Condition(
        AlarmRule.CANARY_ACCESS,
        f"canary:{event.object_type}:{event.object_id}",
        actor_id=event.actor_id,
        source_ip=event.source_ip,
        subject_type=event.object_type,
        subject_id=event.object_id,
    )
    active_id, _ = _condition_state(condition)
    if active_id is not None:
        alarm_extend(alarm_id=active_id, event_ids=[event.pk])
        return None
    verb = "downloaded" if event.action in DOWNLOAD_ACTIONS else "viewed"
    summary = f"canary record {event.object_type} #{event.object_id} was {verb}"
    return alarm_raise(condition=condition, event_ids=[event.pk], summary=summary, now=event.occurred_at)


def observe(event: AuditEvent) -> list[Alarm]:
    """Run the rules that watch ``event``'s action, right after it was written.

    Never lets a rule's failure reach the caller (a sign-in must not fail because an alarm could not
    be written): the error is logged and the minute task evaluates the rules again.
    """
    raised: list[Alarm | None] = []
    try:
        with transaction.atomic():
            if event.action.endswith(VIEWED_SUFFIX) or event.action in DOWNLOAD_ACTIONS:
                raised.append(canary_check(event))
            for spec in ALL_RATE_RULES:
                if event.action in spec.actions:
                    value = spec.value_of(event)
                    if value not in (None, ""):
                        raised.append(condition_check(spec, value, now=event.occurred_at))
    except Exception:
        logger.exception("alarm rules failed after audit event %s; the minute task will evaluate them again", event.pk)
        return []
    return [alarm for alarm in raised if alarm is not None]


def on_event_watched(sender: object, *, event: AuditEvent, **kwargs: Any) -> list[Alarm]:
    """Receiver of ``grc.audit.hooks.event_watched`` (connected in ``AuditConfig.ready()``)."""
    return observe(event)


def evaluate(*, now: datetime) -> list[Alarm]:
    """Evaluate every rate rule over its window ending ``now`` (the ``evaluate_alarms`` task)."""
    raised: list[Alarm] = []
    for spec in ALL_RATE_RULES:
        for value in spec.candidates(since=now - spec.window, until=now):
            with transaction.atomic():
                alarm = condition_check(spec, value, now=now)
            if alarm is not None:
                raised.append(alarm)
    return raised
