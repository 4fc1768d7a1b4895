"""Who gets into which evidence page: every URL of the app is walked with each role (a new view
cannot be left unchecked), and the main lists run a fixed number of queries for 10 or 500 rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grc.evidence import urls as evidence_urls
from grc.evidence.models import AuditorGrant, EvidencePack, PackStatus
from grc.evidence.services.audits import approval_record, audit_create, evidence_add, finding_create, finding_remediate
from grc.evidence.services.letters import letter_sign
from tests.evidence.conftest import build_pack, client_for
from tests.evidence.test_audits import upload

pytestmark = pytest.mark.django_db

L, M, S, A, X, ANON = "lead", "manager", "staff", "auditor", "auditor_without_grant", "anonymous"
ROLES = (L, M, S, A, X)
LEAD_AUDITOR = {L: 200, M: 403, S: 403, A: 200, X: 403}
READERS = {L: 200, M: 200, S: 403, A: 200, X: 403}
LEAD_ONLY = {L: 200, M: 403, S: 403, A: 403, X: 403}
EXPECTED = {
    "index": {L: 200, M: 200, S: 200, A: 200, X: 403},
    "pack_list": LEAD_AUDITOR,
    "pack_create": LEAD_AUDITOR,
    "pack_detail": LEAD_AUDITOR,
    "pack_progress": LEAD_AUDITOR,
    "pack_download": LEAD_AUDITOR,
    "verify": LEAD_AUDITOR,
    "letter_list": LEAD_AUDITOR,
    "letter_download": LEAD_AUDITOR,
    "letter_sign": {L: 302, M: 403, S: 403, A: 403, X: 403},  # the lead is sent for a fresh code first
    "grant_list": LEAD_ONLY,
    "grant_create": LEAD_ONLY,
    "grant_revoke": {L: 302, M: 403, S: 403, A: 403, X: 403},
    "audit_list": READERS,
    "audit_detail": READERS,
    "approval_download": READERS,
    "audit_create": LEAD_ONLY,
    "audit_edit": LEAD_ONLY,
    "finding_create": LEAD_ONLY,
    "approval_create": LEAD_ONLY,
    "audit_close": {L: 302, M: 403, S: 403, A: 403, X: 403},
    "finding_detail": {L: 200, M: 200, S: 404, A: 200, X: 403},
    "finding_edit": LEAD_ONLY,
    "evidence_download": {L: 200, M: 200, S: 404, A: 200, X: 403},
    "evidence_upload": {L: 302, M: 403, S: 404, A: 403, X: 403},
    "finding_remediate": {L: 302, M: 403, S: 404, A: 403, X: 403},
    "finding_reopen": {L: 302, M: 403, S: 403, A: 403, X: 403},
}
POSTS = {"grant_revoke", "evidence_upload", "finding_remediate", "finding_reopen"}


@pytest.fixture
def world(lead, manager, staff, auditor, make_user, grant):
    now = timezone.now()
    no_grant = make_user("xavier.auditor", "auditor")
    grant(auditor)
    pack = build_pack(by=lead, clauses=["3"], include_zip=False)
    audit_data = {
        "title": "Assessment",
        "kind": "amazon",
        "reference": "",
        "auditor_organisation": "Amazon",
        "auditor_contact": "",
        "starts_on": timezone.localdate(),
        "ends_on": None,
        "clauses": [],
        "scope_note": "",
        "status": "in_progress",
    }
    closed_side = audit_create(data=audit_data, by=lead, now=now)
    finding_data = {
        "clause": "1.4",
        "title": "MFA",
        "severity": "high",
        "description": "",
        "remediation_action": "Enforce MFA",
        "owner": lead,
        "due_on": timezone.localdate() + timedelta(days=5),
    }
    done = finding_create(audit=closed_side, data=finding_data, by=lead, now=now)
    item = evidence_add(finding=done, upload=upload(), description="policy", by=lead, now=now)
    finding_remediate(finding=done, note="done", by=lead, now=now)
    approval = approval_record(
        audit=closed_side,
        data={"approver_name": "A. Auditor", "approver_organisation": "Amazon", "approved_on": timezone.localdate(), "statement": "ok"},
        upload=upload("approval.pdf"),
        by=lead,
        now=now,
    )
    open_side = audit_create(data=audit_data, by=lead, now=now)
    open_finding = finding_create(audit=open_side, data=finding_data, by=lead, now=now)
    letter = letter_sign(data={"addressed_to": "Amazon"}, by=lead, step_up_at=now, now=now)
    a_grant = AuditorGrant.objects.get(auditor=auditor)
    args = {
        "pack_detail": [pack.pk],
        "pack_progress": [pack.pk],
        "pack_download": [pack.pk, "pdf"],
        "letter_download": [letter.pk],
        "grant_revoke": [a_grant.pk],
        "audit_detail": [open_side.pk],
        "approval_download": [approval.pk],
        "audit_edit": [open_side.pk],
        "finding_create": [open_side.pk],
        "approval_create": [closed_side.pk],
        "audit_close": [closed_side.pk],
        "finding_detail": [open_finding.pk],
        "finding_edit": [open_finding.pk],
        "evidence_download": [item.pk],
        "evidence_upload": [open_finding.pk],
        "finding_remediate": [open_finding.pk],
        "finding_reopen": [open_finding.pk],
    }
    users = {L: lead, M: manager, S: staff, A: auditor, X: no_grant}
    return users, args


def test_every_url_of_the_app_is_in_the_matrix():
    names = {pattern.name for pattern in evidence_urls.urlpatterns}
    assert names == set(EXPECTED)


def test_each_role_gets_what_the_matrix_says(world, client):
    users, args = world
    for name, expected in EXPECTED.items():
        url = reverse(f"evidence:{name}", args=args.get(name, []))
        assert client.get(url).status_code == 302 and name  # anonymous: to the login page
        for role in ROLES:
            if name == "grant_revoke" and role == L:
                continue  # revoking changes the world: checked last
            browser = client_for(users[role])
            response = browser.post(url, {}) if name in POSTS else browser.get(url)
            assert response.status_code == expected[role], (name, role, response.status_code)
    browser = client_for(users[L])
    assert browser.post(reverse("evidence:grant_revoke", args=args["grant_revoke"])).status_code == 302


def test_the_lists_run_a_fixed_number_of_queries_at_any_size(lead, auditor, grant, django_assert_num_queries):
    grant(auditor)
    lead_browser = client_for(lead)

    def make_packs(n: int):
        today = timezone.localdate()
        EvidencePack.objects.bulk_create(
            EvidencePack(period_start=today, period_end=today, status=PackStatus.READY, pdf_sha256=f"{i:064x}", requested_by=lead)
            for i in range(n)
        )

    def make_grants(n: int):
        start = timezone.now()
        AuditorGrant.objects.bulk_create(
            AuditorGrant(
                auditor=auditor,
                starts_on=start.date(),
                ends_on=start.date(),
                starts_at=start - timedelta(days=400 + i),
                ends_at=start - timedelta(days=399 + i),
                purpose="old",
                granted_by=lead,
                revoked_at=start,
            )
            for i in range(n)
        )

    def make_audits(n: int):
        from grc.evidence.models import Audit

        Audit.objects.bulk_create(
            Audit(title=f"A{i}", auditor_organisation="Amazon", starts_on=timezone.localdate(), created_by=lead) for i in range(n)
        )

    counts = {}
    for name, make in (("pack_list", make_packs), ("grant_list", make_grants), ("audit_list", make_audits)):
        make(10)
        with CaptureQueriesContext(connection) as small:
            assert lead_browser.get(reverse(f"evidence:{name}")).status_code == 200
        make(490)
        with django_assert_num_queries(len(small.captured_queries)):
            assert lead_browser.get(reverse(f"evidence:{name}")).status_code == 200
        counts[name] = len(small.captured_queries)
    assert counts["pack_list"] <= 12 and counts["grant_list"] <= 12 and counts["audit_list"] <= 12, counts
