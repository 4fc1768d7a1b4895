"""Writes of the incident workflow: report, triage, investigation notes, workflow steps.

Each service is keyword-only, takes ``now``, runs in one transaction and writes the audit event
with changed field *names* only (the encrypted texts never enter the trail). The 24-hour Amazon
clock is an obligation of the engine, opened at report time (anchored at ``detected_at``),
re-dated when triage corrects the detection time, waived with the recorded reason when Amazon
Information is not involved, and completed when the notification is recorded (``notify.py``).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_open, obligation_waive
from incidents.clock import KIND, notification_due
from incidents.models import AmazonInvolved, Incident, IncidentStep, Severity, Status
from incidents.workflow import IncidentFacts, advance_blockers

INVESTIGATION_FIELDS = ("title", "description", "systems_involved", "actions_taken", "remediation_actions", "corrective_controls")
LINK_FIELDS = ("systems", "assets")  # many-to-many links to access_reviews.System and assets.Asset


def facts_of(incident: Incident) -> IncidentFacts:
    notification = getattr(incident, "amazon_notification", None)  # reverse one-to-one: None when absent
    return IncidentFacts(
        status=incident.status,
        description=incident.description or "",
        remediation_actions=incident.remediation_actions or "",
        corrective_controls=incident.corrective_controls or "",
        amazon_involved=incident.amazon_involved,
        amazon_not_involved_reason=incident.amazon_not_involved_reason,
        amazon_notified=bool(notification and notification.is_sent),
        triaged=bool(incident.incident_type and incident.severity and incident.owner_id),
    )


def _check_detected_at(detected_at: datetime, now: datetime) -> None:
    if detected_at > now:
        raise ValidationError({"detected_at": "The detection time cannot be in the future."})


def notification_obligation_sync(*, incident: Incident, now: datetime, by=None) -> None:
    """Bring the engine's obligation in line with the incident (idempotent).

    Not involving Amazon Information waives it with the recorded reason; otherwise it is open
    (or re-dated) until the notification is recorded.
    """
    notification = getattr(incident, "amazon_notification", None)  # reverse one-to-one: None when absent
    if notification is not None and notification.is_sent:
        return
    if incident.amazon_involved == AmazonInvolved.NO:
        reason = f"Amazon Information not involved: {incident.amazon_not_involved_reason}"[:300]
        obligation_waive(kind=KIND, subject=incident, when=now, reason=reason, by=by)
        return
    obligation_open(
        kind=KIND,
        subject=incident,
        anchor_at=incident.detected_at,
        owner=incident.owner,
        title=f"{incident.reference}: notify Amazon within 24 h of detection",
        url=incident.get_absolute_url(),
    )


@transaction.atomic
def incident_report(
    *,
    by,
    title: str,
    description: str,
    detected_at: datetime,
    systems_involved: str = "",
    systems=(),
    assets=(),
    now: datetime,
    request=None,
) -> Incident:
    """Anyone but an auditor reports a suspected incident; the 24-hour clock starts at detection.

    ``systems`` (access_reviews.System) and ``assets`` (assets.Asset) link the registers;
    ``systems_involved`` names anything that is in neither.
    """
    _check_detected_at(detected_at, now)
    incident = Incident.objects.create(
        title=title,
        description=description,
        detected_at=detected_at,
        systems_involved=systems_involved,
        reported_by=by,
        reported_at=now,
        notification_due_at=notification_due(detected_at),
    )
    incident.systems.set(systems)
    incident.assets.set(assets)
    IncidentStep.objects.create(incident=incident, status=Status.REPORTED, at=now, by=by)
    notification_obligation_sync(incident=incident, now=now, by=by)
    fields = ["title", "description", "detected_at", "systems_involved"] + [
        name for name, items in (("systems", systems), ("assets", assets)) if items
    ]
    record_change("created", incident, request=request, actor=by, changed_fields=fields)
    return incident


@transaction.atomic
def incident_triage(
    *,
    incident: Incident,
    by,
    incident_type: str,
    severity: str,
    amazon_involved: str,
    amazon_not_involved_reason: str = "",
    owner,
    detected_at: datetime,
    now: datetime,
    request=None,
) -> Incident:
    """The security lead's triage. The first one moves the incident to "triaged"; later ones
    only correct the fields (each correction is audited and re-dates the clock if needed)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_closed:
        raise ValidationError("A closed incident cannot be triaged again.")
    _check_detected_at(detected_at, now)
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity."})
    if amazon_involved not in AmazonInvolved.values:
        raise ValidationError({"amazon_involved": "Say whether Amazon Information is involved."})
    reason = amazon_not_involved_reason.strip() if amazon_involved == AmazonInvolved.NO else ""
    if amazon_involved == AmazonInvolved.NO and not reason:
        raise ValidationError(
            {"amazon_not_involved_reason": "Record why Amazon Information is not involved: it replaces the notification."}
        )
    values = {
        "incident_type": incident_type,
        "severity": severity,
        "amazon_involved": amazon_involved,
        "amazon_not_involved_reason": reason,
        "owner": owner,
        "detected_at": detected_at,
        "notification_due_at": notification_due(detected_at),
    }
    changed = [name for name, value in values.items() if getattr(incident, name) != value]
    for name, value in values.items():
        setattr(incident, name, value)
    first = incident.status == Status.REPORTED
    if first:
        incident.status = Status.TRIAGED
        incident.triaged_by, incident.triaged_at = by, now
        changed += ["status"]
    incident.save()
    if first:
        IncidentStep.objects.create(incident=incident, status=Status.TRIAGED, at=now, by=by)
    notification_obligation_sync(incident=incident, now=now, by=by)
    if changed:
        record_change("triaged" if first else "updated", incident, request=request, actor=by, changed_fields=changed)
    return incident


