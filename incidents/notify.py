"""The notification to Amazon (DPP 1.6: email 3p-security@amazon.com within 24 hours of detection)
and the regulatory notifications that are the company's own duty.

One click builds the email from the record — reference, detection time in UTC, type, affected
systems, status, actions taken and the contact *role and mailbox* — with no personal data. The
security lead may edit it; ``notification_mark_ready`` refuses while the text contains an email
address, a phone number or a name of a person (``pii_check``). Recording the sending completes
the engine's obligation: met, or met late with the delay shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_complete
from incidents.clock import KIND
from incidents.models import AmazonNotification, Incident, NotificationMethod, NotificationStatus, RegulatoryNotification
from incidents.pii_check import AMAZON_SECURITY_EMAIL, PiiFinding, check_notification_text


@dataclass(frozen=True)
class DraftFacts:
    reference: str
    detected_at: datetime
    incident_type: str
    severity: str
    amazon_involved: str
    systems: list[str]
    status: str
    actions_taken: str
    contact_mailbox: str
    organisation: str


def draft_text(facts: DraftFacts) -> tuple[str, str]:
    """Subject and body of the notification email (pure; the facts carry no names)."""
    detected = facts.detected_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    involvement = {"yes": "yes", "no": "no", "unknown": "under investigation"}.get(facts.amazon_involved, facts.amazon_involved)
    systems = ", ".join(facts.systems) if facts.systems else "under investigation"
    actions = facts.actions_taken.strip() or "Investigation started; containment in progress."
    subject = f"Security incident notification {facts.reference} - {facts.organisation}"
    body = "\n".join(
        [
            "Hello Amazon Security team,",
            "",
            "We are notifying you of a Security Incident, as required by section 1.6 of the Amazon Data Protection Policy.",
            "",
            f"Incident reference: {facts.reference}",
            f"Detected at: {detected}",
            f"Incident type: {facts.incident_type or 'being triaged'}",
            f"Severity: {facts.severity or 'being triaged'}",
            f"Amazon Information involved: {involvement}",
            f"Affected systems: {systems}",
            f"Current status: {facts.status}",
            "",
            "Actions taken so far:",
            actions,
            "",
            f"Contact: Security lead, {facts.contact_mailbox}",
            "We will send updates as the investigation progresses.",
            "",
            f"Security team, {facts.organisation}",
        ]
    )
    return subject, body


def affected_systems(incident: Incident) -> list[str]:
    """Names of the systems and assets involved: the linked register entries, then the free text."""
    names = [system.name for system in incident.systems.all()] + [str(asset) for asset in incident.assets.all()]
    names += [line.strip() for line in incident.systems_involved.replace(",", "\n").splitlines() if line.strip()]
    return list(dict.fromkeys(names))


def facts_for_draft(incident: Incident) -> DraftFacts:
    return DraftFacts(
        reference=incident.reference,
        detected_at=incident.detected_at,
        incident_type=incident.incident_type,
        severity=incident.get_severity_display() if incident.severity else "",
        amazon_involved=incident.amazon_involved,
        systems=affected_systems(incident),
        status=incident.get_status_display(),
        actions_taken=incident.actions_taken or "",
        contact_mailbox=settings.SECURITY_CONTACT_EMAIL,
        organisation=settings.ORGANISATION_NAME,
    )


def _notification_for_update(incident: Incident) -> AmazonNotification:
    notification, _ = AmazonNotification.objects.select_for_update().get_or_create(incident=incident)
    return notification


@transaction.atomic
def notification_draft_build(*, incident: Incident, by, now: datetime, request=None) -> AmazonNotification:
    """(Re)build the draft from the record. Refused once the notification is recorded as sent."""
    incident = Incident.objects.get(pk=incident.pk)  # the record as it is now, not as the caller last saw it
    notification = _notification_for_update(incident)
    if notification.is_sent:
        raise ValidationError("The notification has been sent: it is kept as sent.")
    notification.subject, notification.body = draft_text(facts_for_draft(incident))
    notification.status = NotificationStatus.DRAFT
    notification.drafted_by, notification.drafted_at = by, now
    notification.ready_by, notification.ready_at = None, None
    notification.save()
    record_change("drafted", notification, request=request, actor=by, changed_fields=["subject", "body"])
    return notification


@transaction.atomic
def notification_draft_save(*, incident: Incident, by, subject: str, body: str, now: datetime, request=None) -> AmazonNotification:
    """Save the lead's edits; an edited draft must pass the check again before it is ready."""
    notification = _notification_for_update(incident)
    if notification.is_sent:
        raise ValidationError("The notification has been sent: it is kept as sent.")
    changed = [name for name, value in (("subject", subject), ("body", body)) if (getattr(notification, name) or "") != value]
    notification.subject, notification.body = subject, body
    if changed or notification.status != NotificationStatus.DRAFT:
        notification.status = NotificationStatus.DRAFT
        notification.ready_by, notification.ready_at = None, None
    notification.drafted_by, notification.drafted_at = by, now
    notification.save()
    if changed:
        record_change("updated", notification, request=request, actor=by, changed_fields=changed)
    return notification


