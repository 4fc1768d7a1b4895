"""The people import maps any HR or directory export's columns (Google Workspace, Okta, Entra ID),
terminates leavers with a real date only, and lists every problem of a bad row, masked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access_reviews.imports import people as people_import
from access_reviews.imports.jobs import job_request_apply, job_set_mapping, job_upload
from access_reviews.models import DeprovisionTask, ImportJob, ImportKind, ImportStatus, Person, PersonStatus
from grc.audit.models import AuditEvent
from grc.csvio import CsvRow, read_csv
from tests.access_reviews.conftest import NOW

SAMPLES = Path(__file__).parent / "samples"
GOOGLE = (SAMPLES / "people_google_workspace.csv").read_bytes()
OKTA = (SAMPLES / "people_okta.csv").read_bytes()
ENTRA = (SAMPLES / "people_entra.csv").read_bytes()


def upload(data: bytes, by, capture) -> ImportJob:
    with capture(execute=True):
        job = job_upload(kind=ImportKind.PEOPLE, system=None, filename="people.csv", data=data, by=by, now=NOW)
    return ImportJob.objects.get(pk=job.pk)


def set_mapping(job: ImportJob, mapping: dict[str, str], by, capture) -> ImportJob:
    with capture(execute=True):
        job_set_mapping(job=job, mapping=mapping, by=by, now=NOW)
    return ImportJob.objects.get(pk=job.pk)


def apply(job: ImportJob, by, capture) -> ImportJob:
    with capture(execute=True):
        job_request_apply(job=job, import_good_rows=True, by=by, now=NOW)
    return ImportJob.objects.get(pk=job.pk)


def errors_by_line(job: ImportJob) -> dict[int, str]:
    return {error["line"]: error["message"] for error in job.errors}


def test_it_guesses_the_google_workspace_columns_without_their_suffixes():
    header, _rows = read_csv(GOOGLE)
    assert people_import.guess_mapping(header) == {
        "person_id": "Employee ID",
        "first_name": "First Name [Required]",
        "last_name": "Last Name [Required]",
        "email": "Email Address [Required]",
        "manager_email": "Manager Email",
        "department": "Department",
        "type": "Employee Type",
        "status": "Status [READ ONLY]",
    }


def test_it_guesses_the_okta_and_entra_columns_and_keys_entra_people_by_their_login():
    okta, _rows = read_csv(OKTA)
    assert people_import.guess_mapping(okta) == {
        "person_id": "employeeNumber",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "manager_id": "managerId",
        "department": "department",
        "status": "status",
        "started_at": "created",
        "type": "userType",
        "status_changed_at": "statusChanged",
    }
    entra, _rows = read_csv(ENTRA)
    assert people_import.guess_mapping(entra) == {
        "person_id": "userPrincipalName",
        "first_name": "givenName",
        "last_name": "surname",
        "email": "mail",
        "department": "department",
        "type": "userType",
        "status": "accountEnabled",
    }


def test_one_column_may_be_both_the_person_id_and_the_email_but_no_other_column_is_used_twice():
    header = ["Email Address [Required]", "First Name [Required]", "Last Name [Required]"]
    both = {"person_id": "Email Address [Required]", "email": "Email Address [Required]", "first_name": "First Name [Required]"}
    assert people_import.mapping_problems(both | {"last_name": "Last Name [Required]"}, header) == []
    twice = both | {"last_name": "First Name [Required]"}
    assert people_import.mapping_problems(twice, header) == [
        "Each column can be used for one field only (the email column may also be the person id)."
    ]
    assert people_import.mapping_problems({"first_name": "First Name [Required]"}, header) == [
        "Choose the column that holds the person id (employee number; the email or login when the export has none).",
        "Choose the column that holds the last name.",
    ]


def test_a_google_workspace_export_is_mapped_checked_and_applied(registry, lead, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    job = upload(GOOGLE, lead, capture)
    assert (job.status, job.mapping_from) == (ImportStatus.MAPPING, "guess") and not job.summary
    # Google's Employee ID is empty here: the email is the person key and the email
    mapping = {**job.mapping, "person_id": "Email Address [Required]"}
    job = set_mapping(job, mapping, lead, capture)
    assert job.status == ImportStatus.PREVIEW
    assert (job.summary["rows"], job.summary["adds"], job.summary["bad"], job.summary["terminations"]) == (5, 3, 2, 0)
    errors = errors_by_line(job)
    # a Suspended person without a date is not terminated "today": the row says what is missing
    assert errors[4] == (
        "terminated_at is required for a terminated person (Column 'Status [READ ONLY]' says 'Suspended'): "
        "map a termination date or status-changed column, or fill it in"
    )
    # every problem of the row at once, each with its column and the value, personal data masked
    assert errors[5].split("; ") == [
        "Column 'First Name [Required]' is empty",
        "Column 'Email Address [Required]': value 'k***@@example' is not a valid address",
        "Column 'Employee Type': value 'Wizard' must be employee, contractor or service owner",
        "Column 'Manager Email': value 'n***@example.com' is not the email of a person in the registry or the file",
    ]
    assert "katherine" not in str(job.errors) and "nobody@" not in str(job.errors)

    job = apply(job, lead, capture)
    assert job.status == ImportStatus.APPLIED
    ada, grace, dorothy = (Person.objects.get(person_id=pid) for pid in ("ada@example.com", "grace@example.com", "dorothy@example.com"))
    assert grace.manager == ada and dorothy.manager == grace  # managers given by email
    assert (ada.email, ada.department, ada.kind, dorothy.kind) == ("ada@example.com", "Engineering", "employee", "contractor")
    assert Person.objects.count() == 4 + 3  # the registry's four and the three good rows
    assert AuditEvent.objects.filter(action="access_reviews.import.mapping_set", object_id=str(job.pk)).exists()


def test_the_next_file_with_the_same_columns_reuses_the_people_mapping(registry, lead, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    job = upload(GOOGLE, lead, capture)
    mapping = {**job.mapping, "person_id": "Email Address [Required]"}
    apply(set_mapping(job, mapping, lead, capture), lead, capture)

    again = upload(GOOGLE, lead, capture)
    assert (again.status, again.mapping, again.mapping_from) == (ImportStatus.PREVIEW, mapping, "user")
    assert (again.summary["adds"], again.summary["unchanged"], again.summary["bad"]) == (0, 3, 2)
    other = upload(OKTA, lead, capture)  # another header: guessed again, confirmed by the user
    assert other.status == ImportStatus.MAPPING


def test_an_okta_report_terminates_leavers_on_their_status_change_and_opens_24_hour_tasks(
    registry, lead, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    noor = registry.person("Noor", "Haddad", person_id="E2002", email="noor.h@example.com", department="Support")
    account = registry.account(registry.system("Order DB"), "noor.haddad", noor)
    job = upload(OKTA, lead, capture)
    assert job.status == ImportStatus.MAPPING
    job = set_mapping(job, job.mapping, lead, capture)
    summary = job.summary
    assert (summary["rows"], summary["adds"], summary["terminations"], summary["bad"]) == (6, 4, 2, 1)
    assert errors_by_line(job)[7].split("; ") == [
        "Column 'firstName' is empty",
        "Column 'email': value 'n***' is not a valid address",
        "Column 'managerId': value 'E9999' is not a person id in the registry or the file",
    ]

    job = apply(job, lead, capture)
    assert job.status == ImportStatus.APPLIED
    noor.refresh_from_db()
    assert noor.status == PersonStatus.TERMINATED and noor.terminated_at == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)
    task = DeprovisionTask.objects.get(account=account)
    assert task.due_at == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    sam = Person.objects.get(person_id="E2003")  # SUSPENDED: a leaver, dated by statusChanged
    assert (sam.status, sam.terminated_at, sam.kind) == (PersonStatus.TERMINATED, datetime(2026, 10, 20, 10, 0, tzinfo=UTC), "contractor")
    mira = Person.objects.get(person_id="E2004")  # LOCKED_OUT is still an employee
    assert mira.status == PersonStatus.ACTIVE and mira.manager.person_id == "E2001"
    assert mira.started_at == datetime(2025, 4, 7, 9, 0, tzinfo=UTC)


def test_an_entra_export_keys_people_by_login_and_needs_a_date_for_a_disabled_account(registry):
    header, rows = read_csv(ENTRA)
    plan = people_import.plan_people(rows, now=NOW, mapping=people_import.guess_mapping(header))
    assert [row.values["person_id"] for row in plan.adds] == ["ada.lovelace@contoso.example", "grace.hopper@contoso.example"]
    assert [(e.line, e.message) for e in plan.errors] == [
        (
            4,
            "terminated_at is required for a terminated person (Column 'accountEnabled' says 'False'): "
            "map a termination date or status-changed column, or fill it in",
        )
    ]


def test_a_leaver_already_terminated_needs_no_date(registry, lead):
    from access_reviews.services.registry import person_terminate

    alan = registry.person("Alan", "Turing", person_id="alan.turing@contoso.example", email="alan.turing@contoso.example")
    person_terminate(person=alan, terminated_at=datetime(2026, 10, 1, tzinfo=UTC), by=lead, now=NOW)
    header, rows = read_csv(ENTRA)
    plan = people_import.plan_people(rows, now=NOW, mapping=people_import.guess_mapping(header))
    assert plan.errors == [] and plan.terminations == []


def test_the_template_and_the_api_rows_keep_the_field_names_in_their_errors(registry):
    rows = [
        CsvRow(2, {"person_id": "E7001", "first_name": "", "last_name": "", "email": "bad@", "status": "gone", "started_at": "soon"}),
        CsvRow(3, {"person_id": "E7002", "first_name": "Ok", "last_name": "Row", "status": "terminated"}),
    ]
    plan = people_import.plan_people(rows, now=NOW)
    messages = {e.line: e.message for e in plan.errors}
    assert messages[2].startswith("first_name is empty; last_name is empty; ")
    assert "email: value 'b***' is not a valid address" in messages[2]
    assert "status: value 'gone' must be active or terminated" in messages[2]
    assert "started_at: value 'soon' must be a date" in messages[2]
    assert messages[3] == "terminated_at is required for a terminated person"


def test_a_file_with_the_template_columns_is_checked_without_the_mapping_step(registry, lead, django_capture_on_commit_callbacks):
    data = b"last_name,person_id,first_name\nHaddad,E5001,Noor\n"
    job = upload(data, lead, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.PREVIEW and job.summary["adds"] == 1


def test_a_bad_mapping_is_refused_and_nothing_is_checked(registry, lead, django_capture_on_commit_callbacks):
    job = upload(OKTA, lead, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        job_set_mapping(job=job, mapping={"person_id": "employeeNumber", "first_name": "firstName"}, by=lead, now=NOW)
    assert refused.value.messages == ["Choose the column that holds the last name."]
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.MAPPING


def test_the_lead_maps_a_people_export_through_the_pages(registry, lead_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("access_reviews:people_import"), {"file": SimpleUploadedFile("okta.csv", OKTA)})
    job = ImportJob.objects.get()
    assert response.url == reverse("access_reviews:import_mapping", args=[job.pk])
    page = lead_client.get(response.url)
    assert page.status_code == 200 and "Status changed" in page.content.decode()
    form = {target: column for target, column in job.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        done = lead_client.post(reverse("access_reviews:import_mapping", args=[job.pk]), form)
    assert done.url == reverse("access_reviews:import_detail", args=[job.pk])
    assert ImportJob.objects.get(pk=job.pk).summary["adds"] == 5


def test_only_the_lead_maps_a_people_import(registry, lead, manager_client, django_capture_on_commit_callbacks):
    job = upload(OKTA, lead, django_capture_on_commit_callbacks)
    assert manager_client.get(reverse("access_reviews:import_mapping", args=[job.pk])).status_code == 403
