"""An evidence pack built by a real Celery worker: a separate process on Redis that reads and
writes the test's PostgreSQL database and the same MEDIA_ROOT, as in production. The test asks
for the pack the way the page does (a row, then the task by name) and reads the result back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.models import EvidencePack, PackStatus
from grc.evidence.services.packs import pack_request
from tests.evidence.conftest import compact, pdf_pages, sha256
from tests.workers import celery_client, celery_worker, real_worker_marks

REDIS_URL = "redis://127.0.0.1:6379/5"  # this suite's own Redis database
TASK = "grc.evidence.tasks.build_pack"

pytestmark = real_worker_marks()


@pytest.fixture
def pack_worker(tmp_path, media_root):
    """A real ``celery worker`` on Redis using the test database and the test's MEDIA_ROOT."""
    with celery_worker(tmp_path, name="evidence", redis_url=REDIS_URL, env={"MEDIA_ROOT": str(media_root)}) as worker:
        yield worker


@pytest.fixture
def redis_client():
    with celery_client(REDIS_URL, "evidence-test-client") as client:
        yield client


def test_the_pack_is_built_by_a_real_worker_with_progress_on_the_row(redis_client, pack_worker, lead):
    process, log = pack_worker
    today = timezone.localdate()
    pack = pack_request(
        period_start=today - timedelta(days=89), period_end=today, clauses=["2.6", "3"], by=lead, now=timezone.now(), queue=False
    )
    result = redis_client.send_task(TASK, args=[pack.pk])
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, progress = EvidencePack.objects.values_list("status", "progress").get(pk=pack.pk)
        seen.add(status)
        if status in (PackStatus.READY, PackStatus.FAILED):
            break
        assert 0 <= progress <= 99
        time.sleep(0.1)
    try:
        assert result.get(timeout=60) == PackStatus.READY
    except Exception:
        pytest.fail("the worker did not build the pack:\n" + log.read_text()[-4000:])
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.progress == 100, pack.failure
    assert PackStatus.READY in seen
    data = pack.pdf.read()  # written by the worker into the shared MEDIA_ROOT
    assert sha256(data) == pack.pdf_sha256 and pack.zip_sha256
    text = compact("\n".join(pdf_pages(data)))
    assert compact("2.6 Logging and Monitoring") in text and compact("3 Audit and Assessment") in text
    built = AuditEvent.objects.get(action="evidence.pack.built", object_id=str(pack.pk))
    assert built.details["pdf_sha256"] == pack.pdf_sha256 and built.channel == "task"
    assert redis_client.send_task(TASK, args=[pack.pk]).get(timeout=60) == PackStatus.READY  # a second run changes nothing
    assert AuditEvent.objects.filter(action="evidence.pack.built", object_id=str(pack.pk)).count() == 1
    assert process.poll() is None
