"""A pack whose worker is SIGKILLed mid-build still finishes, exactly once (issue 21).

Real processes: ``celery worker`` (prefork, as in production) on Redis, reading and writing the
test's PostgreSQL database and MEDIA_ROOT. The first worker holds the build at "Rendering the
PDF" (tests/faults/gated_pack_worker.py), where packs used to sit for ever, and is killed there:

* the whole worker (its process group): the message stays unacknowledged in Redis until the
  visibility timeout (an hour), so it is the beat sweep that queues the pack again once its
  lease ran out, and a new worker builds it;
* only the pool's child: ``reject_on_worker_lost`` hands the message straight back, and the
  redelivered task waits for the dead child's lease instead of answering "building".

Either way: one READY pack, one PDF, two attempts, one ``evidence.pack.built``.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.models import EvidencePack, PackStatus
from grc.evidence.services.packs import pack_request
from tests.faults.conftest import PortalProcess, portal_env
from tests.workers import celery_client, real_worker_marks, worker_database_url

REDIS_URL = "redis://127.0.0.1:6379/6"  # this suite's own Redis database
TASK = "grc.evidence.tasks.build_pack"
LEASE_SECONDS = 3
WAIT = 120  # seconds: the bound of every poll of a real worker

pytestmark = real_worker_marks()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def workers(tmp_path, media_root):
    """``workers.start(name, gate=..., beat=...)``: a prefork worker in its own process group."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    started: list[PortalProcess] = []

    class Starter:
        def start(self, name: str, *, gate: Path | None = None, beat: bool = False) -> PortalProcess:
            env = portal_env(
                worker_database_url(),
                var_dir=tmp_path / "var",
                redis_url=REDIS_URL,
                MEDIA_ROOT=str(media_root),
                EVIDENCE_PACK_LEASE_SECONDS=str(LEASE_SECONDS),
                EVIDENCE_PACK_SWEEP_SECONDS="1",
                LOG_LEVEL="INFO",
            )
            if gate is not None:
                env["PACK_RENDER_GATE"] = str(gate)
            args = [sys.executable, "-m", "tests.faults.gated_pack_worker", "--pool", "prefork", "--concurrency", "1"]
            args += ["--loglevel", "INFO", "-n", f"{name}-{os.getpid()}@%h"]
            if beat:
                args += ["--beat", "--schedule", str(tmp_path / f"beat-{name}")]
            process = PortalProcess(args, env, tmp_path / f"{name}.log")
            started.append(process)
            process.start()
            wait_for(lambda: " ready." in process.output(), f"worker {name} ready", process)
            return process

    yield Starter()
    for process in reversed(started):
        process.stop()


@pytest.fixture
def client():
    with celery_client(REDIS_URL, "pack-fault-client") as celery:
        yield celery


def wait_for(predicate, what: str, *processes: PortalProcess):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in processes:
            assert process.process is not None and process.process.poll() is None, f"the worker stopped:\n{process.output()}"
        time.sleep(0.2)
    logs = "\n".join(process.output() for process in processes)
    pytest.fail(f"{what} not reached in {WAIT} s\n{logs}")


def a_pack(lead) -> EvidencePack:
    today = timezone.localdate()
    return pack_request(
        period_start=today - timedelta(days=29),
        period_end=today,
        clauses=["3"],
        include_zip=False,
        by=lead,
        now=timezone.now(),
        queue=False,
    )


def rendering(pack_id: int) -> bool:
    status, step = EvidencePack.objects.values_list("status", "step").get(pk=pack_id)
    return status == PackStatus.BUILDING and step == "Rendering the PDF"


def finished(pack_id: int):
    pack = EvidencePack.objects.get(pk=pack_id)
    return pack if pack.status in (PackStatus.READY, PackStatus.FAILED) else None


def assert_built_once(pack: EvidencePack, media_root: Path, *processes: PortalProcess) -> None:
    logs = "\n".join(process.output() for process in processes)
    assert pack.status == PackStatus.READY, f"{pack.failure}\n{logs}"
    assert pack.attempts == 2 and pack.progress == 100 and pack.lease_expires_at is None
    pdfs = sorted(Path(media_root).rglob("*.pdf"))
    assert len(pdfs) == 1, pdfs  # the killed attempt stored nothing
    assert pack.pdf.read()[:5] == b"%PDF-" and pack.pdf.path == str(pdfs[0])
    assert AuditEvent.objects.filter(action="evidence.pack.built", object_id=str(pack.pk)).count() == 1
    assert not AuditEvent.objects.filter(action="evidence.pack.failed", object_id=str(pack.pk)).exists()


def test_a_killed_worker_is_replaced_and_the_sweep_finishes_the_pack_once(workers, client, lead, media_root, tmp_path):
    pack = a_pack(lead)
    first = workers.start("doomed", gate=tmp_path / "never-opened")
    client.send_task(TASK, args=[pack.pk])
    wait_for(lambda: rendering(pack.pk), "the build at 'Rendering the PDF'", first)
    first.kill()  # SIGKILL to the worker's process group: parent and child, no acknowledgement
    stuck = EvidencePack.objects.get(pk=pack.pk)
    assert (stuck.status, stuck.progress, stuck.attempts) == (PackStatus.BUILDING, 62, 1)

    second = workers.start("rescuer", beat=True)  # beat runs the lease sweep (every second here)
    done = wait_for(lambda: finished(pack.pk), "the pack built again", second)
    assert_built_once(done, media_root, first, second)
    requeued = AuditEvent.objects.get(action="evidence.pack.requeued", object_id=str(pack.pk))
    assert requeued.details == {"attempts": 1}

    # The dead worker's message comes back after Redis' visibility timeout: it changes nothing.
    assert client.send_task(TASK, args=[pack.pk]).get(timeout=WAIT) == PackStatus.READY
    assert_built_once(EvidencePack.objects.get(pk=pack.pk), media_root, second)


def pool_child(worker: PortalProcess) -> int:
    pid = worker.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_a_killed_pool_child_is_redelivered_and_waits_for_its_lease(workers, client, lead, media_root, tmp_path):
    pack = a_pack(lead)
    gate = tmp_path / "gate"
    worker = workers.start("survivor", gate=gate)  # no beat: the redelivered task alone finishes it
    client.send_task(TASK, args=[pack.pk])
    wait_for(lambda: rendering(pack.pk), "the build at 'Rendering the PDF'", worker)
    os.kill(pool_child(worker), signal.SIGKILL)
    gate.touch()  # the next attempt renders at once
    done = wait_for(lambda: finished(pack.pk), "the pack built by the redelivered task", worker)
    assert_built_once(done, media_root, worker)
    assert not AuditEvent.objects.filter(action="evidence.pack.requeued", object_id=str(pack.pk)).exists()