def draft_findings(subject: str, body: str) -> list[PiiFinding]:
    return check_notification_text(f"{subject}\n{body}")


@transaction.atomic
def notification_mark_ready(*, incident: Incident, by, subject: str, body: str, now: datetime, request=None) -> AmazonNotification:
    """Mark the draft ready to send, if the PII check finds nothing; otherwise nothing is written."""
    findings = draft_findings(subject, body)
    if findings:
        raise ValidationError(
            "The notification must not contain personal data. Remove " + "; ".join(str(f) for f in findings) + ".", code="pii"
        )
    if not body.strip():
        raise ValidationError("Build or write the notification first.")
    notification = notification_draft_save(incident=incident, by=by, subject=subject, body=body, now=now, request=request)
    notification.status = NotificationStatus.READY
    notification.ready_by, notification.ready_at = by, now
    notification.save(update_fields=["status", "ready_by", "ready_at"])
    record_event("incidents.amazonnotification.ready", request=request, actor=by, obj=notification)
    return notification


@transaction.atomic
def notification_record(
    *, incident: Incident, by, sent_at: datetime, method: str, amazon_reference: str = "", now: datetime, request=None
) -> AmazonNotification:
    """Record that Amazon was notified; the 24-hour obligation is completed at ``sent_at``."""
    if sent_at > now:
        raise ValidationError({"sent_at": "The sending time cannot be in the future."})
    if sent_at < incident.detected_at:
        raise ValidationError({"sent_at": "Amazon cannot have been notified before the incident was detected."})
    if method not in NotificationMethod.values:
        raise ValidationError({"method": "Choose how Amazon was notified."})
    notification = _notification_for_update(incident)
    if notification.is_sent:
        raise ValidationError("The notification is already recorded as sent.")
    notification.status = NotificationStatus.SENT
    notification.sent_at, notification.sent_by, notification.method = sent_at, by, method
    notification.amazon_reference = amazon_reference.strip()
    notification.recorded_at = now
    notification.save()
    obligation_complete(kind=KIND, subject=incident, completed_at=sent_at, completed_by=by)
    record_change("sent", notification, request=request, actor=by, changed_fields=["sent_at", "sent_by", "method", "amazon_reference"])
    return notification


def mailto_link(notification: AmazonNotification) -> str:
    return f"mailto:{AMAZON_SECURITY_EMAIL}?subject={quote(notification.subject)}&body={quote(notification.body or '')}"


@transaction.atomic
def regulatory_notification_record(
    *,
    incident: Incident,
    by,
    authority: str,
    notified_at: datetime,
    reference: str = "",
    note: str = "",
    on_behalf_of_amazon: bool = False,
    amazon_written_request: str = "",
    now: datetime,
    request=None,
) -> RegulatoryNotification:
    """Record a notification to an authority. Speaking for Amazon needs Amazon's written request (DPP 1.6)."""
    if notified_at > now:
        raise ValidationError({"notified_at": "The notification time cannot be in the future."})
    if on_behalf_of_amazon and not amazon_written_request.strip():
        raise ValidationError(
            {"amazon_written_request": "We may speak for Amazon only when Amazon asked in writing: give the reference of that request."}
        )
    entry = RegulatoryNotification.objects.create(
        incident=incident,
        authority=authority,
        notified_at=notified_at,
        reference=reference,
        note=note,
        on_behalf_of_amazon=on_behalf_of_amazon,
        amazon_written_request=amazon_written_request.strip() if on_behalf_of_amazon else "",
        recorded_by=by,
        recorded_at=now,
    )
    record_change("created", entry, request=request, actor=by, changed_fields=["authority", "notified_at", "reference", "note"])
    return entry
