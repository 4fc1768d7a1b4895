"""Security incidents (DPP 1.6) read from ``incidents`` (its selectors) read-only: report, detection and Amazon
notification times against the 24-hour clock, every correction of the detection time with its
reason (the clock's start may only move later with the security lead's reason and one-time
code), the investigation record, and each evidence item's chain of custody. Evidence files go
into the ZIP with the SHA-256 recorded when they were collected; the custody chain of every item
is a CSV."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from grc.evidence.collect import PackContext, hours_between, person_name
from grc.evidence.sections.registry import Evidence, Mark, register
from grc.timefmt import span
from incidents.selectors import incidents_in_period

SUMMARY_LIMIT = 12  # incidents whose investigation text is printed in the PDF (all are in the CSV)
TEXT_LIMIT = 600


def _clip(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def notification_result(incident, now) -> Mark:
    notification = getattr(incident, "amazon_notification", None)
    sent = notification is not None and notification.is_sent
    if incident.amazon_involved == "no" and not sent:
        return Mark("not required: no Amazon Information", "closed")
    if sent and notification is not None:  # (sent implies a notification)
        if notification.sent_at <= incident.notification_due_at:
            return Mark("within 24 h", "met")
        return Mark("late", "not_met")
    return Mark("overdue", "not_met") if now >= incident.notification_due_at else Mark("clock running", "open")


@register(clause="1.6", key="incidents.incidents", title="Security incidents and the 24-hour Amazon notification", order=30)
def incidents(ctx: PackContext) -> Evidence:
    found = list(incidents_in_period(ctx.period.start_at, ctx.period.end_at))
    results = Counter[str]()
    rows, summaries, custody_rows, item_rows, correction_rows = [], [], [], [], []
    detected_after_report = moved_later = 0
    for incident in found:
        notification = getattr(incident, "amazon_notification", None)
        sent_at = notification.sent_at if notification is not None and notification.is_sent else None
        result = notification_result(incident, ctx.now)
        results[result.status] += 1
        rows.append(
            [
                incident.reference,
                incident.incident_type,
                incident.get_severity_display() if incident.severity else "—",
                incident.reported_at,
                incident.detected_at,
                incident.get_amazon_involved_display(),
                sent_at,
                hours_between(incident.detected_at, sent_at),
                result,
                incident.get_status_display(),
                incident.closed_at,
            ]
        )
        summaries.append(
            [
                incident.reference,
                _clip(incident.description),
                _clip(incident.remediation_actions),
                _clip(incident.corrective_controls),
                ", ".join(f"{r.authority} {r.notified_at:%Y-%m-%d}" for r in incident.regulatory_notifications.all()) or "—",
            ]
        )
        if incident.detected_at > incident.reported_at:
            detected_after_report += 1
        correction_rows.extend(_correction_rows(incident))
        moved_later += sum(1 for correction in incident.detection_corrections.all() if correction.is_later)
        for item in incident.evidence.all():
            attachment = None
            if item.is_file:
                attachment = ctx.attach(
                    item.file,
                    name=f"{incident.reference}-evidence-{item.pk}-{item.original_name or 'file'}",
                    description=f"{incident.reference} evidence {item.pk}: {item.label}",
                    recorded_sha256=item.sha256,
                )
            verified = "—" if item.last_verified_match is None else ("match" if item.last_verified_match else "MISMATCH")
            counted = cast(Any, item)  # custody_count and last_custody_at are annotations, not model fields
            item_rows.append(
                [
                    incident.reference,
                    f"#{item.pk}",
                    item.label,
                    item.get_kind_display(),
                    item.collected_at,
                    counted.custody_count,
                    counted.last_custody_at,
                    Mark(verified, {"match": "met", "MISMATCH": "not_met"}.get(verified, "unknown")),
                    item.sha256 or "—",
                    attachment.path if attachment else "—",
                ]
            )
            custody_rows.extend(_custody_rows(incident, item))
    table = ctx.table(
        title="Incidents detected or open in the period",
        columns=(
            "Incident",
            "Type",
            "Severity",
            "Reported",
            "Detected",
            "Amazon Information",
            "Amazon notified",
            "After",
            "24 h",
            "Status",
            "Closed",
        ),
        rows=rows,
        csv_name="incidents",
        description="DPP 1.6: incidents of the period with report, detection and Amazon notification times",
        empty="No security incident was detected or open in this period.",
    )
    corrections = ctx.table(
        title="Corrections of the detection time (the start of the 24-hour clock)",
        columns=("Incident", "Corrected at", "From", "To", "Change", "By", "One-time code", "Reason"),
        rows=correction_rows,
        csv_name="incident-detection-corrections",
        description="DPP 1.6: every change of an incident's detection time, with who made it and why",
        empty="No detection time was corrected: every clock runs from the time first reported.",
    )
    investigation = ctx.table(
        title="Investigation: description, remediation and corrective controls",
        columns=("Incident", "What happened", "Remediation actions", "Corrective controls", "Authorities notified"),
        rows=summaries,
        csv_name="incident-investigations",
        description="DPP 1.6: the investigation record of each incident of the period",
        limit=SUMMARY_LIMIT,
        empty="No incident to describe.",
    )
    items = ctx.table(
        title="Evidence collected and its chain of custody",
        columns=(
            "Incident",
            "Item",
            "What",
            "Kind",
            "Collected",
            "Custody entries",
            "Last custody entry",
            "Last hash check",
            "SHA-256",
            "File (in the ZIP)",
        ),
        rows=item_rows,
        csv_name="incident-evidence",
        description="DPP 1.6: evidence items of the period's incidents with their custody summary",
        empty="No evidence was collected for these incidents.",
    )
    chain = ctx.table(
        title="Chain of custody",
        columns=("Incident", "Item", "Entry", "Kind", "When", "From", "To", "Purpose", "Recorded by", "Recorded at"),
        rows=custody_rows,
        csv_name="chain-of-custody",
        description="DPP 1.6: every chain-of-custody entry of the period's evidence (names the parties)",
        limit=0,
    )
    facts = [
        ("Incidents detected or open in the period", len(found)),
        ("Amazon notified within 24 hours", Mark(str(results["met"]), "met")),
        ("Notified late", Mark(str(results["not_met"]), "not_met" if results["not_met"] else "met")),
        ("Not required (no Amazon Information involved)", results["closed"]),
        ("Clock still running", results["open"]),
        ("Detection times corrected", f"{len(correction_rows)} ({moved_later} moved later)"),
    ]
    if detected_after_report:
        facts.append(("Detected after it was reported (to check)", Mark(str(detected_after_report), "not_met")))
    if custody_rows:
        facts.append(("Chain-of-custody entries", f"{len(custody_rows)} (every entry in {chain.attachment})"))
    return Evidence(facts=facts, tables=[table, corrections, investigation, items])


def _custody_rows(incident, item) -> list[list]:
    return [
        [
            incident.reference,
            f"#{item.pk}",
            f"#{entry.pk}",
            entry.get_kind_display(),
            entry.at,
            entry.from_party,
            entry.to_party,
            entry.purpose,
            person_name(entry.recorded_by),
            entry.recorded_at,
        ]
        for entry in item.custody.all()
    ]


def _correction_rows(incident) -> list[list]:
    return [
        [
            incident.reference,
            correction.at,
            correction.old_detected_at,
            correction.new_detected_at,
            f"{'later' if correction.is_later else 'earlier'} by {span(correction.shift)}",
            person_name(correction.by),
            correction.stepped_up,
            _clip(correction.reason) or "—",
        ]
        for correction in incident.detection_corrections.all()
    ]
