"""A Celery round trip through the real Redis broker, executed by a worker the test starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


requires_redis = pytest.mark.skipif(
    not redis_available() and os.environ.get("REQUIRE_REDIS") != "1",
    reason=f"Redis is not reachable at {REDIS_URL}",
)


@pytest.fixture
def redis_worker(tmp_path):
    """A real `celery worker` process on Redis, stopped after the test."""
    env = {**os.environ, "REDIS_URL": REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "false", "DJANGO_ENV": "test"}
    log = tmp_path / "worker.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "grc", "worker", "--pool", "solo", "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def redis_client():
    """A separate Celery client on Redis: the project's app is eager in tests and caches its
    result backend, so the round trip goes through a client that only knows the broker."""
    from celery import Celery

    client = Celery("core-test-client", broker=REDIS_URL, backend=REDIS_URL)
    yield client
    client.close()


@requires_redis
@pytest.mark.redis
def test_a_task_round_trips_through_redis_and_a_real_worker(redis_client, redis_worker):
    token = f"round-trip-{time.time_ns()}"
    result = redis_client.send_task("grc.ping", args=[token])
    assert result.get(timeout=60) == token
    assert redis_worker.poll() is None, "the worker should still be running"
