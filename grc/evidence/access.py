"""Who may see which evidence record (one helper per object type; outsiders get 404).

* Security leads see and do everything.
* Auditors need a current grant (``auditor_grant_required``; 403, audited, otherwise — and the
  account policy middleware signs them out once the grant's end has passed). They see the packs
  whose scope lies within their grant's scope, and the audits of their grant (its linked audit,
  or every audit when DPP 3 is in their scope).
* Managers read audits and findings; a finding's owner (any workforce role) works on it.
"""

from __future__ import annotations

from functools import wraps

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from grc.accounts.models import Role
from grc.accounts.permissions import deny
from grc.evidence.clauses import scope_clauses, scope_within
from grc.evidence.models import Audit, AuditFinding, AuditorGrant, EvidencePack
from grc.evidence.services.grants import current_grant


def auditor_grant_required(view):
    """For auditors: only with a current grant (set on ``request.auditor_grant``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.auditor_grant = None
        if request.user.role == Role.AUDITOR:
            grant = current_grant(request.user, timezone.now())
            if grant is None:
                raise deny(request, "no current auditor grant")
            request.auditor_grant = grant
        return view(request, *args, **kwargs)

    for name in ("allowed_roles", "step_up"):
        if hasattr(view, name):
            setattr(wrapper, name, getattr(view, name))
    return wrapper


def grant_of(request) -> AuditorGrant | None:
    return getattr(request, "auditor_grant", None)


def visible_packs(request) -> QuerySet[EvidencePack]:
    packs = EvidencePack.objects.select_related("requested_by")
    grant = grant_of(request)
    if request.user.role != Role.AUDITOR:
        return packs
    if grant is None:
        return packs.none()
    if not grant.clauses:
        return packs
    ids = [pk for pk, clauses in EvidencePack.objects.values_list("pk", "clauses") if scope_within(clauses, grant.clauses)]
    return packs.filter(pk__in=ids)


def get_pack_for(request, pk: int) -> EvidencePack:
    pack = visible_packs(request).filter(pk=pk).first()
    if pack is None:
        raise Http404("No such evidence pack.")
    return pack


def audits_q(request) -> Q:
    user = request.user
    if user.role in (Role.SECURITY_LEAD, Role.MANAGER):
        return Q()
    grant = grant_of(request)
    if user.role == Role.AUDITOR and grant is not None:
        if "3" in scope_clauses(grant.clauses):
            return Q()
        return Q(pk=grant.audit_id) if grant.audit_id else Q(pk__in=[])
    return Q(findings__owner=user)


def visible_audits(request) -> QuerySet[Audit]:
    return Audit.objects.filter(audits_q(request)).distinct()


def get_audit_for(request, pk: int) -> tuple[Audit, bool]:
    """The audit and whether the user may change it (security leads only)."""
    audit = visible_audits(request).filter(pk=pk).first()
    if audit is None:
        raise Http404("No such audit.")
    return audit, request.user.is_security_lead


def get_finding_for(request, pk: int) -> tuple[AuditFinding, bool]:
    """The finding and whether the user may work on it (its owner or a security lead)."""
    finding = AuditFinding.objects.select_related("audit", "owner", "remediated_by").filter(pk=pk).first()
    if finding is None:
        raise Http404("No such finding.")
    user = request.user
    can_work = user.is_security_lead or finding.owner_id == user.pk
    if can_work or (user.role in (Role.MANAGER, Role.AUDITOR) and visible_audits(request).filter(pk=finding.audit_id).exists()):
        return finding, can_work and not finding.audit.is_closed
    raise Http404("No such finding.")
