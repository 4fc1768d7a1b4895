"""Staff acknowledgements (DPP 2.2 "abide by"): a version that requires it asks every active member
of staff, each outstanding acknowledgement is an obligation with reminders, a newer version
supersedes them, people who join later are asked and people who leave are let go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.registry import provider_for
from grc.compliance.reminders import send_one_reminder
from grc.compliance.services import obligations_for, open_obligation
from grc.policies import services
from grc.policies.acknowledgements import KIND, acknowledgement_record, acknowledgements_sync, pending_for
from grc.policies.models import Acknowledgement
from tests.conftest import signed_in
from tests.policies.conftest import NOW
from tests.policies.test_library import approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(lead, manager, other_manager, staff, auditor, make_user):
    inactive = make_user("gone.person")
    inactive.is_active = False
    inactive.save()
    return {"lead": lead, "manager": manager, "other_manager": other_manager, "staff": staff, "auditor": auditor, "inactive": inactive}


def test_approving_a_version_that_requires_it_asks_every_active_member_of_staff(people):
    policy = approved("acceptable_use", people["lead"], people["manager"])
    version = policy.current_version
    asked = {ack.user_id for ack in Acknowledgement.objects.filter(version=version)}
    assert asked == {people[key].pk for key in ("lead", "manager", "other_manager", "staff")}  # not auditors, not inactive
    obligation = open_obligation(KIND, Acknowledgement.objects.get(version=version, user=people["staff"]))
    assert obligation.owner == people["staff"] and obligation.clause == "2.2"
    assert obligation.due_at == NOW + timedelta(days=30) and obligation.url == version.get_absolute_url()
    assert obligation.title == "Acknowledge the acceptable use policy for staff (version 1)"
    event = AuditEvent.objects.get(action="policies.documentversion.acknowledgements_requested")
    assert event.details["count"] == 4 and event.object_id == str(version.pk)


def test_a_version_that_does_not_require_it_asks_nobody(people):
    approved("acceptable_use", people["lead"], people["manager"], requires_acknowledgement=False)
    assert not Acknowledgement.objects.exists() and not Obligation.objects.filter(kind=KIND).exists()


def test_acknowledging_completes_the_obligation_once(people):
    policy = approved("privacy_policy", people["lead"], people["manager"])
    staff = people["staff"]
    ack = acknowledgement_record(version=policy.current_version, user=staff, now=NOW + timedelta(days=3))
    assert ack.acknowledged_at == NOW + timedelta(days=3) and open_obligation(KIND, ack) is None
    done = obligations_for(ack, KIND).get()
    assert done.completed_by == staff and done.status_at(NOW + timedelta(days=3)) == "met"
    again = acknowledgement_record(version=policy.current_version, user=staff, now=NOW + timedelta(days=9))
    assert again.acknowledged_at == NOW + timedelta(days=3)
    assert AuditEvent.objects.filter(action="policies.acknowledgement.acknowledged").count() == 1


def test_a_late_acknowledgement_is_met_late(people):
    policy = approved("privacy_policy", people["lead"], people["manager"])
    ack = acknowledgement_record(version=policy.current_version, user=people["staff"], now=NOW + timedelta(days=45))
    assert obligations_for(ack, KIND).get().status_at(NOW + timedelta(days=45)) == "met_late"


def test_auditors_and_superseded_versions_are_not_acknowledged(people):
    lead, manager = people["lead"], people["manager"]
    policy = approved("privacy_policy", lead, manager)
    old = policy.current_version
    with pytest.raises(ValidationError, match="Auditors"):
        acknowledgement_record(version=old, user=people["auditor"], now=NOW)
    draft = services.version_draft_create(document=policy, by=lead, now=NOW + timedelta(days=1))
    services.version_approve(version=draft, by=manager, step_up_at=NOW + timedelta(days=2), now=NOW + timedelta(days=2))
    with pytest.raises(ValidationError, match="version in force"):
        acknowledgement_record(version=old, user=people["staff"], now=NOW + timedelta(days=3))


def test_a_new_version_supersedes_the_outstanding_acknowledgements_and_asks_again(people):
    lead, manager, staff = people["lead"], people["manager"], people["staff"]
    policy = approved("privacy_policy", lead, manager)
    acknowledgement_record(version=policy.current_version, user=lead, now=NOW + timedelta(days=1))
    old_staff = Acknowledgement.objects.get(version=policy.current_version, user=staff)
    draft = services.version_draft_create(document=policy, by=lead, now=NOW + timedelta(days=5))
    assert draft.requires_acknowledgement  # copied from the version before
    services.version_approve(version=draft, by=manager, step_up_at=NOW + timedelta(days=6), now=NOW + timedelta(days=6))
    old_staff.refresh_from_db()
    assert old_staff.waived_reason == "superseded by version 2" and open_obligation(KIND, old_staff) is None
    assert obligations_for(old_staff, KIND).get().waived_reason == "superseded by version 2"
    assert Acknowledgement.objects.filter(version=draft, acknowledged_at__isnull=True).count() == 4  # the lead acknowledges v2 too
    assert Acknowledgement.objects.get(version=policy.versions.get(number=1), user=lead).acknowledged_at is not None


def test_people_who_join_later_are_asked_and_people_who_leave_are_let_go(people, make_user):
    policy = approved("acceptable_use", people["lead"], people["manager"])
    newcomer = make_user("new.starter")
    staff = people["staff"]
    staff.is_active = False
    staff.save()
    later = NOW + timedelta(days=10)
    assert provider_for(KIND).resync(now=later) == 4  # lead, two managers, the newcomer
    fresh = Acknowledgement.objects.get(version=policy.current_version, user=newcomer)
    assert fresh.requested_at == later and open_obligation(KIND, fresh).due_at == later + timedelta(days=30)
    left = Acknowledgement.objects.get(version=policy.current_version, user=staff)
    assert left.waived_reason == "no longer an active member of staff" and open_obligation(KIND, left) is None
    staff.is_active = True
    staff.save()
    acknowledgements_sync(now=later + timedelta(days=1))
    left.refresh_from_db()
    assert left.is_outstanding and open_obligation(KIND, left) is not None


def test_the_resync_reopens_a_lost_obligation(people):
    policy = approved("acceptable_use", people["lead"], people["manager"])
    Obligation.objects.filter(kind=KIND).delete()
    acknowledgements_sync(now=NOW + timedelta(days=1))
    ack = Acknowledgement.objects.get(version=policy.current_version, user=people["staff"])
    assert open_obligation(KIND, ack).due_at == NOW + timedelta(days=30)


def test_reminders_go_to_the_person_only(people, settings):
    settings.REMINDER_DIGEST_HOUR = 24
    policy = approved("acceptable_use", people["lead"], people["manager"])
    ack = Acknowledgement.objects.get(version=policy.current_version, user=people["staff"])
    obligation = open_obligation(KIND, ack)
    assert list(provider_for(KIND).recipients(obligation)) == []
    assert send_one_reminder(obligation, obligation.due_at) is True  # the breach milestone
    assert [message.to for message in mail.outbox] == [[people["staff"].email]]  # no escalation to the leads


def test_pending_for_lists_what_a_person_still_has_to_acknowledge(people):
    privacy = approved("privacy_policy", people["lead"], people["manager"])
    approved("acceptable_use", people["lead"], people["manager"])
    approved("access_control", people["lead"], people["manager"], requires_acknowledgement=False)
    staff = people["staff"]
    assert [v.document.type.code for v in pending_for(staff, NOW)] == ["privacy_policy", "acceptable_use"]
    acknowledgement_record(version=privacy.current_version, user=staff, now=NOW)
    assert [v.document.type.code for v in pending_for(staff, NOW)] == ["acceptable_use"]
    assert pending_for(people["auditor"], NOW) == []


# --- pages ----------------------------------------------------------------------------------------
@pytest.fixture
def live_policy(lead, manager, staff, other_manager):
    """A privacy policy approved just now (real time, for pages)."""
    return approved("privacy_policy", lead, manager, at=timezone.now())


def test_staff_see_what_to_acknowledge_and_acknowledge_it(client, live_policy, staff):
    signed_in(client, staff)
    index = client.get(reverse("policies:index")).content.decode()
    assert 'data-testid="to-acknowledge"' in index and "Privacy and data-handling policy" in index
    mine = client.get(reverse("policy_library:my_acknowledgements"))
    assert [v.pk for v in mine.context["pending"]] == [live_policy.current_version_id]
    page = client.get(live_policy.current_version.get_absolute_url()).content.decode()
    assert 'data-testid="acknowledge-panel"' in page
    url = reverse("policy_library:acknowledge", args=[live_policy.current_version_id])
    assert client.post(url, {}).status_code == 302  # without the tick: nothing recorded
    assert not Acknowledgement.objects.filter(user=staff, acknowledged_at__isnull=False).exists()
    response = client.post(url, {"confirm": "on", "next": "mine"})
    assert response.status_code == 302 and response.url == reverse("policy_library:my_acknowledgements")
    assert Acknowledgement.objects.get(user=staff, version=live_policy.current_version).acknowledged_at is not None
    assert client.get(reverse("policy_library:my_acknowledgements")).context["pending"] == []
    assert 'data-testid="acknowledged"' in client.get(live_policy.current_version.get_absolute_url()).content.decode()


def test_the_lead_sees_who_has_not_acknowledged(client, live_policy, lead, staff):
    page = signed_in(client, lead).get(live_policy.current_version.get_absolute_url()).content.decode()
    assert 'data-testid="acknowledgements"' in page and "Acknowledged by 0 of 4" in page
    assert staff.get_full_name() in page
    staff_page = signed_in(Client(), staff).get(live_policy.current_version.get_absolute_url()).content.decode()
    assert 'data-testid="acknowledgements"' not in staff_page  # staff see only their own state


LIBRARY_URLS = {
    # name: (method, lead, manager, staff, auditor)
    "my_acknowledgements": ("get", 200, 200, 200, 403),
    "acknowledge": ("post", 302, 302, 302, 403),
    "version_file": ("get", 404, 404, 404, 404),  # everyone reads; this version has no file
}


def test_every_library_page_declares_its_roles(live_policy, lead, manager, staff, auditor):
    from grc.policies import library_urls

    assert {p.name for p in library_urls.urlpatterns} == set(LIBRARY_URLS)
    for pattern in library_urls.urlpatterns:
        assert getattr(pattern.callback, "allowed_roles", None), pattern.name
    version = live_policy.current_version_id
    for name, (method, *expected) in LIBRARY_URLS.items():
        url = reverse(f"policy_library:{name}", args=[] if name == "my_acknowledgements" else [version])
        for user, status in zip((lead, manager, staff, auditor), expected, strict=True):
            assert getattr(signed_in(Client(), user), method)(url, {"confirm": "on"}).status_code == status, (name, user.role)
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("accounts:login"))


def test_the_draft_form_sets_values_acknowledgement_and_file(client, lead, manager, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grc.policies.catalogue import document_types_ensure
    from grc.policies.models import DocumentType

    settings.MEDIA_ROOT = tmp_path
    document_types_ensure()
    type_ = DocumentType.objects.get(code="backup_restore")
    document = services.document_create(type=type_, title="Backup plan", owner=lead, approver=manager, by=lead, now=timezone.now())
    draft = document.versions.get()
    data = {f"section_{s['key']}": "Written." for s in type_.sections} | {
        "field_rto_hours": "4",
        "field_rpo_hours": "",
        "requires_acknowledgement": "on",
        "change_summary": "First",
        "file": SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan"),
    }
    response = signed_in(client, lead).post(reverse("policies:version_edit", args=[draft.pk]), data, follow=True)
    assert "fill in: Recovery point objective (RPO)." in response.content.decode()
    draft.refresh_from_db()
    assert draft.values == {"rto_hours": 4.0, "rpo_hours": None} and draft.requires_acknowledgement and draft.file_name == "plan.pdf"
    bad = client.post(reverse("policies:version_edit", args=[draft.pk]), {**data, "field_rpo_hours": "-3", "file": ""})
    assert bad.status_code == 200 and 'data-field-error="field_rpo_hours"' in bad.content.decode()
