"""Syncs never erase by omission (issue 21.3): a key left out of a row keeps the stored value, an
explicit null clears it, the dry run shows old and new values (personal data masked) and counts
downgrades, and a sync that takes privileged or MFA on away needs ``confirm_downgrades``."""

from __future__ import annotations

import json

import pytest

from access_reviews.models import Account
from grc.audit.models import AuditEvent
from grc.crypto import blind_index
from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def idp(registry):
    """An Admin with MFA linked to the lead's person, and a read-only account of Lee's."""
    registry.account("priya.shah", registry.lead_person, privilege="Admin", mfa="yes")
    registry.account("lee.wong", registry.staff_person, privilege="read", mfa="yes")
    return registry


def sync(api, system, accounts, **options):
    return api.post(f"/api/v1/systems/{system.pk}/accounts/sync/", {"accounts": accounts, **options})


def stored(system, name: str) -> Account:
    return Account.objects.select_related("person").get(system=system, name_index=blind_index(name))


def snapshot(system) -> list[tuple]:
    return sorted(
        Account.objects.filter(system=system).values_list(
            "name_index", "person_id", "privilege", "privileged", "mfa", "enabled", "removed_at", "flag_privileged", "flag_no_mfa"
        )
    )


PARTIAL = [
    {"account": "priya.shah"},
    {"account": "lee.wong"},
    {"account": "sam.otter", "privilege": "read", "mfa": "yes", "email": "sam.otter@example.test"},
]


def test_partial_rows_keep_privilege_mfa_person_and_the_privileged_flag(lead_api, idp):
    preview = sync(lead_api, idp.system, PARTIAL, dry_run=True).json()
    assert {k: preview["summary"][k] for k in ("adds", "changes", "unchanged", "removes")} == {
        "adds": 1,
        "changes": 0,
        "unchanged": 2,
        "removes": 0,
    }
    assert preview["summary"]["privileged_downgrades"] == 0 and preview["summary"]["mfa_downgrades"] == 0

    response = sync(lead_api, idp.system, PARTIAL)
    assert response.status_code == 200, response.json()
    admin = stored(idp.system, "priya.shah")
    assert (admin.privilege, admin.privileged, admin.mfa, admin.person) == ("Admin", True, "yes", idp.lead_person)
    assert admin.flag_privileged and not admin.flag_no_mfa and not admin.flag_orphan
    lee = stored(idp.system, "lee.wong")
    assert (lee.privilege, lee.mfa, lee.person) == ("read", "yes", idp.staff_person)
    sam = stored(idp.system, "sam.otter")
    assert (sam.privilege, sam.mfa, sam.person) == ("read", "yes", idp.other_person)
    # the access review's list still shows the Admin as privileged
    listed = lead_api.get("/api/v1/accounts/", {"system": idp.system.pk, "flag": "privileged"}).json()["results"]
    assert [row["name"] for row in listed] == ["priya.shah"]


def test_an_explicit_null_or_empty_string_clears_the_field(lead_api, idp):
    body = [
        {"account": "priya.shah"},
        {"account": "lee.wong", "person_id": None, "email": None, "privilege": "", "mfa": None, "last_login": None, "purpose": None},
    ]
    response = sync(lead_api, idp.system, body, confirm_downgrades=True)
    assert response.status_code == 200, response.json()
    lee = stored(idp.system, "lee.wong")
    assert (lee.person, lee.privilege, lee.privileged, lee.mfa, lee.last_login_at) == (None, "", False, "unknown", None)
    assert lee.flag_orphan and lee.flag_no_mfa
    admin = stored(idp.system, "priya.shah")
    assert (admin.privilege, admin.privileged, admin.mfa) == ("Admin", True, "yes")


def test_a_null_privileged_goes_back_to_what_the_stored_privilege_implies(lead_api, idp):
    Account.objects.filter(name_index=blind_index("priya.shah")).update(privileged=False)  # set by an earlier feed
    response = sync(lead_api, idp.system, [{"account": "priya.shah", "privileged": None}, {"account": "lee.wong"}])
    assert response.status_code == 200, response.json()
    admin = stored(idp.system, "priya.shah")
    assert admin.privileged and admin.privilege == "Admin"


def test_a_null_account_name_is_refused(lead_api, idp):
    response = sync(lead_api, idp.system, [{"account": None}])
    assert response.status_code == 400 and "accounts.0.account" in error_fields(response)


