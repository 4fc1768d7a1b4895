"""Demo incidents: one open and still inside its 24-hour Amazon clock (triaged, draft built),
and one closed last month — notified within the 24 hours, fully documented, with evidence and a
chain of custody."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile

from grc.compliance.lookups import INCIDENT_TYPES, ask
from incidents import custody, notify, services
from incidents.models import AmazonInvolved, NotificationMethod, Severity, Status

LOG_EXCERPT = (
    b"2026-10-28T02:14:07Z api-gw 403 POST /orders/export token=revoked-7f3a\n"
    b"2026-10-28T02:14:09Z api-gw 200 POST /orders/export token=svc-reporting\n"
    b"2026-10-28T02:14:11Z api-gw 200 GET /orders?page=1..240 token=svc-reporting\n"
)


def seed(ctx) -> None:
    lead = ctx.users["lead"]
    staff = ctx.users.get("staff") or lead
    owner = ctx.users.get("manager") or lead
    types = ask(INCIDENT_TYPES).types  # the IR plan's (grc.policies answers)
    systems = list(ctx.made.get("systems") or [])[:2]  # from access_reviews' seeder
    assets = list(ctx.made.get("assets") or [])
    laptops = [a for a in assets if getattr(a, "hardware_type", "") == "laptop"]
    laptops = [a for a in laptops if a.owner_id == staff.pk][:1] or laptops[:1]  # the reporter's own laptop

    # a closed incident of last month: notified in 19 hours, documented, evidence in custody
    detected = ctx.now - timedelta(days=32, hours=3)
    closed = services.incident_report(
        by=owner,
        title="Reporting service token used from an unknown network",
        description="Alerts showed the reporting service token exporting orders from an address outside our cloud account.",
        detected_at=detected,
        systems=systems,
        systems_involved="" if systems else "order API, reporting service",
        now=detected + timedelta(minutes=20),
    )
    services.incident_triage(
        incident=closed,
        by=lead,
        incident_type=types[2] if len(types) > 2 else types[0],
        severity=Severity.HIGH,
        amazon_involved=AmazonInvolved.YES,
        owner=owner,
        detected_at=detected,
        now=detected + timedelta(hours=1),
    )
    services.incident_update(
        incident=closed,
        by=owner,
        changes={
            "actions_taken": "Token revoked, export endpoint blocked for the service account, logs preserved.",
            "remediation_actions": "Rotated every service token; removed the export permission from the reporting role.",
            "corrective_controls": "Service tokens are now bound to our network range and expire after 24 hours; an alarm fires on bulk exports.",
        },
        now=detected + timedelta(hours=6),
    )
    for step, hours in ((Status.CONTAINED, 2), (Status.ERADICATED, 30), (Status.RECOVERED, 50)):
        services.incident_advance(incident=closed, by=owner, target=step, now=detected + timedelta(hours=hours))
    notification = notify.notification_draft_build(incident=closed, by=lead, now=detected + timedelta(hours=10))
    notify.notification_mark_ready(
        incident=closed, by=lead, subject=notification.subject, body=notification.body, now=detected + timedelta(hours=18)
    )
    notify.notification_record(
        incident=closed,
        by=lead,
        sent_at=detected + timedelta(hours=19),
        method=NotificationMethod.EMAIL,
        amazon_reference="SIR-20451",
        now=detected + timedelta(hours=19, minutes=5),
    )
    upload = ContentFile(LOG_EXCERPT, name="api-gateway-access.log")
    item = custody.evidence_add(
        incident=closed,
        by=owner,
        label="API gateway access log excerpt, 02:00-03:00 UTC",
        upload=upload,
        collected_by=owner,
        collected_at=detected + timedelta(hours=1, minutes=30),
        now=detected + timedelta(hours=1, minutes=40),
    )
    custody.custody_append(
        evidence=item,
        by=owner,
        from_party="Evidence store",
        to_party="External forensic analyst (under NDA)",
        at=detected + timedelta(days=2),
        purpose="forensic analysis",
        now=detected + timedelta(days=2),
    )
    services.incident_advance(
        incident=closed, by=lead, target=Status.CLOSED, note="Reviewed with the team.", now=detected + timedelta(days=5)
    )

    # an open incident, detected 5 hours ago: triaged, the notification draft built
    detected = ctx.now - timedelta(hours=5)
    open_incident = services.incident_report(
        by=staff,
        title="Laptop with customer order exports left on a train",
        description="A company laptop was lost on the commute; it held a spreadsheet export of recent orders.",
        detected_at=detected,
        assets=laptops,
        systems_involved="" if laptops else "staff laptop",
        now=detected + timedelta(minutes=15),
    )
    services.incident_triage(
        incident=open_incident,
        by=lead,
        incident_type=types[4] if len(types) > 4 else types[0],
        severity=Severity.MEDIUM,
        amazon_involved=AmazonInvolved.UNKNOWN,
        owner=lead,
        detected_at=detected,
        now=detected + timedelta(minutes=45),
    )
    services.incident_update(
        incident=open_incident,
        by=lead,
        changes={"actions_taken": "Remote wipe requested; the device's sessions and tokens revoked."},
        now=detected + timedelta(hours=1),
    )
    services.incident_advance(incident=open_incident, by=lead, target=Status.CONTAINED, now=detected + timedelta(hours=2))
    notify.notification_draft_build(incident=open_incident, by=lead, now=detected + timedelta(hours=3))
    ctx.made["incidents"] = [open_incident, closed]
    ctx.say(
        f"Incidents: {open_incident.reference} open, Amazon must be notified by {open_incident.notification_due_at:%d %b %H:%M} UTC; "
        f"{closed.reference} closed (notified in 19 h, with evidence in custody)."
    )
