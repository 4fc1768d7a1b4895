"""CSV import of accounts per system: mapping (saved), bad rows by line, preview, all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access_reviews.imports.accounts import guess_mapping
from access_reviews.imports.jobs import job_preview, job_request_apply, job_set_mapping, job_upload
from access_reviews.models import Account, DeprovisionTask, ImportJob, ImportStatus, System
from access_reviews.services.deprovision import task_confirm
from access_reviews.services.registry import person_terminate
from grc.audit.models import AuditEvent
from grc.compliance.services import open_obligation
from grc.crypto import blind_index
from tests.access_reviews.conftest import NOW

HEADER = "User Name,Email,Role,MFA Enabled,Last Sign-In,Status\n"


def csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def system(registry):
    return registry.system("Google Workspace")


def upload(system, data, by, capture, mapping=None):
    with capture(execute=True):
        job = job_upload(kind="accounts", system=system, filename="export.csv", data=data, by=by, now=NOW)
    if mapping is not None:
        with capture(execute=True):
            job_set_mapping(job=job, mapping=mapping, by=by, now=NOW)
    return ImportJob.objects.get(pk=job.pk)


def apply(job, by, capture, good_rows=False):
    with capture(execute=True):
        job_request_apply(job=job, import_good_rows=good_rows, by=by, now=NOW)
    return ImportJob.objects.get(pk=job.pk)


MAPPING = {
    "account": "User Name",
    "email": "Email",
    "privilege": "Role",
    "mfa": "MFA Enabled",
    "last_login": "Last Sign-In",
    "enabled": "Status",
}


def test_it_guesses_the_mapping_from_the_header():
    assert guess_mapping(["User Name", "Email", "Role", "MFA Enabled", "Last Sign-In", "Status"]) == MAPPING


def test_a_first_import_asks_for_the_mapping_and_saves_it_for_the_system(system, lead, django_capture_on_commit_callbacks):
    job = upload(system, csv("lee@x.test,lee.wong@x.test,member,yes,2026-10-30,active"), lead, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.MAPPING
    job = upload(system, csv("lee@x.test,,member,yes,2026-10-30,active"), lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    assert job.status == ImportStatus.PREVIEW
    system.refresh_from_db()
    assert system.column_mapping == MAPPING
    again = upload(system, csv("lee@x.test,,member,yes,2026-10-30,active"), lead, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.PREVIEW  # the saved mapping is used directly


def test_it_reports_every_bad_row_by_line_and_imports_nothing(system, lead, django_capture_on_commit_callbacks):
    data = csv(
        "lee@x.test,,member,yes,2026-10-30,active",  # line 2: good
        ",,member,yes,2026-10-30,active",  # line 3: no account name
        "tom@x.test,,member,maybe,2026-10-30,active",  # line 4: bad MFA
        "ana@x.test,,member,yes,30/10/2026,active",  # line 5: not an ISO date
        "lee@x.test,,admin,yes,,active",  # line 6: duplicate of line 2
    )
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    assert [(e["line"], e["message"]) for e in job.errors] == [
        (3, "Column 'User Name' is empty"),  # issue 24: each problem names the column and the value
        (4, "Column 'MFA Enabled': value 'maybe' must be yes, no or unknown"),
        (5, "Column 'Last Sign-In': value '30/10/2026' must be a date like 2026-11-02 or 2026-11-02 14:30"),
        (6, "the same account as line 2"),
    ]
    assert job.summary["bad"] == 4 and job.summary["adds"] == 1
    with pytest.raises(ValidationError):
        job_request_apply(job=job, import_good_rows=False, by=lead, now=NOW)
    assert not Account.objects.filter(system=system).exists()


def test_it_imports_the_good_rows_when_asked(system, lead, django_capture_on_commit_callbacks):
    data = csv("lee@x.test,,member,yes,2026-10-30,active", "tom@x.test,,member,maybe,,active")
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    job = apply(job, lead, django_capture_on_commit_callbacks, good_rows=True)
    assert job.status == ImportStatus.APPLIED
    assert [a.name for a in Account.objects.filter(system=system)] == ["lee@x.test"]
    assert job.content == ""  # the uploaded file (names) is not kept after applying


def test_it_previews_adds_changes_and_removes_then_applies_them(registry, system, lead, django_capture_on_commit_callbacks):
    kept = registry.account(system, "lee@x.test", registry.staff, privilege="member", mfa="yes")
    gone = registry.account(system, "old.contractor@x.test", None)
    data = csv(
        f"lee@x.test,{registry.staff.email},admin,yes,2026-10-30 08:15,active",  # change: privilege admin
        f"tom@x.test,{registry.manager.email},member,no,,active",  # add
        "admin@x.test,,super admin,no,,active",  # add: shared/generic
    )
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    assert (job.summary["adds"], job.summary["changes"], job.summary["removes"]) == (2, 1, 1)
    preview = job_preview(job)
    assert {row["name"] for row in preview["adds"]} == {"tom@x.test", "admin@x.test"}
    assert "privilege" in preview["changes"][0]["fields"]
    assert preview["removes"][0]["name"] == "old.contractor@x.test"
    assert not Account.objects.filter(system=system, privilege="admin").exists()  # nothing written yet

    apply(job, lead, django_capture_on_commit_callbacks)
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (kept.privilege, kept.privileged, kept.last_login_at.hour) == ("admin", True, 8)
    assert gone.removed_at is not None and not gone.enabled
    admin = Account.objects.get(system=system, name_index=blind_index("admin@x.test"))
    assert admin.flag_shared and admin.flag_orphan and admin.flag_no_mfa and admin.flag_privileged
    tom = Account.objects.get(system=system, person=registry.manager)
    assert tom.flag_no_mfa and not tom.flag_orphan


def test_the_audit_trail_records_counts_and_no_names(registry, system, lead, django_capture_on_commit_callbacks):
    job = upload(
        system, csv(f"lee@x.test,{registry.staff.email},member,yes,,active"), lead, django_capture_on_commit_callbacks, mapping=MAPPING
    )
    apply(job, lead, django_capture_on_commit_callbacks)
    event = AuditEvent.objects.filter(action="access_reviews.import.applied").get()
    assert event.details["adds"] == 1
    trail = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "lee@x.test" not in trail and "Wong" not in trail


def test_a_revoked_account_still_enabled_in_a_later_import_reopens_its_task(registry, system, lead, django_capture_on_commit_callbacks):
    account = registry.account(system, "lee@x.test", registry.staff, privilege="member")
    task = person_terminate(person=registry.staff, terminated_at=NOW - timedelta(hours=5), by=lead, now=NOW)[0]
    task_confirm(task=task, outcome="disabled", when=NOW - timedelta(hours=1), by=lead, now=NOW)
    assert open_obligation("access_reviews.deprovision", task) is None

    job = upload(system, csv("lee@x.test,,member,yes,,active"), lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    job = apply(job, lead, django_capture_on_commit_callbacks)
    task.refresh_from_db()
    account.refresh_from_db()
    assert task.is_open and task.reopen_count == 1
    assert account.enabled and account.flag_revoked_present
    obligation = open_obligation("access_reviews.deprovision", task)
    assert obligation is not None and obligation.due_at == task.due_at  # overdue from the original clock
    assert job.summary["tasks_reopened"] == 1

    job = upload(system, csv("lee@x.test,,member,yes,,suspended"), lead, django_capture_on_commit_callbacks)
    apply(job, lead, django_capture_on_commit_callbacks)
    task.refresh_from_db()
    account.refresh_from_db()
    assert not task.is_open and task.closed_via == "import" and task.verified_at is not None
    assert not account.enabled and not account.flag_revoked_present


def test_an_import_opens_a_task_for_a_live_account_of_someone_already_terminated(
    registry, system, lead, django_capture_on_commit_callbacks
):
    person_terminate(person=registry.staff, terminated_at=NOW - timedelta(days=3), by=lead, now=NOW)
    job = upload(
        system, csv(f"lee@x.test,{registry.staff.email},member,yes,,active"), lead, django_capture_on_commit_callbacks, mapping=MAPPING
    )
    job = apply(job, lead, django_capture_on_commit_callbacks)
    task = DeprovisionTask.objects.get(account__system=system)
    assert task.opened_at == NOW - timedelta(days=3) and task.is_open
    assert job.summary["tasks_opened"] == 1


def test_it_refuses_a_file_that_is_not_utf8_with_a_clear_message(system, lead_client):
    url = reverse("access_reviews:accounts_import", args=[system.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = lead_client.post(url, {"file": SimpleUploadedFile("x.csv", "Name\nJosé\n".encode("latin-1"))})
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_lead_imports_through_the_pages(system, lead_client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("access_reviews:accounts_import", args=[system.pk]),
            {"file": SimpleUploadedFile("x.csv", csv("lee@x.test,,member,yes,,active"))},
        )
    job = ImportJob.objects.get()
    assert response.url == reverse("access_reviews:import_mapping", args=[job.pk])
    form = {target: column for target, column in MAPPING.items()}
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(reverse("access_reviews:import_mapping", args=[job.pk]), form)
    page = lead_client.get(reverse("access_reviews:import_detail", args=[job.pk])).content.decode()
    assert "Will add" in page and "lee@x.test" in page
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(reverse("access_reviews:import_apply", args=[job.pk]))
    assert Account.objects.filter(system=system).count() == 1


def test_only_the_lead_imports(system, manager_client, auditor_client):
    url = reverse("access_reviews:accounts_import", args=[system.pk])
    assert manager_client.get(url).status_code == 403
    assert System.objects.filter(is_portal=False).count() == 1


@pytest.mark.slow
def test_a_25000_row_import_checks_and_applies_in_bulk(registry, system, lead, django_capture_on_commit_callbacks):
    import time

    lines = [
        f"user{i:05d}@x.test,,{'admin' if i % 50 == 0 else 'member'},{'yes' if i % 3 else 'no'},2026-10-{1 + i % 28:02d},active"
        for i in range(25_000)
    ]
    started = time.monotonic()
    job = upload(system, csv(*lines), lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    job = apply(job, lead, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started
    assert job.status == ImportStatus.APPLIED
    assert Account.objects.filter(system=system).count() == 25_000
    assert elapsed < 60, f"25,000 rows took {elapsed:.1f} s"
    # and a second run that changes every last login
    lines = [line.replace("2026-10-", "2026-11-") for line in lines[:-1000]]
    job = upload(system, csv(*lines), lead, django_capture_on_commit_callbacks)
    assert (job.summary["changes"], job.summary["removes"]) == (24_000, 1_000)
    job = apply(job, lead, django_capture_on_commit_callbacks)
    assert Account.objects.filter(system=system, removed_at__isnull=False).count() == 1_000
    assert Account.objects.filter(system=system, last_login_at__month=11).count() == 24_000
    assert time.monotonic() - started < 120, "two 25,000-row imports (check + apply) should take well under a minute each"
