"""File imports through the API (issue 24): a tool pushes the file its identity provider or HR
system wrote — as the body (text/csv) or multipart — and gets the full sync's result; a bad file
or row is a 400 (a file past the CSV limit a 413) and nothing is written."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from access_reviews.models import Account, DeprovisionTask, ImportJob, Person, PersonStatus
from access_reviews.services.registry import person_create, person_terminate
from grc.audit.models import AuditEvent
from grc.crypto import blind_index
from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parents[1] / "access_reviews" / "samples"
# preset → (file, adds, enabled, privileged, no MFA): counted from the files (see tests/access_reviews/test_presets.py)
EXPECTED = {
    "aws_iam": ("aws_iam_credential_report.csv", 4, 4, 1, 2),  # the root user is privileged; ci-deploy and ana.old have no MFA
    "google_workspace": ("google_workspace_users.csv", 3, 2, 0, 1),  # Olaf Suspended; Nora not enrolled in 2SV
    "okta": ("okta_users.csv", 8, 5, 0, 8),  # SUSPENDED, LOCKED_OUT, DEPROVISIONED disabled; no MFA column
    "entra": ("entra_users.csv", 3, 2, 0, 1),  # Olaf accountEnabled False; the guest's MFA Disabled
    "github": ("github_members.csv", 3, 3, 1, 1),  # an admin is privileged; sam-leaver has no 2FA
    "ldap_csvde": ("ldap_csvde.csv", 2, 1, 0, 2),  # 514 = disabled; no MFA column
    "jumpcloud": ("jumpcloud_users.csv", 2, 1, 0, 1),  # semicolons; Olaf suspended, without TOTP
}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


class FileApi:
    """Sends a CSV file to the API with a bearer token: the raw body or multipart."""

    def __init__(self, key: str):
        self.client, self.auth = Client(), {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def raw(self, path: str, data: bytes, params: dict | None = None, **extra):
        query = "&".join(f"{key}={value}" for key, value in (params or {}).items())
        return self.client.post(f"{path}?{query}" if query else path, data, content_type="text/csv", **self.auth, **extra)

    def multipart(self, path: str, data: bytes, fields: dict | None = None):
        return self.client.post(
            path, {"file": SimpleUploadedFile("export.csv", data, content_type="text/csv"), **(fields or {})}, **self.auth
        )


@pytest.fixture
def lead_files(lead, token_for):
    from grc.api.scopes import scopes_for_role

    _token, key = token_for(lead, *scopes_for_role(lead.role))
    return FileApi(key)


def accounts_url(system) -> str:
    return f"/api/v1/systems/{system.pk}/accounts/import/"


PEOPLE_URL = "/api/v1/people/import/"


def named(system, name: str) -> Account:
    return Account.objects.get(system=system, name_index=blind_index(name))  # names are stored encrypted


def counts(system) -> tuple[int, int, int, int]:
    present = Account.objects.filter(system=system, removed_at__isnull=True)
    return (
        present.count(),
        present.filter(enabled=True).count(),
        present.filter(flag_privileged=True).count(),
        present.filter(flag_no_mfa=True).count(),
    )


# --- accounts --------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["raw", "multipart"])
@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_sample_imports_through_the_api_with_its_counts_and_flags(key, how, lead_files, registry):
    name, adds, enabled, privileged, no_mfa = EXPECTED[key]
    url = accounts_url(registry.system)
    options = {"preset": key} if how == "raw" else {}  # the raw body names its tool; multipart lets the header tell
    send = lead_files.raw if how == "raw" else lead_files.multipart
    response = send(url, sample(name), options)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["preset"], body["applied"], body["summary"]["adds"], body["summary"]["removes"]) == (key, True, adds, 0)
    assert counts(registry.system) == (adds, enabled, privileged, no_mfa)
    assert ImportJob.objects.count() == 0  # no job: the API applies at once
    again = send(url, sample(name), options)
    assert again.json()["summary"]["unchanged"] == adds and again.json()["summary"]["adds"] == 0


def test_a_dry_run_previews_and_writes_nothing(lead_files, registry):
    response = lead_files.raw(accounts_url(registry.system), sample("okta_users.csv"), {"dry_run": "true"})
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["applied"], body["summary"]["adds"]) == (True, False, 8)
    assert {row["name"] for row in body["adds"]} >= {"sam.leaver@example.test", "al.active@example.test"}
    assert not Account.objects.filter(system=registry.system).exists()
    assert not AuditEvent.objects.filter(action="access_reviews.accounts.synced").exists()


def test_the_file_replaces_the_systems_accounts_and_is_audited(lead_files, registry):
    registry.account("old.contractor", None)
    response = lead_files.multipart(accounts_url(registry.system), sample("github_members.csv"), {"preset": "github"})
    assert response.json()["summary"]["removes"] == 1
    assert named(registry.system, "old.contractor").removed_at is not None
    event = AuditEvent.objects.get(action="access_reviews.accounts.synced")
    assert event.message == f"system={registry.system.pk} file preset=github" and event.details["adds"] == 3


def test_a_bad_row_is_a_400_naming_its_line_and_nothing_is_written(lead_files, registry):
    data = sample("okta_users.csv").replace(b",STAGED,", b",HALF_ASLEEP,").replace(b",DEPROVISIONED,", b",GONE_FISHING,")
    response = lead_files.raw(accounts_url(registry.system), data, {"preset": "okta"})
    assert response.status_code == 400
    errors = error_fields(response)
    assert errors == {
        "lines.3": "Column 'status': value 'HALF_ASLEEP' must be an Okta status (ACTIVE, SUSPENDED, LOCKED_OUT …)",
        "lines.8": "Column 'status': value 'GONE_FISHING' must be an Okta status (ACTIVE, SUSPENDED, LOCKED_OUT …)",
    }
    assert not Account.objects.filter(system=registry.system).exists()


def test_a_suspended_okta_account_of_a_terminated_person_opens_no_task(lead, lead_files, registry):
    now = timezone.now()
    sam = person_create(
        data={"person_id": "E3001", "first_name": "Sam", "last_name": "Leaver", "email": "sam.leaver@example.test", "kind": "employee"},
        by=lead,
        now=now,
    )
    person_terminate(person=sam, terminated_at=now - timedelta(days=2), by=lead, now=now)
    response = lead_files.raw(accounts_url(registry.system), sample("okta_users.csv"))
    assert response.status_code == 200 and response.json()["tasks"]["tasks_opened"] == 0
    account = named(registry.system, "sam.leaver@example.test")
    assert account.person == sam and not account.enabled
    assert not DeprovisionTask.objects.filter(account=account).exists()
    # the counterpart: the same person ACTIVE in Okta is access that should be gone
    active = sample("okta_users.csv").replace(b",SUSPENDED,", b",ACTIVE,")
    assert lead_files.raw(accounts_url(registry.system), active).json()["tasks"]["tasks_opened"] == 1


def test_a_file_of_another_tool_than_the_preset_chosen_is_refused(lead_files, registry):
    response = lead_files.raw(accounts_url(registry.system), sample("okta_users.csv"), {"preset": "aws_iam"})
    assert response.status_code == 400
    assert error_fields(response)["preset"] == (
        "This file does not look like an AWS IAM credential report: it has no column user, arn, password_enabled, mfa_active. "
        "Choose the tool it came from, or 'Guess from the header'."
    )
    assert not Account.objects.filter(system=registry.system).exists()


def test_a_file_without_an_account_column_asks_for_the_preset_or_the_mapping_page(lead_files, registry):
    response = lead_files.raw(accounts_url(registry.system), b"Full name,Team\nJane Doe,ops\n")
    assert response.status_code == 400
    reason = error_fields(response)["file"]
    assert reason.startswith("No column of this file holds the account name: a file of no known tool has it in a column named account or")
    assert "The file's columns: Full name, Team." in reason and "import page" in reason
    assert not Account.objects.filter(system=registry.system).exists()


def test_the_systems_saved_mapping_is_used_when_the_file_has_its_columns(lead_files, registry):
    registry.system.column_mapping, registry.system.import_preset = {"account": "Who", "mfa": "Second factor"}, "custom"
    registry.system.save(update_fields=["column_mapping", "import_preset"])
    response = lead_files.raw(accounts_url(registry.system), b"Who,Second factor\nlee,yes\nkim,no\n")
    assert response.status_code == 200 and response.json()["preset"] == "custom"
    assert dict(Account.objects.filter(system=registry.system).values_list("name", "mfa")) == {"lee": "yes", "kim": "no"}


def test_a_downgrade_needs_confirming(lead_files, registry):
    registry.account("octo-owner", None, privilege="admin", mfa="yes")
    data = sample("github_members.csv").replace(b"octo-owner,Olga Owner,,admin,true", b"octo-owner,Olga Owner,,member,false")
    refused = lead_files.raw(accounts_url(registry.system), data)
    assert refused.status_code == 400 and "confirm_downgrades" in error_fields(refused)
    assert Account.objects.filter(system=registry.system).count() == 1
    applied = lead_files.raw(accounts_url(registry.system), data, {"confirm_downgrades": "true"})
    assert applied.status_code == 200 and not named(registry.system, "octo-owner").privileged


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04binary", "The file is a zip archive or an Excel workbook, not CSV text."),
        (b"user,arn\n\xff\xfe\x00oops\n", "The file is not UTF-8 text"),
        (b'{\n  "accounts": [\n    {"account": "lee",\n', "The file is JSON, not CSV"),  # truncated JSON
        (b"user,arn,password_enabled,mfa_active\n", "The file has a header but no rows."),
    ],
)
def test_an_unreadable_file_is_a_400_on_file_and_writes_nothing(lead_files, registry, data, reason):
    response = lead_files.raw(accounts_url(registry.system), data)
    assert response.status_code == 400
    assert error_fields(response)["file"].startswith(reason)
    assert not Account.objects.exists()


def test_a_20_mb_file_is_a_413_and_writes_nothing(lead_files, registry):
    big = sample("aws_iam_credential_report.csv") + b"x" * (20 * 1024 * 1024)
    for response in (lead_files.raw(accounts_url(registry.system), big), lead_files.multipart(accounts_url(registry.system), big)):
        assert response.status_code == 413
        assert "CSV files up to 10485760 bytes (10 MB) are accepted" in response.json()["detail"]
    assert not Account.objects.exists()


def test_a_gzip_body_is_read_and_a_gzip_bomb_is_a_413(lead_files, registry):
    packed = gzip.compress(sample("entra_users.csv"))
    response = lead_files.raw(accounts_url(registry.system), packed, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200 and response.json()["preset"] == "entra"
    bomb = gzip.compress(b"userPrincipalName,accountEnabled\n" + b"a" * (11 * 1024 * 1024))
    response = lead_files.raw(accounts_url(registry.system), bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413 and Account.objects.count() == 3


def test_a_json_or_xml_body_is_refused_and_readers_may_not_import(lead_files, registry, manager, token_for):
    response = lead_files.client.post(accounts_url(registry.system), b"{}", content_type="application/json", **lead_files.auth)
    assert response.status_code == 400 and error_fields(response)["file"].startswith("The file is JSON, not CSV")
    response = lead_files.client.post(accounts_url(registry.system), b"<a/>", content_type="application/xml", **lead_files.auth)
    assert response.status_code == 415 and "text/csv" in response.json()["detail"]
    _token, key = token_for(manager, "access:read")
    refused = FileApi(key).raw(accounts_url(registry.system), sample("okta_users.csv"))
    assert refused.status_code == 403 and not Account.objects.exists()


# --- people ----------------------------------------------------------------------------------
def test_the_okta_people_export_adds_and_terminates(lead_files, registry):
    okta = sample("people_okta.csv")
    refused = lead_files.raw(PEOPLE_URL, okta)  # the last row has no first name, a bad email and an unknown manager
    assert refused.status_code == 400 and set(error_fields(refused)) == {"lines.7"}
    assert not Person.objects.filter(person_id__startswith="E2").exists()
    good = b"\n".join(line for line in okta.split(b"\n") if b"BadRow" not in line)
    response = lead_files.multipart(PEOPLE_URL, good)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["summary"]["adds"], body["summary"]["terminations"], body["mapping"]["person_id"]) == (5, 2, "employeeNumber")
    noor, sam = Person.objects.get(person_id="E2002"), Person.objects.get(person_id="E2003")
    assert noor.status == PersonStatus.TERMINATED and noor.terminated_at == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)
    assert sam.status == PersonStatus.TERMINATED and Person.objects.get(person_id="E2004").status == PersonStatus.ACTIVE


def test_the_google_people_export_needs_its_person_key_and_reports_every_bad_line(lead_files, registry):
    google = sample("people_google_workspace.csv")
    response = lead_files.raw(PEOPLE_URL, google)  # Employee ID is guessed as the key, and is empty
    assert response.status_code == 400 and set(error_fields(response)) == {"lines.2", "lines.3", "lines.4", "lines.5", "lines.6"}
    mapping = {
        "person_id": "Email Address [Required]",
        "first_name": "First Name [Required]",
        "last_name": "Last Name [Required]",
        "email": "Email Address [Required]",
        "manager_email": "Manager Email",
        "department": "Department",
    }
    response = lead_files.raw(PEOPLE_URL, google, {"mapping": json.dumps(mapping), "dry_run": "true"})
    assert response.status_code == 400 and set(error_fields(response)) == {"lines.5"}  # the nameless row with a bad address
    good = b"\n".join(line for line in google.split(b"\n") if b"katherine" not in line)
    response = lead_files.multipart(PEOPLE_URL, good, {"mapping": json.dumps(mapping), "dry_run": "true"})
    assert response.status_code == 200 and response.json()["summary"]["adds"] == 4 and response.json()["dry_run"]
    assert not Person.objects.filter(person_id__endswith="@example.com").exists()  # a dry run
    response = lead_files.multipart(PEOPLE_URL, good, {"mapping": json.dumps(mapping)})
    assert response.status_code == 200 and Person.objects.get(person_id="grace@example.com").manager.person_id == "ada@example.com"


def test_the_entra_people_export_keys_by_login_and_needs_a_date_for_a_disabled_account(lead_files, registry):
    response = lead_files.raw(PEOPLE_URL, sample("people_entra.csv"))
    assert response.status_code == 400
    assert error_fields(response) == {
        "lines.4": "terminated_at is required for a terminated person (Column 'accountEnabled' says 'False'): "
        "map a termination date or status-changed column, or fill it in"
    }
    assert not Person.objects.filter(person_id__endswith="@contoso.example").exists()


def test_a_people_file_missing_a_required_field_names_it_and_the_columns(lead_files, registry):
    response = lead_files.raw(PEOPLE_URL, b"Employee ID,Given name,Mail\nE9001,Noor,noor@example.test\n")
    assert response.status_code == 400
    reasons = [item["reason"] for item in response.json()["errors"] if item["field"] == "mapping"]
    assert reasons[0] == "Choose the column that holds the last name."
    assert reasons[-1].startswith("The file's columns: Employee ID, Given name, Mail. Send mapping")
    bad_mapping = lead_files.raw(PEOPLE_URL, b"a,b\n1,2\n", {"mapping": "[1, 2]"})
    assert bad_mapping.status_code == 400 and "mapping" in error_fields(bad_mapping)
    assert not Person.objects.filter(person_id="E9001").exists()


def test_a_20_mb_people_file_is_a_413(lead_files, registry):
    response = lead_files.raw(PEOPLE_URL, b"person_id,first_name,last_name\n" + b"x" * (20 * 1024 * 1024))
    assert response.status_code == 413 and Person.objects.count() == 4
