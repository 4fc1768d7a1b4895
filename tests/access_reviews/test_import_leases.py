"""Imports that finish or say why (issue 21): the check and the apply of an import claim the job
under a lease (``grc.jobs``); a job whose worker died is queued again by the sweep and run from
the start, once, or failed with the reason after IMPORT_MAX_ATTEMPTS. All on the database, with
time under time_machine."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from access_reviews import tasks
from access_reviews.imports import jobs
from access_reviews.models import Account, ImportJob, ImportStatus
from grc.audit.models import AuditEvent
from grc.jobs import claimable

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HEADER = "User Name,Email,Role,MFA Enabled,Last Sign-In,Status\n"
MAPPING = {"account": "User Name", "privilege": "Role", "mfa": "MFA Enabled", "enabled": "Status"}
DATA = (HEADER + "lee@x.test,,member,yes,,active\ntom@x.test,,member,no,,active\n").encode()


@pytest.fixture
def lease(settings):
    settings.IMPORT_LEASE_SECONDS = 600
    settings.IMPORT_MAX_ATTEMPTS = 3


@pytest.fixture
def system(registry):
    return registry.system("Google Workspace")


def row(job) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def checking_job(system, lead, capture) -> ImportJob:
    """A job whose check is queued but not run yet (no worker has claimed it)."""
    with capture(execute=False):
        job = jobs.job_upload(kind="accounts", system=system, filename="export.csv", data=DATA, by=lead, now=timezone.now())
        jobs.job_set_mapping(job=job, mapping=MAPPING, by=lead, now=timezone.now())
    return row(job)


def applying_job(system, lead, capture) -> ImportJob:
    """A checked job whose apply is queued but not run yet."""
    job = checking_job(system, lead, capture)
    assert jobs.job_check(job_id=job.pk, now=timezone.now()).status == ImportStatus.PREVIEW
    with capture(execute=False):
        jobs.job_request_apply(job=row(job), import_good_rows=False, by=lead, now=timezone.now())
    return row(job)


def accounts(system) -> int:
    return Account.objects.filter(system=system).count()


def applied_events(job) -> int:
    return AuditEvent.objects.filter(action="access_reviews.import.applied", object_id=str(job.pk)).count()


# --- the rules, as grc.jobs sees an import ---------------------------------------------------------
def test_an_import_waits_for_its_worker_in_its_step_without_a_lease(lease):
    policy = jobs.import_lease_policy(ImportStatus.APPLYING)
    assert policy.waiting not in ImportStatus.values  # no job is ever "queued": it waits in its step
    assert claimable(ImportStatus.APPLYING, None, T0, policy)  # queued, no worker yet
    assert not claimable(ImportStatus.APPLYING, T0 + timedelta(seconds=1), T0, policy)  # a live worker holds it
    assert claimable(ImportStatus.APPLYING, T0, T0, policy)  # its worker stopped
    for other in (ImportStatus.CHECKING, ImportStatus.PREVIEW, ImportStatus.APPLIED, ImportStatus.FAILED):
        assert not claimable(other, None, T0, policy)
    assert (policy.seconds, policy.max_attempts) == (600, 3)


# --- claim, reclaim, fencing ----------------------------------------------------------------------
@pytest.mark.django_db
def test_a_check_is_claimed_once_and_again_only_after_its_lease_ran_out(system, lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        job = checking_job(system, lead, django_capture_on_commit_callbacks)
        assert (job.attempts, job.lease_expires_at) == (0, None)
        assert jobs.job_claim(job.pk, ImportStatus.CHECKING, timezone.now()) == 1
        assert jobs.job_claim(job.pk, ImportStatus.CHECKING, timezone.now()) is None  # the second worker loses
        assert jobs.job_claim(job.pk, ImportStatus.APPLYING, timezone.now()) is None  # not in that step
        claimed = row(job)
        assert (claimed.status, claimed.attempts, claimed.lease_expires_at, claimed.heartbeat_at) == (
            ImportStatus.CHECKING,
            1,
            T0 + timedelta(seconds=600),
            T0,
        )
        clock.shift(599)
        assert jobs.job_check(job_id=job.pk, now=timezone.now()).summary == {}  # a live worker holds it: left alone
        clock.shift(1)
        checked = jobs.job_check(job_id=job.pk, now=timezone.now())  # the worker died: checked again from the start
    assert (checked.status, checked.attempts, checked.lease_expires_at) == (ImportStatus.PREVIEW, 2, None)
    assert checked.summary["adds"] == 2


@pytest.mark.django_db
def test_a_check_that_lost_its_lease_writes_no_preview(system, lead, lease, monkeypatch, django_capture_on_commit_callbacks):
    real_plan = jobs._plan

    def slow_plan(job, now):
        planned = real_plan(job, now)
        # while this worker checked, its lease ran out and the sweep queued the job again
        ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=None)
        ImportJob.objects.filter(pk=job.pk).update(attempts=2)
        return planned

    with time_machine.travel(T0, tick=False):
        job = checking_job(system, lead, django_capture_on_commit_callbacks)
        monkeypatch.setattr(jobs, "_plan", slow_plan)
        fenced = jobs.job_check(job_id=job.pk, now=timezone.now())
        assert (fenced.status, fenced.summary, fenced.preview) == (ImportStatus.CHECKING, {}, "")
        monkeypatch.setattr(jobs, "_plan", real_plan)
        checked = jobs.job_check(job_id=job.pk, now=timezone.now())
    assert (checked.status, checked.attempts) == (ImportStatus.PREVIEW, 3)


@pytest.mark.django_db
def test_an_apply_that_lost_its_lease_rolls_back_and_the_next_worker_applies_it_once(
    system, lead, lease, monkeypatch, django_capture_on_commit_callbacks
):
    real_apply = jobs._apply

    def slow_apply(job, plan, now):
        result = real_apply(job, plan, now)
        # the rows are written (uncommitted) when the lease turns out to be lost (SQLite has no row lock)
        assert accounts(system) == 2
        ImportJob.objects.filter(pk=job.pk).update(attempts=9)
        return result

    with time_machine.travel(T0, tick=False):
        job = applying_job(system, lead, django_capture_on_commit_callbacks)
        monkeypatch.setattr(jobs, "_apply", slow_apply)
        fenced = jobs.job_apply(job_id=job.pk, now=timezone.now())
        assert (fenced.status, fenced.failure, accounts(system), applied_events(job)) == (ImportStatus.APPLYING, "", 0, 0)
        assert fenced.content  # the file is still there for the next worker
        monkeypatch.setattr(jobs, "_apply", real_apply)
        ImportJob.objects.filter(pk=job.pk).update(attempts=1, lease_expires_at=None)
        applied = jobs.job_apply(job_id=job.pk, now=timezone.now())
    assert (applied.status, applied.attempts, applied.lease_expires_at, applied.content) == (ImportStatus.APPLIED, 2, None, "")
    assert accounts(system) == 2 and applied_events(job) == 1


@pytest.mark.django_db
def test_an_error_still_fails_the_apply_at_once_with_words(system, lead, lease, monkeypatch, django_capture_on_commit_callbacks):
    def broken(job, plan, now):
        raise ZeroDivisionError("boom")

    with time_machine.travel(T0, tick=False):
        job = applying_job(system, lead, django_capture_on_commit_callbacks)
        monkeypatch.setattr(jobs, "_apply", broken)
        with pytest.raises(ZeroDivisionError):
            jobs.job_apply(job_id=job.pk, now=timezone.now())
    failed = row(job)
    assert (failed.status, failed.attempts, failed.lease_expires_at) == (ImportStatus.FAILED, 1, None)
    assert failed.failure == "The import failed and nothing was written. Try again, or ask an administrator."
    assert accounts(system) == 0


@pytest.mark.django_db
def test_each_step_starts_its_count_of_attempts_afresh(system, lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        job = checking_job(system, lead, django_capture_on_commit_callbacks)
        ImportJob.objects.filter(pk=job.pk).update(attempts=2)  # the check needed its last attempt
        assert jobs.job_check(job_id=job.pk, now=timezone.now()).attempts == 3
        with django_capture_on_commit_callbacks(execute=False):
            queued = jobs.job_request_apply(job=row(job), import_good_rows=False, by=lead, now=timezone.now())
        assert (row(queued).attempts, row(queued).lease_expires_at) == (0, None)
        assert jobs.job_apply(job_id=job.pk, now=timezone.now()).status == ImportStatus.APPLIED


# --- the sweep ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_sweep_queues_an_abandoned_apply_again_and_it_is_applied_exactly_once(system, lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        job = applying_job(system, lead, django_capture_on_commit_callbacks)
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}  # waiting for its task: left to it
        assert jobs.job_claim(job.pk, ImportStatus.APPLYING, timezone.now()) == 1  # ... and the worker was SIGKILLed
        clock.shift(599)
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert tasks.sweep_import_leases() == {"requeued": 1, "failed": 0}
        waiting = row(job)
        assert (waiting.status, waiting.attempts, waiting.lease_expires_at) == (ImportStatus.APPLYING, 1, None)
        assert accounts(system) == 0
        assert len(callbacks) == 1  # the apply task is published after the sweep's commit
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}  # queued once, not every minute
        for callback in callbacks:
            callback()  # eager in tests: apply_import runs here
        assert tasks.apply_import(job.pk) == ImportStatus.APPLIED  # the dead worker's task, redelivered late: nothing to do
        clock.shift(3600)
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
    applied = row(job)
    assert (applied.status, applied.attempts, applied.applied_at) == (ImportStatus.APPLIED, 2, T0 + timedelta(seconds=600))
    assert accounts(system) == 2 and applied_events(job) == 1
    requeued = AuditEvent.objects.get(action="access_reviews.import.requeued", object_id=str(job.pk))
    assert requeued.details == {"step": "applying", "attempts": 1}


@pytest.mark.django_db
def test_the_sweep_queues_an_abandoned_check_again(system, lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        job = checking_job(system, lead, django_capture_on_commit_callbacks)
        jobs.job_claim(job.pk, ImportStatus.CHECKING, timezone.now())
        clock.shift(600)
        with django_capture_on_commit_callbacks(execute=True):
            assert jobs.imports_sweep(timezone.now()) == {"requeued": 1, "failed": 0}
    checked = row(job)
    assert (checked.status, checked.attempts, checked.summary["adds"]) == (ImportStatus.PREVIEW, 2, 2)


@pytest.mark.django_db
def test_after_the_last_attempt_the_import_fails_with_the_reason_on_its_page(
    system, lead, lead_client, lease, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False) as clock:
        job = applying_job(system, lead, django_capture_on_commit_callbacks)
        for attempt in (1, 2, 3):
            assert jobs.job_claim(job.pk, ImportStatus.APPLYING, timezone.now()) == attempt
            clock.shift(600)  # each worker dies
        assert jobs.job_apply(job_id=job.pk, now=timezone.now()).status == ImportStatus.FAILED  # the redelivered task gives up …
        assert jobs.imports_sweep(timezone.now() + timedelta(days=1)) == {"requeued": 0, "failed": 0}  # … once
    failed = row(job)
    sentence = "The worker stopped 3 times before the import finished; nothing was written. Upload the file again"
    assert failed.failure.startswith(sentence)
    assert (failed.attempts, failed.lease_expires_at, failed.content, accounts(system)) == (3, None, "", 0)
    event = AuditEvent.objects.get(action="access_reviews.import.failed", object_id=str(job.pk))
    assert event.details == {"step": "applying", "attempts": 3, "reason": "worker_lost"} and event.outcome == "failure"
    page = lead_client.get(reverse("access_reviews:import_detail", args=[job.pk])).content.decode()
    assert sentence in page


@pytest.mark.django_db
def test_the_sweep_fails_a_check_whose_last_worker_died(system, lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        job = checking_job(system, lead, django_capture_on_commit_callbacks)
        ImportJob.objects.filter(pk=job.pk).update(attempts=2)
        assert jobs.job_claim(job.pk, ImportStatus.CHECKING, timezone.now()) == 3
        clock.shift(599)
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 1}
    assert not callbacks  # nothing queued
    failed = row(job)
    assert failed.status == ImportStatus.FAILED
    assert failed.failure.startswith("The worker stopped 3 times before the check finished; nothing was written.")


@pytest.mark.django_db
def test_jobs_left_running_before_leases_are_picked_up_by_the_first_sweep(
    registry, system, lead, lease, django_capture_on_commit_callbacks
):
    migration = importlib.import_module("access_reviews.migrations.0005_importjob_lease")
    with time_machine.travel(T0, tick=False) as clock:
        job = applying_job(system, lead, django_capture_on_commit_callbacks)  # its worker died before the upgrade
        untouched = checking_job(registry.system("Order DB"), lead, django_capture_on_commit_callbacks)
        ImportJob.objects.filter(pk=untouched.pk).update(status=ImportStatus.PREVIEW)
        migration.stamp_jobs_in_flight(apps, None)
        assert row(job).lease_expires_at == T0 and row(untouched).lease_expires_at is None
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=True):
            assert jobs.imports_sweep(timezone.now()) == {"requeued": 1, "failed": 0}
    assert row(job).status == ImportStatus.APPLIED and applied_events(job) == 1


def test_beat_runs_the_import_sweep_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["import-leases"]
    assert entry == {"task": "access_reviews.tasks.sweep_import_leases", "schedule": 60.0}
    assert tasks.sweep_import_leases.name == entry["task"]
    assert (django_settings.IMPORT_LEASE_SECONDS, django_settings.IMPORT_MAX_ATTEMPTS) == (600, 3)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_alone_an_apply_whose_transaction_still_holds_the_job(system, lead, lease, django_capture_on_commit_callbacks):
    """PostgreSQL: an apply running longer than its lease is alive (its transaction locks the job's
    row), so the sweep skips it instead of queueing a second apply next to it."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with time_machine.travel(T0, tick=False) as clock:
        job = checking_job(system, lead, django_capture_on_commit_callbacks)  # (committed: its check ran at once)
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(status=ImportStatus.APPLYING, attempts=0)
        assert jobs.job_claim(job.pk, ImportStatus.APPLYING, timezone.now()) == 1
        locked, release = threading.Event(), threading.Event()

        def slow_worker():
            try:
                with transaction.atomic():
                    list(ImportJob.objects.select_for_update().filter(pk=job.pk))
                    locked.set()
                    release.wait(timeout=30)
            finally:
                connection.close()

        worker = threading.Thread(target=slow_worker)
        worker.start()
        try:
            assert locked.wait(timeout=30)
            clock.shift(600)
            assert jobs.imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
        finally:
            release.set()
            worker.join(timeout=30)
        assert (row(job).status, row(job).attempts, accounts(system)) == (ImportStatus.APPLYING, 1, 0)
        assert jobs.imports_sweep(timezone.now()) == {"requeued": 1, "failed": 0}  # once the worker is really gone
    assert (row(job).status, row(job).attempts, accounts(system), applied_events(job)) == (ImportStatus.APPLIED, 2, 2, 1)
