"""Who may see and do what with an incident (STYLE habit 6): one helper per object type.

* The security lead, managers and auditors read every incident (auditors only read).
* Staff see the incidents they reported (and any they own), with what they wrote and the
  workflow status, not the evidence or the notification.
* The security lead triages, notifies Amazon, records regulatory notifications and closes.
  The incident's owner (set at triage) writes the investigation, moves the workflow on up to
  "recovered" and handles evidence.
* Evidence files are downloaded by the lead, the owner and auditors — every download audited.

Outsiders get 404 (they cannot learn that an id exists); forbidden actions get 403 in the views.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from grc.accounts.models import Role
from incidents.models import EvidenceItem, Incident

FULL_READERS = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)


@dataclass(frozen=True)
class IncidentAccess:
    full_view: bool  # evidence, notifications, investigation texts
    can_triage: bool
    can_edit: bool  # investigation texts, workflow steps up to recovered, evidence
    can_notify: bool
    can_close: bool
    can_download: bool
    can_handle_evidence: bool  # custody entries and hash checks: also after closing (custody goes on)


def incidents_visible_to(user) -> QuerySet[Incident]:
    queryset = Incident.objects.all()
    if user.role in FULL_READERS:
        return queryset
    return queryset.filter(Q(reported_by=user) | Q(owner=user))


def access_for(user, incident: Incident) -> IncidentAccess:
    lead = user.role == Role.SECURITY_LEAD
    owner = incident.owner_id is not None and incident.owner_id == user.pk and user.role != Role.AUDITOR
    is_open = not incident.is_closed
    return IncidentAccess(
        full_view=user.role in FULL_READERS or owner,
        can_triage=lead and is_open,
        can_edit=(lead or owner) and is_open,
        can_notify=lead,
        can_close=lead and is_open,
        can_download=lead or owner or user.role == Role.AUDITOR,
        can_handle_evidence=lead or owner,
    )


def get_incident_for(user, pk: int) -> tuple[Incident, IncidentAccess]:
    incident = (
        incidents_visible_to(user)
        .select_related("reported_by", "owner", "triaged_by", "closed_by", "amazon_notification__sent_by")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise Http404("No such incident")
    return incident, access_for(user, incident)


def get_evidence_for(user, pk: int) -> tuple[EvidenceItem, IncidentAccess]:
    evidence = EvidenceItem.objects.select_related("incident__owner", "collected_by", "recorded_by").filter(pk=pk).first()
    if evidence is None or not incidents_visible_to(user).filter(pk=evidence.incident_id).exists():
        raise Http404("No such evidence")
    access = access_for(user, evidence.incident)
    if not access.full_view:
        raise Http404("No such evidence")
    return evidence, access
