"""1,500 incidents over three years: triaged, worked through the workflow and closed, Amazon notified
within 24 hours where its Information was involved (a few late), the last days' still open."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse

from grc.compliance.models import Obligation
from grc.scale.bulk import ScaleContext, insert, obligation
from grc.scale.names import INCIDENT_TITLES, INCIDENT_TYPES
from incidents.models import AmazonInvolved, AmazonNotification, Incident, IncidentStep, NotificationMethod, NotificationStatus, Status
from incidents.workflow import ORDER

KIND = "incidents.amazon_notification"
STEP_HOURS = {"triaged": 1, "contained": 6, "eradicated": 30, "recovered": 60, "closed": 24 * 9}


def seed_incidents(ctx: ScaleContext) -> None:
    rng, now = ctx.rng, ctx.now
    leads, managers = ctx.made["leads"], ctx.made["managers"]
    reporters = [u for u in ctx.made["users"] if u.is_active]
    systems, assets = ctx.made["systems"], [a for a in ctx.made["assets"] if a.retired_at is None]
    incidents = []
    total = ctx.sizes.incidents
    for n in range(total):
        # a little growth over time, and the last few days' incidents are still being worked on
        age_days = (365 * 3) * (1 - rng.random() ** 0.8) if n >= 6 else rng.uniform(0.05, 5)
        detected = now - timedelta(days=age_days)
        reported = detected + timedelta(minutes=rng.uniform(5, 180))
        if reported > now:
            reported = now - timedelta(minutes=1)
        incident = Incident(
            title=INCIDENT_TITLES[n % len(INCIDENT_TITLES)],
            description="What was seen, when and where (seeded).",
            detected_at=detected,
            systems_involved="",
            reported_by_id=rng.choice(reporters).pk,
            reported_at=reported,
            notification_due_at=detected + timedelta(hours=24),
        )
        # how far the workflow got
        reached = "closed"
        for status in ORDER[1:]:
            if reported + timedelta(hours=STEP_HOURS[status]) > now:
                reached = ORDER[ORDER.index(status) - 1]
                break
        incident.status = reached
        if reached != "reported":
            incident.triaged_at = min(reported + timedelta(hours=rng.uniform(0.2, 2)), now - timedelta(minutes=1))
            incident.triaged_by_id = leads[0].pk
            incident.owner_id = rng.choice(leads + managers[:10]).pk
            incident.incident_type = INCIDENT_TYPES[n % len(INCIDENT_TYPES)]
            incident.severity = rng.choices(("low", "medium", "high", "critical"), weights=(45, 35, 15, 5))[0]
            involved = ctx.chance(0.25)
            incident.amazon_involved = AmazonInvolved.YES if involved else AmazonInvolved.NO
            if not involved:
                incident.amazon_not_involved_reason = "No Amazon Information on the affected systems."
            incident.actions_taken = "Contained: access revoked, logs preserved (seeded)."
        if reached == "closed":
            incident.remediation_actions = "Root cause fixed (seeded)."
            incident.corrective_controls = "Control added to prevent recurrence (seeded)."
            incident.closed_at = reported + timedelta(hours=STEP_HOURS["closed"] + rng.uniform(0, 24 * 20))
            incident.closed_at = min(incident.closed_at, now - timedelta(minutes=1))
            incident.closed_by_id = incident.owner_id
        incidents.append(incident)
    insert(Incident, incidents)

    steps, notifications, obligations, links_s, links_a = [], [], [], [], []
    for incident in incidents:
        url = reverse("incidents:detail", args=[incident.pk])
        steps.append(IncidentStep(incident=incident, status=Status.REPORTED, at=incident.reported_at, by_id=incident.reported_by_id))
        for status in ORDER[1 : ORDER.index(incident.status) + 1]:
            triaged_at, owner_id = incident.triaged_at, incident.owner_id
            assert triaged_at is not None and owner_id is not None  # set above for every incident past "reported"
            at = incident.closed_at if status == "closed" else min(triaged_at + timedelta(hours=STEP_HOURS[status]), now)
            assert at is not None  # closed_at is set for the closed ones
            steps.append(IncidentStep(incident=incident, status=status, at=at, by_id=owner_id))
        title = f"{incident.reference}: notify Amazon within 24 h of detection"
        sent: datetime | None
        if incident.amazon_involved == AmazonInvolved.YES:
            sent = incident.detected_at + timedelta(hours=rng.uniform(26, 40) if ctx.chance(0.03) else rng.uniform(3, 22))
            if sent < now - timedelta(minutes=10):
                notifications.append(
                    AmazonNotification(
                        incident=incident,
                        subject=f"Security incident {incident.reference}",
                        body="Notification text as sent (seeded).",
                        status=NotificationStatus.SENT,
                        drafted_by_id=leads[0].pk,
                        drafted_at=sent - timedelta(hours=2),
                        ready_by_id=leads[0].pk,
                        ready_at=sent - timedelta(hours=1),
                        sent_at=sent,
                        sent_by_id=leads[0].pk,
                        method=NotificationMethod.EMAIL,
                        amazon_reference=f"SIR-{30000 + incident.pk}",
                        recorded_at=sent + timedelta(minutes=5),
                    )
                )
            else:
                sent = None
            obligations.append(
                obligation(
                    KIND,
                    "incidents.incident",
                    incident.pk,
                    anchor_at=incident.detected_at,
                    owner_id=incident.owner_id,
                    completed_at=sent,
                    completed_by_id=leads[0].pk if sent else None,
                    title=title,
                    url=url,
                )
            )
        elif incident.amazon_involved == AmazonInvolved.NO:
            obligations.append(
                obligation(
                    KIND,
                    "incidents.incident",
                    incident.pk,
                    anchor_at=incident.detected_at,
                    owner_id=incident.owner_id,
                    completed_at=incident.triaged_at,
                    completed_by_id=leads[0].pk,
                    waived_reason=f"Amazon Information not involved: {incident.amazon_not_involved_reason}",
                    title=title,
                    url=url,
                )
            )
        else:
            obligations.append(
                obligation(KIND, "incidents.incident", incident.pk, anchor_at=incident.detected_at, owner_id=None, title=title, url=url)
            )
        for system in rng.sample(systems, rng.randint(1, 2)):
            links_s.append(Incident.systems.through(incident_id=incident.pk, system_id=system.pk))
        if assets and ctx.chance(0.5):
            links_a.append(Incident.assets.through(incident_id=incident.pk, asset_id=rng.choice(assets).pk))
    insert(IncidentStep, steps)
    insert(AmazonNotification, notifications)
    insert(Obligation, obligations)
    insert(Incident.systems.through, links_s)
    insert(Incident.assets.through, links_a)
    ctx.made["incidents"] = incidents
    ctx.count("incidents", len(incidents))
