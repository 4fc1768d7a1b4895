"""Auditor access: time-boxed and scoped grants drive the account's access window, every page view
and download is audited, the auditor lands on the auditor home, and after the last day the
auditor gets nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.middleware import PAGE_VIEW_ACTION
from grc.evidence.models import AuditorGrant
from grc.evidence.services.grants import current_grant, grant_revoke, grants_end_expired
from tests.evidence.conftest import build_pack, client_for, sha256

pytestmark = pytest.mark.django_db


def test_a_grant_sets_the_auditors_access_window_to_whole_days(auditor, grant):
    given = grant(auditor, days=10)
    auditor.refresh_from_db()
    assert (auditor.access_starts_at, auditor.access_expires_at) == (given.starts_at, given.ends_at)
    assert given.ends_at - given.starts_at == timedelta(days=10)
    assert AuditEvent.objects.filter(action="evidence.grant.created", object_id=str(given.pk)).exists()
    assert AuditEvent.objects.filter(action="accounts.user.updated", object_id=str(auditor.pk)).exists()


def test_only_auditor_accounts_get_a_grant_and_it_is_time_boxed(manager, auditor, lead):
    from grc.evidence.services.grants import grant_create

    today = timezone.localdate()
    common = {"clauses": [], "purpose": "audit", "by": lead, "now": timezone.now()}
    with pytest.raises(ValidationError) as error:
        grant_create(auditor=manager, starts_on=today, ends_on=today, **common)
    assert "auditor" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        grant_create(auditor=auditor, starts_on=today, ends_on=today + timedelta(days=400), **common)
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError):
        grant_create(auditor=auditor, starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=2), **common)
    assert not AuditorGrant.objects.exists()


def test_the_auditor_lands_on_the_auditor_home_after_signing_in(auditor_with_access, lead):
    auditor = client_for(auditor_with_access)
    landing = auditor.get(reverse("compliance:dashboard"), HTTP_REFERER="http://testserver/accounts/verify/?next=/")
    assert landing.status_code == 302 and landing["Location"] == reverse("evidence:index")
    assert auditor.get(reverse("compliance:dashboard")).status_code == 200  # later visits: the dashboard as usual
    home = auditor.get(reverse("evidence:index"))
    assert home.status_code == 200 and "Auditor home" in home.content.decode()
    assert 'data-testid="auditor-status"' in home.content.decode()
    lead_landing = client_for(lead).get(reverse("compliance:dashboard"), HTTP_REFERER="http://testserver/accounts/verify/")
    assert lead_landing.status_code == 200


def test_every_page_the_auditor_opens_and_every_download_is_audited(auditor_with_access, lead):
    pack = build_pack(by=lead, clauses=["3"])
    auditor = client_for(auditor_with_access)
    before = AuditEvent.objects.count()
    assert auditor.get(reverse("evidence:index")).status_code == 200
    assert auditor.get(reverse("assets:index")).status_code == 200
    assert auditor.get(pack.get_absolute_url()).status_code == 200
    download = auditor.get(reverse("evidence:pack_download", args=[pack.pk, "pdf"]))
    assert sha256(b"".join(download.streaming_content)) == pack.pdf_sha256
    events = list(AuditEvent.objects.filter(pk__gt=0, actor_id=auditor_with_access.pk).order_by("id"))[-6:]
    views = [e.object_id for e in events if e.action == PAGE_VIEW_ACTION]
    assert views == ["evidence:index", "assets:index", "evidence:pack_detail"]
    assert any(e.action == "evidence.evidencepack.viewed" for e in events)
    downloads = [e for e in events if e.action == "download"]
    assert len(downloads) == 1 and downloads[0].object_id == str(pack.pk) and downloads[0].details["what"] == "evidence_pack_pdf"
    assert AuditEvent.objects.count() > before
    lead_client = client_for(lead)
    lead_client.get(reverse("evidence:index"))
    assert not AuditEvent.objects.filter(action=PAGE_VIEW_ACTION, actor_id=lead.pk).exists()


def test_after_the_last_day_the_auditor_gets_nothing(auditor, grant, lead, time_machine):
    pack = build_pack(by=lead, clauses=["3"], include_zip=False)
    given = grant(auditor, days=3)
    auditor_client = client_for(auditor)
    assert auditor_client.get(reverse("evidence:pack_download", args=[pack.pk, "pdf"])).status_code == 200
    time_machine.move_to(given.ends_at + timedelta(minutes=1), tick=False)
    for url in (reverse("evidence:index"), pack.get_absolute_url(), reverse("evidence:pack_download", args=[pack.pk, "pdf"])):
        response = client_for(auditor).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url
    assert grants_end_expired(now=timezone.now()) == 1
    assert grants_end_expired(now=timezone.now()) == 0  # recorded once
    assert AuditEvent.objects.filter(action="evidence.grant.ended", object_id=str(given.pk)).count() == 1


def test_the_evidence_pages_need_a_current_grant_even_inside_the_accounts_window(auditor, lead):
    pack = build_pack(by=lead, clauses=["3"], include_zip=False)
    auditor_client = client_for(auditor)  # the account's own window is open (set at invitation), but no grant
    assert auditor_client.get(reverse("evidence:index")).status_code == 403
    assert auditor_client.get(reverse("evidence:pack_download", args=[pack.pk, "pdf"])).status_code == 403
    assert AuditEvent.objects.filter(action="accounts.permission_denied", actor_id=auditor.pk).exists()


def test_a_scheduled_grant_opens_on_its_first_day_and_a_revoked_one_ends_now(auditor, grant, lead, time_machine):
    later = grant(auditor, days=5, starts_in=3)
    auditor.refresh_from_db()
    assert auditor.access_starts_at == later.starts_at
    assert client_for(auditor).get(reverse("evidence:index")).status_code == 302  # before its first day
    time_machine.move_to(later.starts_at + timedelta(hours=1), tick=False)
    assert client_for(auditor).get(reverse("evidence:index")).status_code == 200
    assert grant_revoke(grant=later, by=lead, now=timezone.now())
    auditor.refresh_from_db()
    assert auditor.access_expires_at == timezone.now()
    assert client_for(auditor).get(reverse("evidence:index")).status_code == 302
    assert current_grant(auditor, timezone.now()) is None
    assert not grant_revoke(grant=later, by=lead, now=timezone.now())


def test_a_scoped_auditor_sees_only_packs_within_their_clauses(auditor, grant, lead):
    grant(auditor, clauses=["2.6", "3"])
    inside = build_pack(by=lead, clauses=["3"], include_zip=False)
    outside = build_pack(by=lead, clauses=[], include_zip=False, days=2)
    auditor_client = client_for(auditor)
    listing = auditor_client.get(reverse("evidence:pack_list"))
    assert [p.pk for p in listing.context["table"].rows] == [inside.pk]
    assert auditor_client.get(outside.get_absolute_url()).status_code == 404
    assert auditor_client.get(reverse("evidence:pack_download", args=[outside.pk, "pdf"])).status_code == 404
    form = listing.context["form"]
    assert [value for value, _label in form.fields["clauses"].choices] == ["2.6", "3"]


def test_a_scoped_auditor_asking_for_the_whole_dpp_gets_their_scope(auditor, grant, django_capture_on_commit_callbacks):
    from grc.evidence.models import EvidencePack

    grant(auditor, clauses=["2.6", "3"])
    auditor_client = client_for(auditor)
    with django_capture_on_commit_callbacks(execute=False):
        response = auditor_client.post(reverse("evidence:pack_create"), {"preset": "last_quarter"})
        forbidden = auditor_client.post(reverse("evidence:pack_create"), {"preset": "last_quarter", "clauses": ["1.2"]})
    assert response.status_code == 302
    assert EvidencePack.objects.get().clauses == ["2.6", "3"]
    assert forbidden.status_code == 200 and "clauses" in forbidden.context["form"].errors


def test_the_lead_grants_and_revokes_access_on_the_page(lead_client, auditor):
    today = timezone.localdate()
    response = lead_client.post(
        reverse("evidence:grant_create"),
        {
            "auditor": auditor.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=14)).isoformat(),
            "clauses": ["1.2", "2.6"],
            "purpose": "Amazon DPP assessment",
        },
    )
    assert response.status_code == 302
    given = AuditorGrant.objects.get()
    assert given.clauses == ["1.2", "2.6"] and given.granted_by.is_security_lead
    page = lead_client.get(reverse("evidence:grant_list")).content.decode()
    assert "DPP 1.2, 2.6" in page and "Revoke" in page
    assert lead_client.post(reverse("evidence:grant_revoke", args=[given.pk])).status_code == 302
    given.refresh_from_db()
    assert given.revoked_at is not None


def test_a_progress_poll_is_part_of_the_page_not_a_page_view_of_its_own(auditor_with_access, lead):
    pack = build_pack(by=lead, clauses=["3"], include_zip=False)
    auditor = client_for(auditor_with_access)
    auditor.get(reverse("evidence:pack_progress", args=[pack.pk]), HTTP_HX_REQUEST="true")
    assert not AuditEvent.objects.filter(action=PAGE_VIEW_ACTION, object_id="evidence:pack_progress").exists()
    auditor.get(pack.get_absolute_url())
    viewed = AuditEvent.objects.get(action=PAGE_VIEW_ACTION, object_id="evidence:pack_detail")
    assert viewed.details == {"path_args": {"pk": str(pack.pk)}} and viewed.actor_id == auditor_with_access.pk
