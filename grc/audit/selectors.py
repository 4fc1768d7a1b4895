"""Reads of the audit app: open alarms (the dashboard), and the viewer's filtered, keyset-paged events.

The viewer pages by id (seek pagination): "older" asks for ``id < the last id shown``, "newer" for
``id > the first id shown``, each ``LIMIT page + 1`` on the primary key, so page 1 and page
20,000 cost the same and nothing ever counts the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from grc.audit.models import ACTIVE_ALARM_STATUSES, Alarm, AuditEvent

PAGE_SIZE = 50


def open_alarms(limit: int = 10) -> list[Alarm]:
    """Open and investigating alarms, newest first (at most ``limit``)."""
    return list(Alarm.objects.filter(status__in=ACTIVE_ALARM_STATUSES).select_related("actor").order_by("-raised_at", "-id")[:limit])


def active_alarm_count() -> int:
    return Alarm.objects.filter(status__in=ACTIVE_ALARM_STATUSES).count()


@dataclass
class EventFilters:
    since: datetime | None = None
    until: datetime | None = None
    actor_id: int | None = None
    action: str = ""
    outcome: str = ""
    object_type: str = ""
    object_id: str = ""
    channel: str = ""

    def apply(self, events: QuerySet) -> QuerySet:
        """Filters that each use an index (time, actor, action, object) or narrow those further."""
        if self.since:
            events = events.filter(occurred_at__gte=self.since)
        if self.until:
            events = events.filter(occurred_at__lt=self.until)
        if self.actor_id:
            events = events.filter(actor_id=self.actor_id)
        if self.action:
            # "accounts." (ending in a dot) means every action of that namespace
            events = events.filter(action__startswith=self.action) if self.action.endswith(".") else events.filter(action=self.action)
        if self.outcome:
            events = events.filter(outcome=self.outcome)
        if self.object_type:
            events = events.filter(object_type=self.object_type)
        if self.object_id:
            events = events.filter(object_id=self.object_id)
        if self.channel:
            events = events.filter(channel=self.channel)
        return events

    @property
    def active(self) -> bool:
        return any(value not in (None, "") for value in vars(self).values())


@dataclass
class EventPage:
    rows: list[AuditEvent] = field(default_factory=list)
    newer_cursor: int | None = None  # link: ?after=<this>
    older_cursor: int | None = None  # link: ?before=<this>

    @property
    def first_id(self) -> int | None:
        return self.rows[0].pk if self.rows else None

    @property
    def last_id(self) -> int | None:
        return self.rows[-1].pk if self.rows else None


def event_page(events: QuerySet, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE) -> EventPage:
    """One page of ``events`` (newest first) by keyset on the id; two queries at most."""
    if after is not None:
        rows = list(events.filter(id__gt=after).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        page = EventPage(rows=rows)
        if more_newer:
            page.newer_cursor = rows[0].pk
        if rows and events.filter(id__lt=rows[-1].pk).exists():
            page.older_cursor = rows[-1].pk
        elif not rows:
            page.older_cursor = after + 1  # past the newest: offer the way back
        return page
    scoped = events.filter(id__lt=before) if before is not None else events
    rows = list(scoped.order_by("-id")[: size + 1])
    page = EventPage(rows=rows[:size])
    if len(rows) > size:
        page.older_cursor = page.rows[-1].pk
    if before is not None and page.rows and events.filter(id__gt=page.rows[0].pk).exists():
        page.newer_cursor = page.rows[0].pk
    elif before is not None and not page.rows:
        page.newer_cursor = before - 1
    return page


# Events that record a read, a sign-in or a delivery, not a change of the programme's records.
READ_ACTIONS = (
    "download",
    "accounts.login",
    "accounts.logout",
    "accounts.login_failed",
    "accounts.mfa_verified",
    "accounts.mfa_failed",
    "accounts.mfa_refused",
    "accounts.sessions_ended",
    "accounts.step_up",
    "accounts.step_up_failed",
    "accounts.permission_denied",
    "accounts.network_denied",
    "api.request",
    "compliance.calendar_feed.read",
    "compliance.reminder.sent",
    "compliance.reminder.failed",
    "compliance.digest.sent",
    "compliance.digest.failed",
)


def latest_change_id() -> int:
    """The id of the newest audit event that records a change (0 if none): every service writes
    one with each change, so a cache keyed on it is dropped by the next change anywhere.

    One query, walking the primary key backwards past the newest reads (views, sign-ins …).
    """
    latest = (
        AuditEvent.objects.exclude(action__in=READ_ACTIONS)
        .exclude(action__endswith=".viewed")
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest or 0


def attach_actors(events: list) -> list:
    """Set ``event.actor`` (a User or None) on each event with one query for the whole page."""
    ids = {event.actor_id for event in events if event.actor_id}
    users = (
        {user.pk: user for user in get_user_model().objects.filter(pk__in=ids).only("pk", "username", "first_name", "last_name")}
        if ids
        else {}
    )
    for event in events:
        event.actor = users.get(event.actor_id)
    return events


def evidence_events(alarm: Alarm) -> list[AuditEvent]:
    ids = [int(event_id) for event_id in alarm.evidence or []]
    return attach_actors(list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))) if ids else []