def test_the_dry_run_shows_old_and_new_values_with_personal_data_masked(lead_api, idp):
    body = [
        {"account": "priya.shah"},
        {"account": "lee.wong", "person_id": "E1003", "privilege": "admin", "purpose": "runs reports for lee.wong@example.test"},
    ]
    response = sync(lead_api, idp.system, body, dry_run=True)
    assert response.status_code == 200, response.json()
    (change,) = response.json()["changes"]
    values = {item["field"]: (item["old"], item["new"]) for item in change["values"]}
    assert values["person_id"] == ("E1002 (l***@example.test)", "E1003 (s***@example.test)")
    assert values["privilege"] == ("read", "admin") and values["privileged"] == (False, True)
    assert values["purpose"] == ("", "runs reports for [email]")
    assert set(change["fields"]) == set(values) - {"flags"}
    text = json.dumps(response.json())
    assert "lee.wong@example.test" not in text and "sam.otter@example.test" not in text
    assert "Wong" not in text and "Otter" not in text


def test_the_dry_run_counts_and_names_downgrades_and_shows_mfa_in_full(lead_api, idp):
    body = [{"account": "priya.shah", "privilege": "read"}, {"account": "lee.wong", "mfa": "no"}]
    response = sync(lead_api, idp.system, body, dry_run=True)
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["summary"]["privileged_downgrades"] == 1 and result["summary"]["mfa_downgrades"] == 1
    assert {row["name"]: row["kinds"] for row in result["downgrades"]} == {"priya.shah": ["privileged"], "lee.wong": ["mfa"]}
    values = {row["name"]: {v["field"]: (v["old"], v["new"]) for v in row["values"]} for row in result["changes"]}
    assert values["priya.shah"]["privilege"] == ("Admin", "read") and values["priya.shah"]["privileged"] == (True, False)
    assert values["lee.wong"]["mfa"] == ("yes", "no")


def test_a_downgrade_is_refused_without_confirmation_and_nothing_is_written(lead_api, idp):
    before = snapshot(idp.system)
    body = [
        {"account": "priya.shah", "privilege": "read"},
        {"account": "lee.wong", "mfa": "unknown"},
        {"account": "new.hire", "person_id": "E1003", "privilege": "read", "mfa": "yes"},
    ]
    response = sync(lead_api, idp.system, body)
    assert response.status_code == 400
    fields = error_fields(response)
    reason = fields["confirm_downgrades"]
    assert "1 privileged account would lose privileged (priya.shah)" in reason
    assert "1 account with MFA on would have MFA off or unknown (lee.wong)" in reason
    assert fields["accounts.0"] == "would lose privileged" and fields["accounts.1"] == "would lose MFA on"
    assert snapshot(idp.system) == before  # the add on the third row was not written either
    assert not AuditEvent.objects.filter(action="access_reviews.accounts.synced").exists()
    idp.system.refresh_from_db()
    assert idp.system.last_import_at is None

    response = sync(lead_api, idp.system, body, confirm_downgrades=True)
    assert response.status_code == 200, response.json()
    admin, lee = stored(idp.system, "priya.shah"), stored(idp.system, "lee.wong")
    assert (admin.privilege, admin.privileged, admin.flag_privileged) == ("read", False, False)
    assert (lee.mfa, lee.flag_no_mfa) == ("unknown", True)
    assert stored(idp.system, "new.hire").person == idp.other_person
    event = AuditEvent.objects.get(action="access_reviews.accounts.synced")
    assert event.details["privileged_downgrades"] == 1 and event.details["mfa_downgrades"] == 1


def test_raising_access_needs_no_confirmation(lead_api, idp):
    response = sync(lead_api, idp.system, [{"account": "priya.shah"}, {"account": "lee.wong", "privilege": "owner"}])
    assert response.status_code == 200, response.json()
    assert stored(idp.system, "lee.wong").privileged


@pytest.mark.parametrize(("row", "reopened"), [({}, 0), ({"privilege": "Admin"}, 1)])
def test_only_a_stated_privilege_can_reopen_a_privilege_change_task(lead_api, idp, lead, row, reopened):
    """A closed "privilege changed" task re-opens when the feed still states the old privilege; a
    row that leaves the privilege out says nothing about it (the stored value is not evidence)."""
    from django.utils import timezone

    from access_reviews.models import DeprovisionTask, TaskReason
    from access_reviews.services.deprovision import task_confirm, task_open

    now = timezone.now()
    task = task_open(account=stored(idp.system, "priya.shah"), reason=TaskReason.CHANGE, opened_at=now, by=lead, new_privilege="read")
    task_confirm(task=task, outcome="privilege_changed", when=now, by=lead, now=now)
    response = sync(lead_api, idp.system, [{"account": "priya.shah", **row}, {"account": "lee.wong"}])
    assert response.status_code == 200, response.json()
    assert DeprovisionTask.objects.get(pk=task.pk).reopen_count == reopened
