"""Full syncs: the posted list of a system's accounts replaces them, with the CSV import's own
adds/changes/removes preview and a dry run; the HR feed adds, changes and terminates people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access_reviews.imports import accounts as account_import
from access_reviews.models import Account, DeprovisionTask, Person
from grc.audit.models import AuditEvent
from grc.csvio import read_csv
from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_with_accounts(registry):
    registry.account("lee.wong", registry.staff_person, privilege="read")
    registry.account("tom.becker", registry.manager_person, privilege="read")
    registry.account("old.contractor", None, privilege="admin")
    return registry.system


def sync_body(dry_run: bool) -> dict:
    return {
        "dry_run": dry_run,
        "accounts": [
            {"account": "lee.wong", "person_id": "E1002", "privilege": "read", "mfa": "yes", "enabled": True},
            {"account": "tom.becker", "person_id": "E1001", "privilege": "admin", "mfa": "yes", "enabled": True},
            {"account": "sam.otter", "person_id": "E1003", "privilege": "read", "mfa": "no", "enabled": True},
        ],
    }


def state(system) -> list[tuple]:
    return sorted(Account.objects.filter(system=system).values_list("name_index", "privilege", "enabled", "removed_at"))


def test_a_dry_run_previews_and_changes_nothing(lead_api, system_with_accounts):
    before = state(system_with_accounts)
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", sync_body(dry_run=True))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dry_run"] and not body["applied"]
    assert {k: body["summary"][k] for k in ("adds", "changes", "removes", "unchanged")} == {
        "adds": 1,
        "changes": 1,
        "removes": 1,
        "unchanged": 1,
    }
    assert [row["name"] for row in body["adds"]] == ["sam.otter"]
    assert body["changes"][0]["name"] == "tom.becker" and "privilege" in body["changes"][0]["fields"]
    assert [row["name"] for row in body["removes"]] == ["old.contractor"]
    assert state(system_with_accounts) == before
    assert not AuditEvent.objects.filter(action="access_reviews.accounts.synced").exists()


def test_the_preview_is_the_csv_imports_preview(lead_api, system_with_accounts):
    csv_text = "account,person_id,privilege,mfa,enabled\nlee.wong,E1002,read,yes,yes\ntom.becker,E1001,admin,yes,yes\nsam.otter,E1003,read,no,yes\n"
    header, rows = read_csv(csv_text.encode())
    plan, _lookups = account_import.plan_accounts(system_with_accounts, {name: name for name in header}, rows)
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", sync_body(dry_run=True))
    assert response.json()["summary"] == plan.summary()


def test_applying_replaces_the_systems_accounts(lead_api, system_with_accounts):
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", sync_body(dry_run=False))
    assert response.status_code == 200 and response.json()["applied"]
    accounts = {a.name: a for a in Account.objects.filter(system=system_with_accounts)}
    assert accounts["tom.becker"].privilege == "admin" and accounts["tom.becker"].privileged
    assert accounts["sam.otter"].person.person_id == "E1003" and accounts["sam.otter"].flag_no_mfa
    assert accounts["old.contractor"].removed_at is not None and not accounts["old.contractor"].enabled
    system_with_accounts.refresh_from_db()
    assert system_with_accounts.last_import_at is not None
    event = AuditEvent.objects.get(action="access_reviews.accounts.synced")
    assert event.object_id == str(system_with_accounts.pk) and event.details["adds"] == 1 and event.details["token_id"]
    again = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", sync_body(dry_run=True))
    assert again.json()["summary"]["unchanged"] == 3 and again.json()["summary"]["removes"] == 0


def test_a_terminated_persons_enabled_account_gets_its_24_hour_task(lead_api, registry, lead):
    from access_reviews.services.registry import person_terminate

    terminated_at = timezone.now() - timedelta(hours=30)
    person_terminate(person=registry.other_person, terminated_at=terminated_at, by=lead, now=timezone.now())
    body = {"accounts": [{"account": "sam.otter", "person_id": "E1003", "enabled": True}]}
    response = lead_api.post(f"/api/v1/systems/{registry.system.pk}/accounts/sync/", body)
    assert response.status_code == 200
    assert response.json()["tasks"]["tasks_opened"] == 1
    task = DeprovisionTask.objects.get(account__name_index=Account.objects.get(system=registry.system).name_index)
    assert task.opened_at == terminated_at and task.due_at == terminated_at + timedelta(hours=24)


def test_a_bad_row_is_a_400_and_nothing_is_written(lead_api, system_with_accounts):
    before = state(system_with_accounts)
    body = sync_body(dry_run=False)
    body["accounts"][1]["person_id"] = "E404"  # not in the registry
    body["accounts"].append({"account": "lee.wong"})  # the same account twice
    body["accounts"].append({"account": "x", "mfa": "maybe"})  # not a choice
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", body)
    assert response.status_code == 400
    assert "accounts.4.mfa" in error_fields(response)
    body["accounts"].pop()
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", body)
    assert response.status_code == 400
    fields = error_fields(response)
    assert "no person with this id" in fields["accounts.1"] and "the same account as line 0" in fields["accounts.3"]
    assert state(system_with_accounts) == before


def test_an_empty_list_is_refused_rather_than_removing_everything(lead_api, system_with_accounts):
    response = lead_api.post(f"/api/v1/systems/{system_with_accounts.pk}/accounts/sync/", {"accounts": []})
    assert response.status_code == 400 and "accounts" in error_fields(response)
    assert Account.objects.filter(system=system_with_accounts, removed_at__isnull=True).count() == 3


def test_the_hr_feed_adds_changes_and_terminates(lead_api, registry):
    account = registry.account("lee.wong", registry.staff_person)
    terminated = (timezone.now() - timedelta(hours=1)).isoformat()
    people = [
        {
            "person_id": "E1002",
            "first_name": "Lee",
            "last_name": "Wong",
            "status": "terminated",
            "terminated_at": terminated,
            "manager_id": "E1001",
        },
        {
            "person_id": "E3000",
            "first_name": "New",
            "last_name": "Starter",
            "email": "new@example.test",
            "manager_id": "E1001",
            "type": "contractor",
        },
    ]
    preview = lead_api.post("/api/v1/people/sync/", {"people": people, "dry_run": True})
    assert preview.status_code == 200, preview.json()
    assert preview.json()["summary"]["adds"] == 1 and preview.json()["summary"]["terminations"] == 1
    assert not Person.objects.filter(person_id="E3000").exists()
    applied = lead_api.post("/api/v1/people/sync/", {"people": people})
    assert applied.status_code == 200 and applied.json()["applied"]
    assert Person.objects.get(person_id="E3000").kind == "contractor"
    assert Person.objects.get(person_id="E1002").status == "terminated"
    assert DeprovisionTask.objects.filter(account=account, closed_at__isnull=True).count() == 1


def test_a_bad_hr_row_is_a_400_and_nothing_is_written(lead_api, registry):
    people = [
        {"person_id": "E3001", "first_name": "Ok", "last_name": "Row"},
        {"person_id": "E3002", "first_name": "Bad", "last_name": "Manager", "manager_id": "E9999"},
    ]
    response = lead_api.post("/api/v1/people/sync/", {"people": people})
    assert response.status_code == 400 and "people.1" in error_fields(response)
    assert not Person.objects.filter(person_id__in=["E3001", "E3002"]).exists()
