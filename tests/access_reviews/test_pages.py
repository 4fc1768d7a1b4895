"""Who may open which access-review page (DPP 1.3 least privilege), and that lists stay fast."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access_reviews.models import Person
from access_reviews.services.registry import person_create
from grc.audit.models import AuditEvent
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in

LISTS = ["index", "person_list", "system_list", "account_list", "task_list", "request_list", "campaign_list", "training_overview"]


@pytest.fixture
def estate(registry, manager):
    system = registry.system("Order DB", owner=manager)
    registry.account(system, "lee.wong", registry.staff)
    registry.account(system, "mira", registry.other_manager)
    return registry


@pytest.mark.parametrize("name", LISTS)
def test_the_lead_auditor_and_manager_open_every_list(estate, name, lead_client, client, manager, auditor):
    for c in (lead_client, signed_in(client, manager), signed_in(client, auditor)):
        assert c.get(reverse(f"access_reviews:{name}")).status_code == 200


@pytest.mark.parametrize("name", [n for n in LISTS if n != "index"])
def test_staff_may_not_open_the_registry(estate, name, staff_client):
    assert staff_client.get(reverse(f"access_reviews:{name}")).status_code == 403


def test_staff_see_the_home_page_pointing_to_their_training(estate, staff_client):
    html = staff_client.get(reverse("access_reviews:index")).content.decode()
    assert "Open my training" in html and "flagged enabled accounts" not in html


def test_a_manager_reads_only_their_reports(estate, manager, client):
    html = signed_in(client, manager).get(reverse("access_reviews:person_list")).content.decode()
    assert "Lee Wong" in html and "Mira Okafor" not in html
    other = estate.other_manager
    assert signed_in(client, manager).get(reverse("access_reviews:person_detail", args=[other.pk])).status_code == 404


def test_a_manager_sees_accounts_of_their_reports_and_of_systems_they_own(estate, manager, other_manager, client):
    accounts = signed_in(client, other_manager).get(reverse("access_reviews:account_list")).context["table"].rows
    assert [a.name for a in accounts] == ["mira"]  # her own
    accounts = signed_in(client, manager).get(reverse("access_reviews:account_list")).context["table"].rows
    assert {a.name for a in accounts} == {"lee.wong", "mira"}  # Tom owns Order DB


def test_the_auditor_reads_but_cannot_write(estate, auditor_client):
    assert auditor_client.get(reverse("access_reviews:person_create")).status_code == 403
    assert auditor_client.post(reverse("access_reviews:system_create"), {"name": "X"}).status_code == 403
    assert auditor_client.get(reverse("access_reviews:person_detail", args=[estate.staff.pk])).status_code == 200


def test_opening_a_person_is_recorded_in_the_audit_trail_without_their_name(estate, auditor_client, auditor):
    auditor_client.get(reverse("access_reviews:person_detail", args=[estate.staff.pk]))
    event = AuditEvent.objects.filter(action="access_reviews.person.viewed").get()
    assert event.actor_id == auditor.pk and event.object_id == str(estate.staff.pk)
    assert "Wong" not in event.message


def test_the_lead_adds_a_person_and_bad_input_is_shown_next_to_the_field(registry, lead_client):
    url = reverse("access_reviews:person_create")
    data = {"person_id": registry.staff.person_id, "first_name": "Ann", "last_name": "Lee", "email": "not-an-email", "kind": "employee"}
    response = lead_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-field-error="email"' in html and 'data-field-error="person_id"' in html
    data.update(person_id="E9999", email="ann.lee@example.test")
    response = lead_client.post(url, data)
    assert response.status_code == 302
    person = Person.objects.get(person_id="E9999")
    assert person.name == "Ann Lee"


def test_names_and_emails_are_encrypted_at_rest(registry):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT first_name, email, email_index FROM access_reviews_person WHERE id = %s", [registry.staff.pk])
        first, email, index = cursor.fetchone()
    assert first.startswith("fernet:") and email.startswith("fernet:") and "Lee" not in first
    assert len(index) == 64


def test_person_names_lists_every_first_and_last_name(registry):
    from access_reviews.selectors import person_names

    assert {"Lee", "Wong", "Priya", "Shah", "Tom", "Becker"} <= person_names()


def test_the_email_must_be_unique(registry, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        person_create(
            data={"person_id": "E7777", "first_name": "X", "last_name": "Y", "email": registry.staff.email.upper()}, by=lead, now=NOW
        )


@pytest.mark.parametrize("count", [5, 60])
def test_the_account_list_query_count_does_not_grow(registry, lead, client, count, django_assert_max_num_queries):
    from tests.access_reviews.test_review_page import bulk_accounts

    system = registry.system("Order DB")
    bulk_accounts(system, registry.staff, count)
    client = signed_in(client, lead)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("access_reviews:account_list")).status_code == 200


@pytest.mark.parametrize("count", [5, 60])
def test_the_people_list_query_count_does_not_grow(registry, lead, client, count, django_assert_max_num_queries):
    for i in range(count):
        Person.objects.create(person_id=f"X{i:03d}", first_name="A", last_name="B", started_at=datetime(2025, 1, 1, tzinfo=UTC))
    client = signed_in(client, lead)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("access_reviews:person_list")).status_code == 200


def test_the_account_export_neutralises_formulas_and_is_audited(registry, lead_client):
    system = registry.system("Order DB")
    registry.account(system, "=HYPERLINK(evil)", registry.staff)
    response = lead_client.get(reverse("access_reviews:account_export"))
    assert "'=HYPERLINK(evil)" in response.content.decode()
    assert AuditEvent.objects.filter(action="download").exists()


def test_people_import_terminates_and_opens_tasks(registry, lead, lead_client, django_capture_on_commit_callbacks):
    from access_reviews.models import DeprovisionTask

    system = registry.system("Order DB")
    registry.account(system, "lee.wong", registry.staff)
    data = (
        "person_id,first_name,last_name,email,manager_id,department,type,status,started_at,terminated_at\n"
        f"{registry.staff.person_id},Lee,Wong,,{registry.manager.person_id},Engineering,employee,terminated,2025-01-06,2026-11-01 17:00\n"
        "E5001,Noor,Haddad,noor@example.test,E5002,Support,contractor,active,2026-11-01,\n"
        "E5002,Sam,Ito,sam@example.test,,Support,employee,active,2026-01-01,\n"
        "E5003,,Nobody,,,,employee,active,,\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("access_reviews:people_import"), {"file": SimpleUploadedFile("people.csv", data)})
    job_url = response.url
    page = lead_client.get(job_url)
    job = page.context["job"]
    assert (job.summary["adds"], job.summary["terminations"], job.summary["bad"]) == (2, 1, 1)
    assert job.errors == [{"line": 5, "message": "first_name is empty"}]
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(reverse("access_reviews:import_apply", args=[job.pk]), {"import_good_rows": "on"})
    registry.staff.refresh_from_db()
    assert registry.staff.is_terminated
    task = DeprovisionTask.objects.get(person=registry.staff)
    assert task.due_at == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    assert Person.objects.get(person_id="E5001").manager.person_id == "E5002"


def test_a_system_links_to_its_asset_inventory_entry(registry, lead_client, lead):
    from assets.models import Asset

    asset = Asset.objects.create(tag="SRV-0001", name="Order DB server", kind=Asset._meta.get_field("kind").choices[0][0], owner=lead)
    system = registry.system("Order DB")
    response = lead_client.post(
        reverse("access_reviews:system_edit", args=[system.pk]),
        {"name": "Order DB", "description": "", "owner": lead.pk, "holds_amazon_information": "on", "in_scope": "on", "asset": asset.pk},
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.asset == asset
    assert "SRV-0001" in lead_client.get(reverse("access_reviews:system_detail", args=[system.pk])).content.decode()


def test_editing_an_account_saves_and_recomputes_its_flags(registry, lead_client):
    system = registry.system("Order DB")
    account = registry.account(system, "lee.wong", registry.staff, mfa="no")
    assert account.flag_no_mfa
    response = lead_client.post(
        reverse("access_reviews:account_edit", args=[account.pk]),
        {"system": system.pk, "name": "lee.wong", "person": registry.staff.pk, "privilege": "read", "mfa": "yes", "enabled": "on"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.mfa == "yes" and not account.flag_no_mfa
    event = AuditEvent.objects.filter(action="access_reviews.account.updated").get()
    assert event.details["changed_fields"] == ["mfa"]


def test_empty_lists_say_what_to_do_next(db, lead_client):
    assert "Import your HR export as CSV" in lead_client.get(reverse("access_reviews:person_list")).content.decode()
    assert "No systems registered" in lead_client.get(reverse("access_reviews:system_list")).content.decode()
    assert "Start this quarter" in lead_client.get(reverse("access_reviews:campaign_list")).content.decode()