@transaction.atomic
def incident_update(*, incident: Incident, by, changes: dict, now: datetime, request=None) -> Incident:
    """Save the investigation texts (what happened, actions, remediation, corrective controls)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_closed:
        raise ValidationError("A closed incident is kept as it was closed.")
    unknown = set(changes) - set(INVESTIGATION_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise ValueError(f"not investigation fields: {sorted(unknown)}")
    texts = {name: value for name, value in changes.items() if name in INVESTIGATION_FIELDS}
    changed = [name for name, value in texts.items() if (getattr(incident, name) or "") != value]
    for name in changed:
        setattr(incident, name, texts[name])
    if changed:
        incident.save()
    for name in LINK_FIELDS:
        if name in changes:
            wanted = {item.pk for item in changes[name]}
            if wanted != set(getattr(incident, name).values_list("pk", flat=True)):
                getattr(incident, name).set(changes[name])
                changed.append(name)
    if changed:
        record_change("updated", incident, request=request, actor=by, changed_fields=changed)
    return incident


@transaction.atomic
def incident_advance(*, incident: Incident, by, target: str, note: str = "", now: datetime, request=None) -> Incident:
    """Move the incident one step on (contained, eradicated, recovered, closed), with who and when.

    Closing needs the description, remediation actions, corrective controls and the Amazon
    notification, or the recorded reason that Amazon Information was not involved (DPP 1.6).
    """
    incident = Incident.objects.select_for_update(of=("self",)).select_related("amazon_notification").get(pk=incident.pk)
    blockers = advance_blockers(facts_of(incident), target)
    if blockers:
        raise ValidationError([f"It cannot move to {target} yet: it needs {blocker}." for blocker in blockers])
    incident.status = target
    fields = ["status"]
    if target == Status.CLOSED:
        incident.closed_at, incident.closed_by = now, by
        fields += ["closed_at", "closed_by"]
    incident.save()
    IncidentStep.objects.create(incident=incident, status=target, at=now, by=by, note=note)
    record_event(f"incidents.incident.{target}", request=request, actor=by, obj=incident, changed_fields=fields)
    return incident
