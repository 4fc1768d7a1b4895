"""The evidence home: the security lead's overview, the auditor home, or a person's own findings."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, role_required
from grc.compliance.selectors import requirement_statuses
from grc.evidence.access import auditor_grant_required, grant_of, visible_audits, visible_packs
from grc.evidence.clauses import scope_clauses
from grc.evidence.forms import PackForm
from grc.evidence.models import AuditFinding, AuditorGrant, AuditStatus, CertificationLetter, FindingStatus
from grc.evidence.retention import retention_words

HOME_ROWS = 8
AUDITOR_LINKS = [
    ("access_reviews:campaign_list", "Access review campaigns", "1.2"),
    ("assets:index", "Asset inventory", "2.3"),
    ("assets:record_of_processing", "Record of processing", "2.2"),
    ("assets:vulnerabilities", "Vulnerability management", "2.7"),
    ("assets:deletions", "Deletion requests", "1.7"),
    ("incidents:index", "Incidents", "1.6"),
    ("policies:index", "Policy library", "1.6"),
    ("audit:index", "Audit trail", "2.6"),
    ("compliance:catalogue", "DPP catalogue", ""),
]


@role_required(*EVERYONE)
@auditor_grant_required
def index(request):
    role = request.user.role
    if role == Role.AUDITOR:
        return auditor_home(request)
    if role == Role.SECURITY_LEAD:
        return lead_home(request)
    return workforce_home(request)


def _own_findings(user):
    return (
        AuditFinding.objects.filter(owner=user, status=FindingStatus.OPEN).select_related("audit").order_by("due_at", "pk")[: HOME_ROWS * 3]
    )


def lead_home(request):
    now = timezone.now()
    grants = (
        AuditorGrant.objects.filter(revoked_at__isnull=True, ends_at__gt=now).select_related("auditor").order_by("starts_at")[:HOME_ROWS]
    )
    audits = (
        visible_audits(request)
        .exclude(status=AuditStatus.CLOSED)
        .annotate(n_open=Count("findings", filter=Q(findings__status=FindingStatus.OPEN)), n_findings=Count("findings"))
        .order_by("-starts_on")[:HOME_ROWS]
    )
    context = {
        "now": now,
        "packs": list(visible_packs(request)[:HOME_ROWS]),
        "form": PackForm(today=timezone.localdate()),
        "grants": list(grants),
        "audits": list(audits),
        "letters": list(CertificationLetter.objects.select_related("signed_by")[:3]),
        "books": retention_words(now),
        "evidence_tab": "home",
    }
    return render(request, "evidence/home_lead.html", context)


def auditor_home(request):
    now = timezone.now()
    grant = grant_of(request)
    assert grant is not None  # auditor_grant_required: an auditor reaches this page only with a current grant
    in_scope = set(scope_clauses(grant.clauses))
    rows = [row for row in requirement_statuses(now) if row.requirement.clause in in_scope]
    links = [
        (name, label, clause) for name, label, clause in AUDITOR_LINKS if not clause or clause in in_scope or name == "compliance:catalogue"
    ]
    context = {
        "now": now,
        "grant": grant,
        "packs": list(visible_packs(request)[:HOME_ROWS]),
        "form": PackForm(today=timezone.localdate(), scope=grant.clauses),
        "rows": rows,
        "links": links,
        "audits": list(visible_audits(request).order_by("-starts_on")[:HOME_ROWS]),
        "evidence_tab": "home",
    }
    return render(request, "evidence/home_auditor.html", context)


def workforce_home(request):
    context = {
        "findings": list(_own_findings(request.user)),
        "show_audits": request.user.role == Role.MANAGER,
        "evidence_tab": "home",
    }
    return render(request, "evidence/home_workforce.html", context)
