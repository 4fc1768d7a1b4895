"""Source presets for identity exports (issue 24): real export files import as their tool wrote them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from access_reviews.imports.accounts import guess_mapping, mapping_problems
from access_reviews.imports.jobs import job_request_apply, job_set_mapping, job_set_preset, job_upload, unmapped_columns
from access_reviews.imports.presets import PRESETS, guess_preset, read_filetime
from access_reviews.imports.values import CellError, read_datetime
from access_reviews.models import Account, DeprovisionTask, ImportJob, ImportStatus
from access_reviews.services.registry import person_terminate
from access_reviews.services.service_accounts import account_service_decide
from grc.csvio import CsvFileError, read_csv
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_OF = {
    "aws_iam": "aws_iam_credential_report.csv",
    "google_workspace": "google_workspace_users.csv",
    "okta": "okta_users.csv",
    "entra": "entra_users.csv",
    "github": "github_members.csv",
    "ldap_csvde": "ldap_csvde.csv",
    "jumpcloud": "jumpcloud_users.csv",
}


def sample(key: str) -> bytes:
    return (SAMPLES / SAMPLE_OF[key]).read_bytes()


def upload(system, data: bytes, by, capture, preset: str = "") -> ImportJob:
    with capture(execute=True):
        job = job_upload(kind="accounts", system=system, filename="export.csv", data=data, by=by, now=NOW, preset=preset)
    return ImportJob.objects.get(pk=job.pk)


def apply(job, by, capture, **options) -> ImportJob:
    with capture(execute=True):
        job_request_apply(job=job, by=by, now=NOW, import_good_rows=options.get("good_rows", False))
    return ImportJob.objects.get(pk=job.pk)


def accounts(system) -> dict[str, Account]:
    return {account.name: account for account in Account.objects.filter(system=system)}


@pytest.fixture
def system(registry):
    return registry.system("Identity provider")


@pytest.mark.parametrize("key", list(SAMPLE_OF))
def test_each_sample_is_recognised_and_checked_without_asking_for_the_mapping(key, system, lead, django_capture_on_commit_callbacks):
    header, _rows = read_csv(sample(key))
    assert guess_preset(header) == key
    job = upload(system, sample(key), lead, django_capture_on_commit_callbacks)
    assert (job.preset, job.mapping_from, job.status) == (key, "preset", ImportStatus.PREVIEW)
    assert job.errors == [] and job.summary["adds"] == job.row_count


def test_a_header_of_no_known_tool_is_custom_and_asks_for_the_mapping(system, lead, django_capture_on_commit_callbacks):
    job = upload(system, b"User Name,Email,Status\nlee,lee@x.test,active\n", lead, django_capture_on_commit_callbacks)
    assert (job.preset, job.status) == ("custom", ImportStatus.MAPPING)


def test_aws_report_reads_na_dates_root_and_suggests_service_accounts(system, lead, django_capture_on_commit_callbacks):
    job = apply(upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.APPLIED
    found = accounts(system)
    assert found["<root_account>"].privileged and found["<root_account>"].mfa == "yes"
    assert found["ana.old"].last_login_at is None and found["ana.old"].mfa == "no"  # no_information
    # the key's use counts as a login: the latest of password and access keys
    assert found["ci-deploy"].last_login_at == datetime(2026, 11, 1, 23, 10, tzinfo=UTC)
    assert found["ci-deploy"].service_account_suggested and not found["ci-deploy"].is_service_account
    assert not found["sam.leaver"].service_account_suggested


def test_a_rejected_service_account_suggestion_is_remembered_across_imports(system, lead, django_capture_on_commit_callbacks):
    apply(upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    ci = accounts(system)["ci-deploy"]
    account_service_decide(account=ci, confirm=False, by=lead, now=NOW)
    again = upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks)
    assert again.summary["changes"] == 0  # the suggestion is not made again
    ci.refresh_from_db()
    assert not ci.service_account_suggested and not ci.is_service_account and ci.service_account_reviewed_at == NOW
    with pytest.raises(ValidationError):
        account_service_decide(account=ci, confirm=True, by=lead, now=NOW)


def test_a_confirmed_service_account_suggestion_marks_the_account(system, lead, django_capture_on_commit_callbacks):
    apply(upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    ci = account_service_decide(account=accounts(system)["ci-deploy"], confirm=True, by=lead, now=NOW)
    assert ci.is_service_account and not ci.service_account_suggested
    apply(upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    assert accounts(system)["ci-deploy"].is_service_account


def test_google_workspace_uses_the_address_as_account_and_person_key(registry, system, lead, django_capture_on_commit_callbacks):
    sam = registry.person("Sam", "Leaver", email="sam.leaver@example.test")
    job = apply(
        upload(system, sample("google_workspace"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks
    )
    found = accounts(system)
    assert job.status == ImportStatus.APPLIED
    assert found["sam.leaver@example.test"].person == sam
    assert found["sam.leaver@example.test"].last_login_at == datetime(2019, 8, 26, 12, 57, 45, tzinfo=UTC)
    assert found["nora.new@example.test"].last_login_at is None and found["nora.new@example.test"].mfa == "no"
    assert not found["olaf.gone@example.test"].enabled  # Suspended


def test_okta_statuses_map_to_enabled_or_disabled(system, lead, django_capture_on_commit_callbacks):
    apply(upload(system, sample("okta"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    enabled = {name.split("@")[0]: account.enabled for name, account in accounts(system).items()}
    assert enabled == {
        "sam.leaver": False,  # SUSPENDED
        "nora.new": True,  # STAGED: can be activated
        "lock.ed": False,  # LOCKED_OUT
        "pat.expired": True,  # PASSWORD_EXPIRED
        "rita.reset": True,  # RECOVERY
        "paul.prov": True,  # PROVISIONED
        "dee.prov": False,  # DEPROVISIONED
        "al.active": True,
    }
    assert accounts(system)["lock.ed@example.test"].last_login_at == datetime(2026, 11, 1, 10, 59, tzinfo=UTC)  # +01:00


def test_a_suspended_okta_account_of_a_terminated_person_opens_no_deprovisioning_task(
    registry, system, lead, django_capture_on_commit_callbacks
):
    sam = registry.person("Sam", "Leaver", email="sam.leaver@example.test")
    person_terminate(person=sam, terminated_at=NOW - timedelta(days=2), by=lead, now=NOW)
    job = apply(upload(system, sample("okta"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    account = accounts(system)["sam.leaver@example.test"]
    assert account.person == sam and not account.enabled
    assert job.summary["tasks_opened"] == 0
    assert not DeprovisionTask.objects.filter(account=account).exists()


def test_the_same_person_active_in_okta_does_get_a_task(registry, system, lead, django_capture_on_commit_callbacks):
    """The counterpart: the test above can fail."""
    sam = registry.person("Sam", "Leaver", email="sam.leaver@example.test")
    person_terminate(person=sam, terminated_at=NOW - timedelta(days=2), by=lead, now=NOW)
    data = sample("okta").replace(b",SUSPENDED,", b",ACTIVE,")
    job = apply(upload(system, data, lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    assert job.summary["tasks_opened"] == 1


def test_an_okta_status_outside_the_list_names_the_column_and_value(system, lead, django_capture_on_commit_callbacks):
    data = sample("okta").replace(b",STAGED,", b",HALF_ASLEEP,")
    job = upload(system, data, lead, django_capture_on_commit_callbacks)
    assert job.errors == [
        {"line": 3, "message": "Column 'status': value 'HALF_ASLEEP' must be an Okta status (ACTIVE, SUSPENDED, LOCKED_OUT …)"}
    ]


def test_every_problem_of_a_row_is_listed_with_personal_data_masked(system, lead, django_capture_on_commit_callbacks):
    data = b"User,Mail,MFA,Last login,Enabled\njane.doe@example.test,jane.doe@example.test,maybe,26/08/2019,perhaps\n"
    job = upload(system, data, lead, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(
            job=job,
            mapping={"account": "User", "email": "Mail", "mfa": "MFA", "last_login": "Last login", "enabled": "Enabled"},
            by=lead,
            now=NOW,
        )
    [error] = ImportJob.objects.get(pk=job.pk).errors
    assert error["message"] == (
        "Column 'MFA': value 'maybe' must be yes, no or unknown; "
        "Column 'Last login': value '26/08/2019' must be a date like 2026-11-02 or 2026-11-02 14:30; "
        "Column 'Enabled': value 'perhaps' must be yes or no"
    )
    long_name = "x" * 301
    data = f"User,MFA\n{long_name},maybe\n".encode()
    job = upload(system, data, lead, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(job=job, mapping={"account": "User", "mfa": "MFA"}, by=lead, now=NOW)
    [error] = ImportJob.objects.get(pk=job.pk).errors
    assert error["message"].startswith("Column 'User': value 'x***' is longer than 300 characters; Column 'MFA'")
    assert "jane.doe" not in str(ImportJob.objects.values_list("errors", flat=True)[::1])


def test_an_identifier_in_an_error_is_masked(system, lead, django_capture_on_commit_callbacks):
    data = b"User,Person\nlee,E404\n"
    job = upload(system, data, lead, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(job=job, mapping={"account": "User", "person_id": "Person"}, by=lead, now=NOW)
    assert ImportJob.objects.get(pk=job.pk).errors == [
        {"line": 2, "message": "Column 'Person': value 'E***' names no person with this id in the registry"}
    ]


def test_account_and_email_may_share_a_column_but_other_fields_may_not():
    header = ["Email Address [Required]", "Status [READ ONLY]"]
    assert mapping_problems({"account": "Email Address [Required]", "email": "Email Address [Required]"}, header) == []
    assert mapping_problems({"account": "Email Address [Required]", "enabled": "Email Address [Required]"}, header) == [
        "Each column can be used for one field only (the email column may also be the account name)."
    ]


def test_the_custom_guesser_reads_google_suffixes_and_github_2fa():
    assert guess_mapping(["Email Address [Required]", "Last Sign In [READ ONLY]", "2sv Enrolled [READ ONLY]"]) == {
        "email": "Email Address [Required]",
        "mfa": "2sv Enrolled [READ ONLY]",
        "last_login": "Last Sign In [READ ONLY]",
    }
    assert guess_mapping(["login", "2fa_enabled"]) == {"account": "login", "mfa": "2fa_enabled"}


def test_a_chosen_preset_wins_over_the_guess_and_can_be_changed_on_the_mapping_page(system, lead, django_capture_on_commit_callbacks):
    job = upload(system, sample("okta"), lead, django_capture_on_commit_callbacks, preset="custom")
    assert (job.preset, job.status) == ("custom", ImportStatus.MAPPING)
    job = job_set_preset(job=job, preset="okta", by=lead, now=NOW)
    assert job.mapping == PRESETS["okta"].mapping(job.header) and job.status == ImportStatus.MAPPING
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(job=job, mapping=job.mapping, by=lead, now=NOW)
    system.refresh_from_db()
    assert (system.import_preset, system.column_mapping) == ("okta", job.mapping)
    with pytest.raises(ValidationError):
        job_set_preset(job=job, preset="not-a-tool", by=lead, now=NOW)


def test_a_saved_mapping_names_the_columns_it_does_not_map(system, lead, django_capture_on_commit_callbacks):
    first = upload(system, b"User Name,MFA\nlee,yes\n", lead, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(job=first, mapping={"account": "User Name", "mfa": "MFA"}, by=lead, now=NOW)
    assert unmapped_columns(ImportJob.objects.get(pk=first.pk)) == []
    job = upload(system, b"User Name,MFA,Role,Team\nlee,yes,admin,ops\n", lead, django_capture_on_commit_callbacks)
    assert job.mapping_from == "saved" and unmapped_columns(job) == ["Role", "Team"]


def test_preset_columns_it_knows_are_not_reported_as_unmapped(system, lead, django_capture_on_commit_callbacks):
    job = upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks)
    assert unmapped_columns(job) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/08/26 12:57:45", datetime(2019, 8, 26, 12, 57, 45, tzinfo=UTC)),
        ("2026-11-01T11:59:00.000+01:00", datetime(2026, 11, 1, 10, 59, tzinfo=UTC)),
        ("2026-11-01T23:10:00Z", datetime(2026, 11, 1, 23, 10, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_dates_as_identity_tools_write_them(text, expected):
    assert read_datetime(text, "c") == expected


def test_no_date_words_are_read_only_where_a_preset_says_so():
    assert read_datetime("N/A", "c", none_words=frozenset({"n/a"})) is None
    with pytest.raises(CellError):
        read_datetime("Never logged in", "c")
    with pytest.raises(CellError):
        read_datetime("08/26/2019", "c")  # month-first or day-first: ambiguous, refused


def test_a_windows_filetime_is_read_and_zero_means_never():
    assert read_filetime("0", "c") is None
    assert read_filetime("116444736000000000", "c") == datetime(1970, 1, 1, tzinfo=UTC)


# --- the pages ---------------------------------------------------------------------------------
def test_the_upload_page_offers_the_sources_and_uses_the_one_chosen(system, lead_client, django_capture_on_commit_callbacks):
    url = reverse("access_reviews:accounts_import", args=[system.pk])
    html = lead_client.get(url).content.decode()
    assert "Where does this file come from?" in html and "Credential report" in html
    assert "Where does this file come from?" not in lead_client.get(reverse("access_reviews:people_import")).content.decode()
    upload_file = SimpleUploadedFile("okta.csv", sample("okta"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(url, {"file": upload_file, "preset": "custom"})
    job = ImportJob.objects.get()
    assert job.preset == "custom" and response.url == reverse("access_reviews:import_mapping", args=[job.pk])
    response = lead_client.post(reverse("access_reviews:import_preset", args=[job.pk]), {"preset": "okta"})
    assert response.url == reverse("access_reviews:import_mapping", args=[job.pk])
    job.refresh_from_db()
    assert job.preset == "okta" and job.mapping["enabled"] == "status"


def test_the_import_page_lists_the_columns_a_saved_mapping_leaves_out(system, lead, lead_client, django_capture_on_commit_callbacks):
    first = upload(system, b"User Name,MFA\nlee,yes\n", lead, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        job_set_mapping(job=first, mapping={"account": "User Name", "mfa": "MFA"}, by=lead, now=NOW)
    job = upload(system, b"User Name,MFA,Role,Team,Admin\nlee,yes,admin,ops,no\n", lead, django_capture_on_commit_callbacks)
    html = lead_client.get(reverse("access_reviews:import_detail", args=[job.pk])).content.decode()
    assert "3 columns of this file are not mapped" in html and "<code>Admin</code>" in html
    assert reverse("access_reviews:import_mapping", args=[job.pk]) in html
    html = lead_client.get(reverse("access_reviews:import_detail", args=[first.pk])).content.decode()
    assert "not mapped" not in html


def test_only_the_lead_answers_a_service_account_suggestion(system, lead, lead_client, client, manager, django_capture_on_commit_callbacks):
    apply(upload(system, sample("aws_iam"), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
    ci = accounts(system)["ci-deploy"]
    url = reverse("access_reviews:account_service_decide", args=[ci.pk])
    assert "Service account?" in lead_client.get(reverse("access_reviews:account_detail", args=[ci.pk])).content.decode()
    assert signed_in(Client(), manager).post(url, {"answer": "confirm"}).status_code == 403
    ci.refresh_from_db()
    assert ci.service_account_suggested
    lead_client.post(url, {"answer": "reject"})
    ci.refresh_from_db()
    assert not ci.service_account_suggested and not ci.is_service_account and ci.service_account_reviewed_at is not None


def test_the_mapping_page_tag_shows_the_source_select(system, lead, django_capture_on_commit_callbacks):
    job = upload(system, sample("okta"), lead, django_capture_on_commit_callbacks, preset="custom")
    html = Template("{% load import_presets %}{% preset_select job %}").render(Context({"job": job}))
    assert reverse("access_reviews:import_preset", args=[job.pk]) in html
    assert '<option value="custom" selected>' in html and "Okta users" in html


def test_entra_github_ldap_and_jumpcloud_values(registry, lead, django_capture_on_commit_callbacks):
    found = {}
    for key in ("entra", "github", "ldap_csvde", "jumpcloud"):
        system = registry.system(f"From {key}")
        job = apply(upload(system, sample(key), lead, django_capture_on_commit_callbacks), lead, django_capture_on_commit_callbacks)
        assert job.status == ImportStatus.APPLIED, key
        found[key] = accounts(system)
    entra = found["entra"]
    assert entra["sam.leaver@example.test"].mfa == "yes" and entra["sam.leaver@example.test"].enabled
    assert not entra["olaf.gone@example.test"].enabled and entra["guest_ext#EXT#@example.onmicrosoft.com"].mfa == "no"
    github = found["github"]
    assert github["octo-owner"].privileged and not github["sam-leaver"].privileged  # admin → privileged
    assert github["sam-leaver"].mfa == "no" and github["bot-builder"].last_login_at is None
    ldap = found["ldap_csvde"]
    assert ldap["sleaver"].enabled and not ldap["ogone"].enabled  # 514 = 512 | ACCOUNTDISABLE
    assert ldap["sleaver"].last_login_at == datetime(2025, 10, 29, 15, 0, 11, tzinfo=UTC) and ldap["ogone"].last_login_at is None
    jumpcloud = found["jumpcloud"]  # saved with semicolons
    assert jumpcloud["sam.leaver"].enabled and jumpcloud["sam.leaver"].mfa == "yes" and not jumpcloud["olaf.gone"].enabled


def test_a_file_of_another_tool_than_the_source_chosen_is_refused_next_to_the_file(system, lead, lead_client):
    """An Okta file uploaded as an AWS credential report: refused with what is missing, and no job."""
    url = reverse("access_reviews:accounts_import", args=[system.pk])
    response = lead_client.post(url, {"file": SimpleUploadedFile("okta.csv", sample("okta"), content_type="text/csv"), "preset": "aws_iam"})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This file does not look like an AWS IAM credential report: it has no column user, arn, password_enabled, mfa_active. "
        "Choose the tool it came from, or 'Guess from the header'."
    ]
    assert "does not look like an AWS IAM credential report" in response.content.decode()
    assert not ImportJob.objects.exists()
    with pytest.raises(
        CsvFileError,
        match="not look like an Okta users export: it has no column status, last login or lastlogin, first name or firstname[.]",
    ):
        job_upload(kind="accounts", system=system, filename="x.csv", data=sample("github"), by=lead, now=NOW, preset="okta")
    assert not ImportJob.objects.exists()
    # the right file with that source, "custom" and no choice at all still upload
    for key, preset in (("aws_iam", "aws_iam"), ("okta", "custom"), ("okta", "")):
        job_upload(kind="accounts", system=system, filename="x.csv", data=sample(key), by=lead, now=NOW, preset=preset)
    assert ImportJob.objects.count() == 3
