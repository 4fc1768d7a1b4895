"""The database restarts under a running portal: the app recovers without a restart of its own.

gunicorn keeps its database connection between requests (``CONN_MAX_AGE``); the test ends every
connection to the database from the server side, as a PostgreSQL restart does. With
``CONN_HEALTH_CHECKS`` (grc/settings.py) the next request finds the dead connection before using
it and opens a new one: it succeeds. (Without the health check it would fail with a 500.)
SQLite has no server to restart, so this runs on PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import Http, free_port, gunicorn, is_postgres, portal_env, remote, wait_for_http

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not is_postgres(), reason="a database restart needs PostgreSQL (DATABASE_URL=postgres://...)"),
]


def backends(url: str) -> set[int]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("/" + name, "/postgres"), autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]).fetchall()
    return {pid for (pid,) in rows}


def terminate_backends(url: str) -> int:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("/" + name, "/postgres"), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
    return len(rows)


def test_the_portal_recovers_after_the_database_drops_its_connections(private_db, processes, tmp_path):
    env = portal_env(private_db, var_dir=tmp_path / "var", CONN_MAX_AGE="600")
    lead = remote(env, "users", prefix="dbrestart", roles=["security_lead"])["security_lead"]
    port = free_port()
    web = processes.add(gunicorn(env, tmp_path / "web.log", port=port, workers=1, threads=1))
    wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
    browser = Http(port, lead["session"])
    assert browser.get("/compliance/")[0] == 200
    before = backends(private_db)
    assert before, "the server should keep its connection open (CONN_MAX_AGE)"

    assert terminate_backends(private_db) >= 1  # what a restart does to every open connection
    for _ in range(3):
        status, _headers, _body = browser.get("/compliance/")
        assert status == 200, web.output()
    after = backends(private_db)
    assert after and not (after & before), "the server should be on a new connection"
