"""Redis down while a request queues a task: the request still succeeds, and the work is done
when Redis is back (the transactional outbox of grc/queue.py).

Everything is real: gunicorn serves the portal, Redis is a server of our own that the test stops
and starts, and a Celery worker with beat (relaying the outbox every second) does the work.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import Http, celery_worker, free_port, gunicorn, portal_env, remote, wait_for_http, wait_until

pytestmark = pytest.mark.slow


def test_a_request_queuing_a_task_while_redis_is_down_succeeds_and_the_task_runs_when_redis_is_back(
    private_db, redis_server, processes, tmp_path
):
    env = portal_env(private_db, var_dir=tmp_path / "var", redis_url=redis_server.url, OUTBOX_RELAY_SECONDS="1")
    lead = remote(env, "users", prefix="redisdown", roles=["security_lead"])["security_lead"]
    port = free_port()
    web = processes.add(gunicorn(env, tmp_path / "web.log", port=port, workers=1, threads=2))
    wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
    browser = Http(port, lead["session"])
    assert browser.get("/audit/")[0] == 200  # signed in; the page sets the CSRF cookie
    before = remote(env, "events", action="audit.chain.verified")

    redis_server.stop()
    started = time.monotonic()
    status, headers, _body = browser.post("/audit/verify/", {})  # "Verify now" queues grc.audit.tasks.verify_chain
    assert status == 302 and headers["location"].endswith("/audit/"), (status, web.output())
    assert time.monotonic() - started < 5, "the request waited for the broker"
    queued = remote(env, "outbox")
    waiting = [row for row in queued["rows"] if row["task"] == "grc.audit.tasks.verify_chain" and row["sent_at"] is None]
    assert len(waiting) == 1 and waiting[0]["last_error"] == "OperationalError"
    assert remote(env, "events", action="audit.chain.verified", after=before["last_id"])["count"] == 0

    redis_server.start()  # Redis is back, on the same address
    worker = processes.add(celery_worker(env, tmp_path / "worker.log", name="redisdown", beat=True))
    wait_until(
        lambda: remote(env, "events", action="audit.chain.verified", after=before["last_id"])["count"] == 1,
        timeout=90,
        interval=1,
        message=f"the verification queued while Redis was down to run\n{worker.output()}",
    )
    assert remote(env, "outbox")["pending"] == 0
