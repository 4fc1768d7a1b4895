"""Reads of the incident pages: the list queryset (a fixed number of queries at any size), the
timeline of one incident (workflow steps with who/when, notifications, evidence) and the
corrections of its detection time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db.models import Case, Count, IntegerField, Max, Model, Prefetch, Q, QuerySet, Value, When

from incidents.access import incidents_visible_to
from incidents.models import CustodyEntry, DetectionCorrection, EvidenceItem, Incident, Severity, Status

ENCRYPTED_FIELDS = ("description", "actions_taken", "remediation_actions", "corrective_controls")
SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
STATUS_RANK = {status: index for index, status in enumerate(Status.values)}


# the list names the linked systems and assets (``notify.affected_systems``): only those columns,
# so their encrypted descriptions and notes are not read and decrypted for every row
# (the models of the other registers are reached through the relation: no import of their apps)
def _linked() -> tuple[Prefetch, Prefetch]:
    systems = cast("type[Model]", Incident._meta.get_field("systems").related_model)._default_manager.only("pk", "name")
    assets = cast("type[Model]", Incident._meta.get_field("assets").related_model)._default_manager.only("pk", "tag", "name")
    return Prefetch("systems", queryset=systems), Prefetch("assets", queryset=assets)


def incident_list(user) -> QuerySet[Incident]:
    queryset = incidents_visible_to(user).select_related("owner", "reported_by", "amazon_notification").prefetch_related(*_linked())
    # the list shows no free text: leave the encrypted columns unread (and undecrypted)
    queryset = queryset.defer(*ENCRYPTED_FIELDS, "amazon_notification__body")
    return queryset.annotate(
        severity_rank=Case(
            *[When(severity=k, then=Value(v)) for k, v in SEVERITY_RANK.items()], default=Value(0), output_field=IntegerField()
        ),
        status_rank=Case(*[When(status=k, then=Value(v)) for k, v in STATUS_RANK.items()], default=Value(0), output_field=IntegerField()),
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    by: object | None = None
    detail: str = ""
    status: str = ""  # a badge key


def timeline(incident: Incident, *, full: bool) -> list[TimelineEntry]:
    """Everything that happened to the incident, oldest first. ``full`` adds the notifications and evidence."""
    entries = [
        TimelineEntry(step.at, step.get_status_display(), step.by, step.note if full else "", step.status)
        for step in incident.steps.select_related("by")
    ]
    if full:
        notification = getattr(incident, "amazon_notification", None)
        if notification is not None and notification.is_sent:
            reference = f" (Amazon's reference {notification.amazon_reference})" if notification.amazon_reference else ""
            entries.append(TimelineEntry(notification.sent_at, "Amazon notified" + reference, notification.sent_by, status="sent"))
        for entry in incident.regulatory_notifications.select_related("recorded_by"):
            entries.append(TimelineEntry(entry.notified_at, f"{entry.authority} notified", entry.recorded_by, status="regulatory"))
        for item in incident.evidence.select_related("collected_by"):
            entries.append(TimelineEntry(item.collected_at, f"Evidence collected: {item.label}", item.collected_by, status="evidence"))
    return sorted(entries, key=lambda e: e.at)


def detection_corrections(incident: Incident) -> list[DetectionCorrection]:
    """Every change of the detection time (the clock's start), oldest first, with who made it."""
    return list(incident.detection_corrections.select_related("by"))


# --- the evidence pack (grc.evidence) --------------------------------------------------------------
def incidents_in_period(start_at, end_at) -> QuerySet[Incident]:
    """Incidents open at some time in ``[start_at, end_at)`` (detected before its end, not closed
    before its start), oldest detection first, with their Amazon notification, evidence items (each
    with its custody chain, its count and last entry), regulatory notifications and every
    correction of the detection time. A fixed number of queries at any size."""
    custody = CustodyEntry.objects.select_related("recorded_by").order_by("at", "pk")
    evidence = (
        EvidenceItem.objects.annotate(custody_count=Count("custody"), last_custody_at=Max("custody__at"))
        .prefetch_related(Prefetch("custody", queryset=custody))
        .order_by("collected_at", "pk")
    )
    open_then = Q(detected_at__lt=end_at) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start_at))
    return (
        Incident.objects.filter(open_then)
        .select_related("owner", "amazon_notification", "amazon_notification__sent_by")
        .prefetch_related(
            Prefetch("evidence", queryset=evidence),
            "regulatory_notifications",
            Prefetch("detection_corrections", queryset=DetectionCorrection.objects.select_related("by").order_by("at", "pk")),
        )
        .order_by("detected_at", "pk")
    )


# --- the REST API (grc.api) -----------------------------------------------------------------------
def incidents_for_api(user) -> QuerySet[Incident]:
    """The incidents ``user`` may read, with reporter, owner, systems and assets; the encrypted free
    texts are left unread (the API does not return them)."""
    return incidents_visible_to(user).select_related("reported_by", "owner").prefetch_related("systems", "assets").defer(*ENCRYPTED_FIELDS)
