"""A worker killed mid-task: the task is run again (``acks_late`` + ``reject_on_worker_lost``) and
its side effects are not doubled (the reminder sweep claims each reminder with a unique row).

A real prefork worker runs the reminder sweep against a real SMTP server that never answers the
owner's address, so the pool process is stuck in the middle of sending; the test SIGKILLs it. The worker
hands the unacknowledged task to a new pool process, which runs it to the end: the claimed
reminder is not sent a second time by the re-run, and it goes out exactly once after its lease.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from grc.compliance.reminders import LEASE
from tests.faults.conftest import PortalProcess, portal_env, remote, wait_until
from tests.faults.smtp import SmtpServer

pytestmark = pytest.mark.slow


def pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def prefork_worker(env, log, name: str) -> PortalProcess:
    args = ["-m", "celery", "-A", "grc", "worker", "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "-n", f"{name}@%h"]
    import sys

    return PortalProcess([sys.executable, *args], env, log)


def test_a_worker_killed_mid_task_reruns_it_without_doubling_the_email(private_db, redis_server, processes, tmp_path):
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to find the worker's pool process")
    smtp = SmtpServer().start()
    try:
        env = portal_env(private_db, var_dir=tmp_path / "var", redis_url=redis_server.url, email_port=smtp.port, REMINDER_DIGEST_HOUR="24")
        manager = remote(env, "users", prefix="killed", roles=["manager"])["manager"]
        smtp.hang_for = {manager["email"]}
        now = datetime.now(UTC)
        obligation = remote(env, "obligation", owner=manager["id"], due_at=(now + timedelta(days=2)).isoformat())["id"]
        worker = processes.add(prefork_worker(env, tmp_path / "worker.log", "killed"))

        from celery import Celery

        client = Celery("faults-client", broker=redis_server.url, backend=redis_server.url)
        try:
            result = client.send_task("grc.compliance.tasks.sweep_reminders")
            assert smtp.hung.wait(timeout=60), f"the sweep never reached the mail server\n{worker.output()}"
            claimed = remote(env, "reminders", obligation=obligation)
            assert [(r["milestone"], r["status"]) for r in claimed] == [("-3d", "pending")]  # claimed, mid-send

            victims = pool_children(worker.process.pid)
            assert len(victims) == 1, victims
            smtp.hang_for = set()
            os.kill(victims[0], signal.SIGKILL)  # the pool process dies mid-task; the task is not acknowledged
            assert isinstance(result.get(timeout=90), int), worker.output()  # re-run to the end by a new pool process
        finally:
            client.close()
        assert "WorkerLostError" in worker.output() or "exited with 'signal 9" in worker.output()
        wait_until(lambda: victims[0] not in pool_children(worker.process.pid), timeout=30, message="a new pool process")

        after = remote(env, "reminders", obligation=obligation)
        assert [(r["status"], r["delivered_to"]) for r in after] == [("pending", [])]
        assert manager["email"] not in smtp.recipients()
        # The claim's lease passes: the next sweep sends it, once (none lost, none doubled).
        remote(env, "sweep", now=(now + LEASE + timedelta(minutes=1)).isoformat())
        assert [(r["status"], r["attempts"]) for r in remote(env, "reminders", obligation=obligation)] == [("sent", 1)]
        remote(env, "sweep", now=(now + LEASE + timedelta(minutes=30)).isoformat())
        assert smtp.recipients().count(manager["email"]) == 1  # (the database is shared: others may get theirs)
    finally:
        smtp.stop()
