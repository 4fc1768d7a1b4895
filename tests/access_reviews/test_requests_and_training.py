"""Access requests (DPP 1.2 registration, 1.3 need-to-know) and training records (DPP 1.1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access_reviews.models import Account, TrainingRecord
from access_reviews.obligations import check_training
from access_reviews.services.requests import access_request_create, access_request_decide, access_request_grant
from access_reviews.services.training import training_record_create
from grc.compliance.services import open_obligation
from grc.timefmt import add_months
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in


@pytest.fixture
def order_db(registry, manager):
    return registry.system("Order DB", owner=manager)


def request_for(registry, order_db, lead, approver):
    return access_request_create(
        requester=registry.staff,
        system=order_db,
        privilege="support-agent",
        privileged=False,
        justification="answers order queries",
        approver=approver,
        by=lead,
        now=NOW,
    )


def test_the_approver_is_the_system_owner_or_the_manager_never_the_person(registry, order_db, lead, staff, other_manager):
    with pytest.raises(ValidationError):
        request_for(registry, order_db, lead, other_manager)
    with pytest.raises(ValidationError):
        request_for(registry, order_db, lead, staff)


def test_only_the_named_approver_decides_and_the_decision_has_a_time(registry, order_db, lead, manager):
    access_request = request_for(registry, order_db, lead, manager)
    with pytest.raises(PermissionDenied):
        access_request_decide(access_request=access_request, approve=True, note="", by=lead, now=NOW)
    access_request_decide(access_request=access_request, approve=True, note="", by=manager, now=NOW + timedelta(hours=1))
    assert (access_request.status, access_request.decided_at, access_request.decided_by) == ("approved", NOW + timedelta(hours=1), manager)


def test_a_rejection_needs_a_reason(registry, order_db, lead, manager):
    access_request = request_for(registry, order_db, lead, manager)
    with pytest.raises(ValidationError):
        access_request_decide(access_request=access_request, approve=False, note=" ", by=manager, now=NOW)


def test_granting_links_the_account_and_clears_its_no_request_flag(registry, order_db, lead, manager):
    account = registry.account(order_db, "lee.wong", registry.staff)
    assert account.flag_no_request
    access_request = request_for(registry, order_db, lead, manager)
    with pytest.raises(ValidationError):
        access_request_grant(access_request=access_request, account=account, by=manager, now=NOW)  # not approved yet
    access_request_decide(access_request=access_request, approve=True, note="", by=manager, now=NOW)
    access_request_grant(access_request=access_request, account=account, by=manager, now=NOW)
    account.refresh_from_db()
    assert account.access_request == access_request and not account.flag_no_request


def test_granting_can_create_the_account(registry, order_db, lead, manager):
    access_request = request_for(registry, order_db, lead, manager)
    access_request_decide(access_request=access_request, approve=True, note="", by=manager, now=NOW)
    account = access_request_grant(access_request=access_request, account_name="lwong", by=lead, now=NOW)
    assert (account.person, account.privilege, account.flag_no_request) == (registry.staff, "support-agent", False)


def test_the_request_pages_work_for_the_approver(registry, order_db, lead, manager, client):
    access_request = request_for(registry, order_db, lead, manager)
    client = signed_in(client, manager)
    assert client.get(reverse("access_reviews:request_detail", args=[access_request.pk])).status_code == 200
    response = client.post(reverse("access_reviews:request_decide", args=[access_request.pk]), {"approve": "yes", "note": ""})
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "approved"


def test_a_person_with_system_access_owes_training_on_joining(registry, order_db):
    registry.account(order_db, "lee.wong", registry.staff)
    obligation = open_obligation("access_reviews.training_initial", registry.staff)
    assert obligation is not None and obligation.owner == registry.staff.user
    assert obligation.due_at == registry.staff.started_at + timedelta(days=30)
    assert open_obligation("access_reviews.training_initial", registry.other_manager) is None  # no system access


def test_recording_training_meets_it_and_opens_the_yearly_one(registry, order_db, staff):
    registry.account(order_db, "lee.wong", registry.staff)
    training_record_create(
        person=registry.staff, course="Security awareness", completed_on=date(2026, 10, 20), note="LMS cert 123", by=staff, now=NOW
    )
    assert open_obligation("access_reviews.training_initial", registry.staff) is None
    annual = open_obligation("access_reviews.training_annual", registry.staff)
    assert annual.anchor_at.date() == date(2026, 10, 20)
    assert annual.due_at == add_months(annual.anchor_at, 12)


def test_a_terminated_person_owes_no_training(registry, order_db, lead):
    from access_reviews.services.registry import person_terminate

    registry.account(order_db, "lee.wong", registry.staff)
    person_terminate(person=registry.staff, terminated_at=NOW, by=lead, now=NOW)
    assert open_obligation("access_reviews.training_initial", registry.staff) is None


def test_staff_record_their_own_training_with_evidence(registry, order_db, staff_client):
    registry.account(order_db, "lee.wong", registry.staff)
    pdf = SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 test certificate", content_type="application/pdf")
    response = staff_client.post(
        reverse("access_reviews:my_training"), {"course": "Security awareness", "completed_on": "2026-10-20", "evidence": pdf}
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.person == registry.staff and record.evidence.name.endswith(".pdf")
    download = staff_client.get(reverse("access_reviews:training_evidence", args=[record.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_training_needs_evidence_or_a_note(registry, staff_client):
    response = staff_client.post(reverse("access_reviews:my_training"), {"course": "Security awareness", "completed_on": "2026-10-20"})
    assert response.status_code == 200 and 'data-field-error="evidence"' in response.content.decode()
    assert not TrainingRecord.objects.exists()


def test_staff_cannot_record_training_for_someone_else(registry, staff_client, client, manager):
    url = reverse("access_reviews:person_training", args=[registry.staff.pk])
    assert staff_client.get(url).status_code == 403  # readers only
    response = signed_in(client, manager).post(url, {"course": "x", "completed_on": "2026-10-20", "note": "n"})
    assert response.status_code == 403  # a manager reads their report's training but does not record it
    assert not TrainingRecord.objects.exists()


def test_the_training_check_reports_coverage_without_names(registry, order_db, staff):
    registry.account(order_db, "lee.wong", registry.staff)
    registry.account(order_db, "tom", registry.manager)
    result = check_training(NOW)
    assert result.status in {"at_risk", "not_met"}
    assert "0 of 2 people" in result.reason and "Lee" not in result.reason
    for person in (registry.staff, registry.manager):
        training_record_create(person=person, course="Security awareness", completed_on=date(2026, 10, 20), note="cert", by=staff, now=NOW)
    assert check_training(NOW).status == "met"
    assert check_training(NOW + timedelta(days=400)).status == "not_met"


def test_accounts_only_count_for_training_while_enabled(registry, order_db):
    account = registry.account(order_db, "lee.wong", registry.staff)
    Account.objects.filter(pk=account.pk).update(enabled=False)
    from access_reviews.services.training import training_sync_person

    training_sync_person(person=registry.staff, now=NOW)
    assert open_obligation("access_reviews.training_initial", registry.staff) is None
