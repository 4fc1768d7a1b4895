"""The accounts CSV import never erases by omission (issue 21.3): a column the file lacks (or that
is not mapped) and an empty cell keep the stored value; the preview shows old and new values with
personal data masked; downgrades of privileged or MFA-on accounts need an explicit confirmation,
and a refused apply writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access_reviews.imports.jobs import job_apply, job_preview, job_request_apply
from access_reviews.models import Account, ImportJob, ImportStatus
from grc.crypto import blind_index
from tests.access_reviews.conftest import NOW
from tests.access_reviews.test_imports import MAPPING, apply, csv, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(registry):
    return registry.system("Google Workspace")


@pytest.fixture
def admin(registry, system):
    """An Admin with MFA on, linked to the lead's person."""
    return registry.account(system, "priya@x.test", registry.lead, privilege="Admin", mfa="yes")


def stored(system, name: str) -> Account:
    return Account.objects.select_related("person").get(system=system, name_index=blind_index(name))


def snapshot(system) -> list[tuple]:
    return sorted(
        Account.objects.filter(system=system).values_list(
            "name_index", "person_id", "privilege", "privileged", "mfa", "enabled", "removed_at", "flag_privileged"
        )
    )


def test_a_file_without_those_columns_keeps_privilege_mfa_and_person(registry, system, admin, lead, django_capture_on_commit_callbacks):
    data = csv("priya@x.test", f"sam@x.test,{registry.staff.email}", header="User Name,Email\n")
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping={"account": "User Name", "email": "Email"})
    assert (job.summary["adds"], job.summary["changes"], job.summary["unchanged"]) == (1, 0, 1)
    apply(job, lead, django_capture_on_commit_callbacks)
    kept = stored(system, "priya@x.test")
    assert (kept.privilege, kept.privileged, kept.mfa, kept.person) == ("Admin", True, "yes", registry.lead)
    assert kept.flag_privileged and not kept.flag_no_mfa


def test_empty_cells_in_mapped_columns_keep_the_stored_values(registry, system, admin, lead, django_capture_on_commit_callbacks):
    data = csv(
        "priya@x.test,,,,,",  # every optional cell empty: nothing stated
        "new@x.test,,,,,",  # a new account: the defaults
    )
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    assert (job.summary["changes"], job.summary["privileged_downgrades"], job.summary["mfa_downgrades"]) == (0, 0, 0)
    job = apply(job, lead, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.APPLIED
    kept = stored(system, "priya@x.test")
    assert (kept.privilege, kept.privileged, kept.mfa, kept.person, kept.enabled) == ("Admin", True, "yes", registry.lead, True)
    new = stored(system, "new@x.test")
    assert (new.privilege, new.privileged, new.mfa, new.person, new.enabled) == ("", False, "unknown", None, True)


def test_a_file_states_unknown_mfa_and_never_explicitly(registry, system, lead, django_capture_on_commit_callbacks):
    account = registry.account(system, "lee@x.test", registry.staff, privilege="member", mfa="no")
    job = upload(system, csv("lee@x.test,,member,unknown,never,active"), lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    assert job.summary["changes"] == 1 and job.summary["mfa_downgrades"] == 0  # MFA was not on
    apply(job, lead, django_capture_on_commit_callbacks)
    account.refresh_from_db()
    assert account.mfa == "unknown" and account.person == registry.staff  # the empty email cell kept the link


def test_the_preview_shows_old_and_new_values_with_emails_masked(registry, system, lead, django_capture_on_commit_callbacks):
    registry.account(system, "lee@x.test", registry.staff, privilege="member", mfa="yes")
    data = csv(f"lee@x.test,{registry.manager.email},owner,yes,,active")
    job = upload(system, data, lead, django_capture_on_commit_callbacks, mapping=MAPPING)
    (change,) = job_preview(job)["changes"]
    values = {item["field"]: (item["old"], item["new"]) for item in change["values"]}
    assert values["privilege"] == ("member", "owner") and values["privileged"] == (False, True)
    assert values["person_id"] == (f"{registry.staff.person_id} (l***@example.test)", f"{registry.manager.person_id} (t***@example.test)")
    assert registry.staff.email not in job.preview and registry.manager.email not in job.preview


def downgrading_job(registry, system, lead, capture):
    """Priya's Admin becomes "read" and Lee's MFA goes off; a new account is added alongside."""
    registry.account(system, "lee@x.test", registry.staff, privilege="member", mfa="yes")
    data = csv("priya@x.test,,read,yes,,active", "lee@x.test,,member,no,,active", "new@x.test,,member,yes,,active")
    return upload(system, data, lead, capture, mapping=MAPPING)


def test_the_preview_counts_and_names_downgrades(registry, system, admin, lead, django_capture_on_commit_callbacks):
    job = downgrading_job(registry, system, lead, django_capture_on_commit_callbacks)
    assert (job.summary["privileged_downgrades"], job.summary["mfa_downgrades"]) == (1, 1)
    assert {row["name"]: row["kinds"] for row in job_preview(job)["downgrades"]} == {"priya@x.test": ["privileged"], "lee@x.test": ["mfa"]}


def test_a_downgrade_needs_the_confirmation_and_nothing_is_written_without_it(
    registry, system, admin, lead, django_capture_on_commit_callbacks
):
    job = downgrading_job(registry, system, lead, django_capture_on_commit_callbacks)
    before = snapshot(system)
    with pytest.raises(ValidationError) as refused, django_capture_on_commit_callbacks(execute=True):
        job_request_apply(job=job, import_good_rows=False, by=lead, now=NOW)
    message = " ".join(refused.value.messages)
    assert "1 privileged account would lose privileged (priya@x.test)" in message
    assert "1 account with MFA on would have MFA off or unknown (lee@x.test)" in message
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.PREVIEW
    assert snapshot(system) == before  # not even the new account

    with django_capture_on_commit_callbacks(execute=True):
        job_request_apply(job=job, import_good_rows=False, confirm_downgrades=True, by=lead, now=NOW)
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.APPLIED
    demoted = stored(system, "priya@x.test")
    assert (demoted.privilege, demoted.privileged, demoted.flag_privileged) == ("read", False, False)
    assert stored(system, "lee@x.test").mfa == "no" and stored(system, "new@x.test")


def test_the_worker_refuses_an_unconfirmed_downgrade_and_writes_nothing(registry, system, admin, lead, django_capture_on_commit_callbacks):
    job = downgrading_job(registry, system, lead, django_capture_on_commit_callbacks)
    before = snapshot(system)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLYING)  # queued without the confirmation
    with pytest.raises(ValidationError):
        job_apply(job_id=job.pk, now=NOW)
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED
    assert snapshot(system) == before


def test_the_confirm_step_on_the_page(registry, system, admin, lead, lead_client, django_capture_on_commit_callbacks):
    job = downgrading_job(registry, system, lead, django_capture_on_commit_callbacks)
    page = lead_client.get(reverse("access_reviews:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-downgrades"' in page and 'name="confirm_downgrades"' in page
    assert "privilege: Admin → read" in page and "mfa: yes → no" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("access_reviews:import_apply", args=[job.pk]), follow=True)
    assert "would lose privileged (priya@x.test)" in response.content.decode()
    assert stored(system, "priya@x.test").privileged

    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(reverse("access_reviews:import_apply", args=[job.pk]), {"confirm_downgrades": "on"})
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.APPLIED
    assert not stored(system, "priya@x.test").privileged
