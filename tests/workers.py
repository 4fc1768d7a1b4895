"""Real Celery workers for integration tests: a ``celery worker`` process on Redis that uses the
test's PostgreSQL database (an in-memory SQLite test database is invisible to another process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def worker_database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}/{settings['NAME']}"


@contextmanager
def celery_worker(tmp_path: Path, *, name: str, redis_url: str, env: dict[str, str] | None = None):
    """Start a worker (after emptying its Redis database), wait until it is ready, yield
    ``(process, log_path)``, and stop it afterwards."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    environment = {
        **os.environ,
        "DJANGO_ENV": "test",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": worker_database_url(),
        **(env or {}),
    }
    log = tmp_path / f"{name}-worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "grc",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text() and time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("the worker stopped while starting:\n" + log.read_text()[-4000:])
            time.sleep(0.3)
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def celery_client(redis_url: str, name: str):
    """A separate Celery client on Redis: the project's app is eager in tests and caches its
    backends, so integration tests send tasks by name through this one, as beat does."""
    from celery import Celery

    client = Celery(name, broker=redis_url, backend=redis_url)
    try:
        yield client
    finally:
        client.close()


def real_worker_marks() -> list:
    """The marks of a test module that starts a real worker: PostgreSQL (the worker must see the
    test database), Redis, slow, transactional."""
    from tests.core.test_celery import redis_available

    return [
        pytest.mark.redis,
        pytest.mark.postgres,
        pytest.mark.slow,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="the worker process cannot see the in-memory SQLite test database; run with DATABASE_URL=postgres://...",
        ),
        pytest.mark.skipif(
            not redis_available() and os.environ.get("REQUIRE_REDIS") != "1", reason="Redis is not reachable at 127.0.0.1:6379"
        ),
    ]
