"""The incident workflow as pure rules (no database): reported → triaged → contained →
eradicated → recovered → closed, one step at a time, and what closing needs.

DPP 1.6: every Security Incident is investigated and its description, remediation actions and
corrective process/system controls are documented; Amazon is notified (or it is recorded why
Amazon Information was not involved). ``close_blockers`` says, in words, what is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass

ORDER = ("reported", "triaged", "contained", "eradicated", "recovered", "closed")
LABELS = {
    "triaged": "Triage",
    "contained": "Mark as contained",
    "eradicated": "Mark as eradicated",
    "recovered": "Mark as recovered",
    "closed": "Close the incident",
}


@dataclass(frozen=True)
class IncidentFacts:
    status: str
    description: str = ""
    remediation_actions: str = ""
    corrective_controls: str = ""
    amazon_involved: str = "unknown"  # yes / no / unknown
    amazon_not_involved_reason: str = ""
    amazon_notified: bool = False
    triaged: bool = False  # type, severity and owner set


def next_status(status: str) -> str | None:
    index = ORDER.index(status)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def close_blockers(facts: IncidentFacts) -> list[str]:
    """What must be documented before the incident can be closed (empty list: it can)."""
    missing = []
    if not facts.description.strip():
        missing.append("a description of what happened")
    if not facts.remediation_actions.strip():
        missing.append("the remediation actions")
    if not facts.corrective_controls.strip():
        missing.append("the corrective process/system controls implemented to prevent recurrence")
    if facts.amazon_involved == "no":
        if not facts.amazon_not_involved_reason.strip():
            missing.append("the reason Amazon Information was not involved")
    elif not facts.amazon_notified:
        if facts.amazon_involved == "unknown":
            missing.append("the Amazon notification, or a triage decision that Amazon Information was not involved (with the reason)")
        else:
            missing.append("the record of the notification to Amazon")
    return missing


def advance_blockers(facts: IncidentFacts, target: str) -> list[str]:
    """Why the incident cannot move to ``target`` now (empty list: it can)."""
    if target not in ORDER:
        return [f"{target} is not a step of the workflow"]
    if facts.status == "closed":
        return ["the incident is closed"]
    expected = next_status(facts.status)
    if target != expected:
        return [f"the next step after {facts.status} is {expected}, not {target}"]
    if target == "triaged":
        return [] if facts.triaged else ["the triage (type, severity, Amazon involvement and owner)"]
    if not facts.triaged:
        return ["the triage (type, severity, Amazon involvement and owner)"]
    if target == "closed":
        return close_blockers(facts)
    return []
