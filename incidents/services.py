"""Writes of the incident workflow: report, triage, investigation notes, workflow steps.

Each service is keyword-only, takes ``now``, runs in one transaction and writes the audit event
with changed field *names* only (the encrypted texts never enter the trail). The 24-hour Amazon
clock is an obligation of the engine, opened at report time (anchored at ``detected_at``),
re-dated when the detection time is corrected (``detection_correct``, the one way to change it,
from triage, the correction page and the API), waived with the recorded reason when Amazon
Information is not involved, and completed when the notification is recorded (``notify.py``).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_open, obligation_waive
from incidents.clock import KIND, detection_change_refusal, notification_due
from incidents.models import AmazonInvolved, DetectionCorrection, Incident, IncidentStep, Severity, Status
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
    detection_reason: str = "",
    stepped_up: bool = False,
    now: datetime,
    request=None,
) -> Incident:
    """The security lead's triage. The first one moves the incident to "triaged"; later ones
    only correct the fields (each correction is audited). A new detection time goes through
    ``detection_correct`` (with ``detection_reason`` and ``stepped_up``), which re-dates the clock."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_closed:
        raise ValidationError("A closed incident cannot be triaged again.")
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
    }
    detection_correct(
        incident=incident, by=by, detected_at=detected_at, reason=detection_reason, stepped_up=stepped_up, now=now, request=request
    )
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
def detection_correct(
    *, incident: Incident, by, detected_at: datetime, reason: str = "", stepped_up: bool = False, now: datetime, request=None
) -> DetectionCorrection | None:
    """Correct the detection time: the one way it changes after the report (rule: ``clock.detection_change_refusal``).

    Earlier is always allowed; later only for the security lead with a reason and a fresh
    one-time code (``stepped_up``), and never past the report time. The change is kept as a
    ``DetectionCorrection``, audited without the reason, and the Amazon deadline
    (``notification_due_at`` and the open obligation) is worked out again from the new time.
    The caller's ``incident`` gets the new times too. Returns None when the time did not change.
    Who may correct at all (the lead or the owner) is the caller's check (``access.can_edit``).
    """
    locked = Incident.objects.select_for_update(of=("self",)).select_related("amazon_notification").get(pk=incident.pk)
    if detected_at == locked.detected_at:
        return None
    if locked.is_closed:
        raise ValidationError({"detected_at": "A closed incident is kept as it was closed: its detection time cannot change."})
    reason = (reason or "").strip()
    notification = getattr(locked, "amazon_notification", None)  # reverse one-to-one: None when absent
    refusal = detection_change_refusal(
        old=locked.detected_at,
        new=detected_at,
        reported_at=locked.reported_at,
        role=by.role,
        reason_given=bool(reason),
        stepped_up=stepped_up,
        now=now,
        notified_at=notification.sent_at if notification is not None and notification.is_sent else None,
    )
    if refusal:
        raise ValidationError({"detected_at": refusal})
    old = locked.detected_at
    correction = DetectionCorrection.objects.create(
        incident=locked, old_detected_at=old, new_detected_at=detected_at, reason=reason, by=by, at=now, stepped_up=stepped_up
    )
    locked.detected_at, locked.notification_due_at = detected_at, notification_due(detected_at)
    locked.save(update_fields=["detected_at", "notification_due_at", "updated_at"])
    notification_obligation_sync(incident=locked, now=now, by=by)
    record_event(
        "incidents.incident.detection_corrected",
        request=request,
        actor=by,
        obj=locked,
        changed_fields=["detected_at", "notification_due_at"],
        details={
            "correction_id": correction.pk,
            "direction": "later" if correction.is_later else "earlier",
            "shift_minutes": int(correction.shift.total_seconds() // 60),
            "stepped_up": stepped_up,
            "with_reason": bool(reason),
        },
    )
    incident.detected_at, incident.notification_due_at = locked.detected_at, locked.notification_due_at
    return correction


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
