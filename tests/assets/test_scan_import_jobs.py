"""The import page's scanner reports are read in Celery (issue 24, STYLE "heavy work runs in Celery"):
the page checks the file cheaply and queues a job; the task imports it under a lease (``grc.jobs``),
a job whose worker died is queued again by the sweep and imported once, and one whose worker keeps
dying, or whose file is broken, fails with the reason and writes nothing. Tasks run eagerly in
tests: a queued task runs when its transaction's on-commit callbacks do."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assets import tasks
from assets.models import Finding, ScanImportJob, ScanImportStatus, VulnerabilityScan
from assets.services import scan_import_jobs as import_jobs
from assets.services.programme import FINDING_FIX
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.models import OutboxMessage
from tests.assets.conftest import NOW, client_for

pytestmark = pytest.mark.django_db
TRIVY = Path(__file__).parent / "scan_samples" / "trivy.json"
IMAGE = "registry.example.com/shop/checkout-api:1.8.2"


@pytest.fixture
def lease(settings):
    settings.SCAN_IMPORT_LEASE_SECONDS = 600
    settings.SCAN_IMPORT_MAX_ATTEMPTS = 3


def counts() -> tuple[int, int, int]:
    return VulnerabilityScan.objects.count(), Finding.objects.count(), Obligation.objects.filter(kind=FINDING_FIX).count()


def row(job) -> ScanImportJob:
    return ScanImportJob.objects.get(pk=job.pk)


def post(client, data: bytes, name: str = "trivy.json", **fields):
    upload = SimpleUploadedFile(name, data, content_type="application/json")
    return client.post(reverse("assets:scan_import"), {"file": upload, "format": "auto", **fields})


def queued_job(lead, capture, data: bytes | None = None) -> ScanImportJob:
    """A job the page queued whose task has not run yet (no worker has claimed it)."""
    with capture(execute=False):
        job = import_jobs.scan_import_request(
            upload=SimpleUploadedFile("trivy.json", data or TRIVY.read_bytes()),
            format="auto",
            scope="",
            full_scope=False,
            assets=[],
            by=lead,
            now=timezone.now(),
        )
    return row(job)


def done_events(job) -> int:
    return AuditEvent.objects.filter(action="assets.scan_import.done", object_id=str(job.pk)).count()


# --- the page -------------------------------------------------------------------------------
def test_the_page_queues_the_import_and_the_worker_writes_the_scan_with_its_summary(lead_client, lead, django_capture_on_commit_callbacks):
    data = TRIVY.read_bytes()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(lead_client, data, full_scope="on")
    job = ScanImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("assets:scan_import_job", args=[job.pk])
    assert (job.status, job.created_by, job.full_scope, job.filename) == (ScanImportStatus.QUEUED, lead, True, "trivy.json")
    assert job.upload_sha256 == hashlib.sha256(data).hexdigest() and job.upload.read() == data
    assert OutboxMessage.objects.get().task == "assets.tasks.import_scan_report" and len(callbacks) == 1
    assert counts() == (0, 0, 0)  # nothing is parsed in the request

    working = lead_client.get(response.url).content.decode()
    assert "Importing trivy.json" in working and '<meta http-equiv="refresh" content="2">' in working

    for callback in callbacks:
        callback()  # the outbox publishes after the commit; eager in tests, so the task runs here
    job = row(job)
    scan = VulnerabilityScan.objects.get()
    assert (job.status, job.scan, job.attempts, job.lease_expires_at, job.failure) == (ScanImportStatus.DONE, scan, 1, None, "")
    assert job.summary["created"] == 8 and job.summary["informational"] == 1 and job.summary["unmatched_targets"] == [IMAGE]
    assert scan.full_scope and scan.recorded_by == lead and scan.report.read() == data  # the scan keeps its own copy
    assert not job.upload  # deleted: see test_the_upload_is_deleted_once_the_job_is_done
    assert counts() == (1, 8, 7)

    done = lead_client.get(response.url, follow=True)
    assert done.redirect_chain[-1][0] == scan.get_absolute_url()
    html = done.content.decode()
    assert "Report imported: 8 new" in html and "CVE-2023-45853" in html and 'data-testid="unmatched-targets"' in html
    requested = AuditEvent.objects.get(action="assets.scan_import.requested")
    finished = AuditEvent.objects.get(action="assets.scan_import.done")
    assert requested.actor_id == lead.pk and requested.details["bytes"] == len(data)
    assert finished.details["created"] == 8 and finished.details["unmatched_targets"] == 1
    assert "checkout" not in json.dumps(finished.details) and "CVE" not in json.dumps(finished.details)


def test_the_upload_is_deleted_once_the_job_is_done(lead, django_capture_on_commit_callbacks, media_root):
    job = queued_job(lead, django_capture_on_commit_callbacks)
    stored = Path(job.upload.path)
    assert stored.exists() and str(stored).startswith(str(media_root))
    assert tasks.import_scan_report(job.pk) == ScanImportStatus.DONE
    assert not stored.exists() and not row(job).upload
    assert Path(VulnerabilityScan.objects.get().report.path).exists()


def test_a_truncated_report_fails_its_job_with_the_parsers_message_and_writes_nothing(
    lead_client, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(lead_client, TRIVY.read_bytes()[:300], format="trivy")  # looks like Trivy: the sniff lets it through
    job = ScanImportJob.objects.get()
    stored = job.upload.name
    assert response.status_code == 302 and default_storage.exists(stored)
    for callback in callbacks:
        callback()  # eager: the task runs here
    job = row(job)
    assert job.status == ScanImportStatus.FAILED and job.scan is None and job.attempts == 1
    assert job.failure.startswith("The file is not valid JSON (it may be cut short)")
    assert counts() == (0, 0, 0) and not AuditEvent.objects.filter(action="assets.scan.imported").exists()
    assert not job.upload and not default_storage.exists(stored)  # the lead still has the file
    page = lead_client.get(reverse("assets:scan_import_job", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "http-equiv" not in html
    assert "nothing was written" in html and "The file is not valid JSON (it may be cut short)" in html
    failed = AuditEvent.objects.get(action="assets.scan_import.failed")
    assert failed.outcome == "failure" and failed.details == {"reason": "invalid_file", "attempt": 1}


def test_a_file_of_no_known_format_or_of_another_format_is_refused_on_the_page_and_nothing_is_queued(lead_client):
    unknown = post(lead_client, b'{"hello": "world"}')
    assert unknown.status_code == 400 and "format was not recognised" in unknown.content.decode()
    other = post(lead_client, TRIVY.read_bytes(), format="nessus_xml")
    assert other.status_code == 400 and "does not look like a Nessus (.nessus XML) report" in other.content.decode()
    pdf = post(lead_client, b"%PDF-1.4 scan summary", name="scan.pdf")
    assert pdf.status_code == 400 and "is-invalid" in pdf.content.decode()
    empty = post(lead_client, b"   \n")
    assert empty.status_code == 400
    assert not ScanImportJob.objects.exists() and not OutboxMessage.objects.exists() and counts() == (0, 0, 0)


def test_the_sniff_reads_the_head_and_the_tail_of_a_large_report(lead_client, django_capture_on_commit_callbacks):
    report = json.loads(TRIVY.read_bytes())
    report["Padding"] = "x" * 200_000  # Trivy's keys stay in the first 4 KB
    with django_capture_on_commit_callbacks(execute=True):
        response = post(lead_client, json.dumps(report).encode())
    assert response.status_code == 302 and row(ScanImportJob.objects.get()).status == ScanImportStatus.DONE


def test_only_the_security_lead_sees_a_job(lead, manager, staff, auditor, django_capture_on_commit_callbacks):
    job = queued_job(lead, django_capture_on_commit_callbacks)
    url = reverse("assets:scan_import_job", args=[job.pk])
    assert client_for(lead).get(url).status_code == 200
    for user in (manager, staff, auditor):
        assert client_for(user).get(url).status_code == 403
    assert client_for(lead).post(url).status_code == 405
    assert client_for(lead).get(reverse("assets:scan_import_job", args=[job.pk + 1])).status_code == 404


# --- leases, the sweep, attempts ------------------------------------------------------------
def test_a_job_is_claimed_once_and_again_only_after_its_lease_ran_out(lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False) as clock:
        job = queued_job(lead, django_capture_on_commit_callbacks)
        assert import_jobs.scan_import_claim(job.pk, timezone.now()) == 1
        assert import_jobs.scan_import_claim(job.pk, timezone.now()) is None  # the second worker loses
        claimed = row(job)
        assert (claimed.status, claimed.attempts, claimed.lease_expires_at) == (ScanImportStatus.RUNNING, 1, NOW + timedelta(seconds=600))
        clock.shift(599)
        assert tasks.import_scan_report(job.pk) == ScanImportStatus.RUNNING  # a live worker holds it: left alone
        assert counts() == (0, 0, 0)
        clock.shift(1)
        assert tasks.import_scan_report(job.pk) == ScanImportStatus.DONE  # the worker died: imported from the start
    assert row(job).attempts == 2 and counts() == (1, 8, 7)


def test_the_sweep_queues_an_abandoned_job_again_and_it_is_imported_exactly_once(lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False) as clock:
        job = queued_job(lead, django_capture_on_commit_callbacks)
        assert import_jobs.scan_imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}  # waiting for its task: left to it
        assert import_jobs.scan_import_claim(job.pk, timezone.now()) == 1  # ... and the worker was SIGKILLed
        clock.shift(599)
        assert tasks.sweep_scan_import_leases() == {"requeued": 0, "failed": 0}
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert tasks.sweep_scan_import_leases() == {"requeued": 1, "failed": 0}
        waiting = row(job)
        assert (waiting.status, waiting.attempts, waiting.lease_expires_at) == (ScanImportStatus.QUEUED, 1, None)
        assert len(callbacks) == 1 and import_jobs.scan_imports_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
        for callback in callbacks:
            callback()  # eager: import_scan_report runs here
        assert tasks.import_scan_report(job.pk) == ScanImportStatus.DONE  # the dead worker's task, redelivered late: nothing to do
    done = row(job)
    assert (done.status, done.attempts) == (ScanImportStatus.DONE, 2) and done_events(job) == 1
    assert counts() == (1, 8, 7)
    assert AuditEvent.objects.filter(action="assets.scan_import.requeued", object_id=str(job.pk)).count() == 1


def test_the_same_report_in_a_second_job_reuses_its_scan_and_adds_no_finding(lead, django_capture_on_commit_callbacks):
    first = queued_job(lead, django_capture_on_commit_callbacks)
    tasks.import_scan_report(first.pk)
    before = counts()
    second = queued_job(lead, django_capture_on_commit_callbacks)
    assert tasks.import_scan_report(second.pk) == ScanImportStatus.DONE
    assert row(second).scan == row(first).scan and row(second).summary["already_imported"] is True
    assert row(second).summary["created"] == 0 and counts() == before == (1, 8, 7)


def test_a_job_whose_worker_keeps_dying_fails_with_the_reason_after_its_attempts(lead, settings, lease, django_capture_on_commit_callbacks):
    settings.SCAN_IMPORT_MAX_ATTEMPTS = 2
    with time_machine.travel(NOW, tick=False) as clock:
        job = queued_job(lead, django_capture_on_commit_callbacks)
        stored = job.upload.name
        for attempt in (1, 2):
            assert import_jobs.scan_import_claim(job.pk, timezone.now()) == attempt  # a worker claims it and dies
            clock.shift(600)
            with django_capture_on_commit_callbacks(execute=False):
                swept = tasks.sweep_scan_import_leases()
        assert swept == {"requeued": 0, "failed": 1}
    failed = row(job)
    assert (failed.status, failed.attempts, failed.lease_expires_at) == (ScanImportStatus.FAILED, 2, None)
    assert failed.failure == import_jobs.gave_up_words(2) and "nothing was written" in failed.failure
    assert not failed.upload and not default_storage.exists(stored) and counts() == (0, 0, 0)
    event = AuditEvent.objects.get(action="assets.scan_import.failed", object_id=str(job.pk))
    assert event.details == {"reason": "worker_lost", "attempts": 2} and event.outcome == "failure"
    assert tasks.import_scan_report(job.pk) == ScanImportStatus.FAILED  # a late task changes nothing


def test_a_worker_that_lost_its_lease_writes_nothing_and_the_next_one_imports_once(
    lead, lease, monkeypatch, django_capture_on_commit_callbacks
):
    real_import = import_jobs.scan_import

    def slow_import(**kwargs):
        result = real_import(**kwargs)
        assert counts() == (1, 8, 7)  # written, not committed, when the lease turns out to be lost (SQLite has no row lock)
        ScanImportJob.objects.filter(pk=job.pk).update(attempts=9)  # the sweep and another worker took it over
        return result

    with time_machine.travel(NOW, tick=False):
        job = queued_job(lead, django_capture_on_commit_callbacks)
        monkeypatch.setattr(import_jobs, "scan_import", slow_import)
        fenced = import_jobs.scan_import_run(job_id=job.pk, now=timezone.now())
        assert (fenced.status, fenced.scan, fenced.failure, done_events(job)) == (ScanImportStatus.RUNNING, None, "", 0)
        assert counts() == (0, 0, 0) and fenced.upload  # rolled back; the file is still there for the next worker
        monkeypatch.setattr(import_jobs, "scan_import", real_import)
        ScanImportJob.objects.filter(pk=job.pk).update(attempts=1, lease_expires_at=None)
        done = import_jobs.scan_import_run(job_id=job.pk, now=timezone.now())
    assert (done.status, done.attempts) == (ScanImportStatus.DONE, 2) and counts() == (1, 8, 7) and done_events(job) == 1


def test_an_unexpected_error_fails_the_job_at_once_with_words(lead, lease, monkeypatch, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise ZeroDivisionError("boom")

    job = queued_job(lead, django_capture_on_commit_callbacks)
    monkeypatch.setattr(import_jobs, "scan_import", broken)
    with pytest.raises(ZeroDivisionError):
        import_jobs.scan_import_run(job_id=job.pk, now=timezone.now())
    failed = row(job)
    assert (failed.status, failed.failure) == (ScanImportStatus.FAILED, import_jobs.FAILED_WORDS) and not failed.upload
    assert counts() == (0, 0, 0)


def test_the_sweep_is_in_the_beat_schedule():
    beat = django_settings.CELERY_BEAT_SCHEDULE.values()
    assert any(entry["task"] == "assets.tasks.sweep_scan_import_leases" and entry["schedule"] == 60.0 for entry in beat)
