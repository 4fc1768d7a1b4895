"""A short, bounded load test on loopback: no 5xx, no lost audit events, and the lockout still works.

gunicorn (2 processes × 4 threads) serves the portal on a database of its own; 8 client threads
request pages as the security lead, a manager, an auditor, a staff member (who is refused: each
refusal is an audit event) and an anonymous visitor for ``LOAD_SECONDS``. Meanwhile another
client fails to sign in as one user until django-axes locks the account. Afterwards:

* no response was a 5xx;
* every 403 the clients saw has its ``accounts.permission_denied`` event, and the hash chain
  verifies (concurrent appends did not fork it);
* the locked account gets 429 even with the right password.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import pytest

from tests.faults.conftest import Http, free_port, gunicorn, portal_env, remote, wait_for_http

pytestmark = pytest.mark.slow

LOAD_SECONDS = 12
CLIENTS = 8
PASSWORD = "Load-Test-Password-42"  # made up for this test's throwaway database
REQUESTS = [  # (role, path, expected status)
    ("security_lead", "/compliance/", 200),
    ("security_lead", "/audit/", 200),
    ("security_lead", "/assets/", 200),
    ("manager", "/access/", 200),
    ("manager", "/compliance/calendar/", 200),
    ("auditor", "/audit/alarms/", 200),
    ("staff", "/audit/", 403),
    ("staff", "/accounts/users/", 403),
    ("staff", "/incidents/", 200),
    ("", "/compliance/", 302),
]


def test_under_load_nothing_fails_no_audit_event_is_lost_and_the_lockout_holds(private_db, processes, tmp_path):
    env = portal_env(private_db, var_dir=tmp_path / "var", AXES_FAILURE_LIMIT="5")
    people = remote(env, "users", prefix="load", roles=["security_lead", "manager", "auditor", "staff"])
    target = remote(env, "users", prefix="locked", roles=["staff"], password=PASSWORD)["staff"]
    before = remote(env, "events")
    port = free_port()
    web = processes.add(gunicorn(env, tmp_path / "web.log", port=port, workers=2, threads=4))
    wait_for_http(f"http://127.0.0.1:{port}/healthz", web)

    statuses: Counter = Counter()
    unexpected: list = []
    lock = threading.Lock()
    stop = time.monotonic() + LOAD_SECONDS

    def client(offset: int) -> None:
        browsers = {role: Http(port, people[role]["session"]) if role else Http(port) for role in {r for r, _p, _s in REQUESTS}}
        for role, path, expected in itertools.islice(itertools.cycle(REQUESTS), offset, None):
            if time.monotonic() > stop:
                return
            status, _headers, _body = browsers[role].get(path)
            with lock:
                statuses[status] += 1
                if status != expected:
                    unexpected.append((role, path, status))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()

    time.sleep(2)  # the load is running
    intruder = Http(port)
    attempts = [intruder.post("/accounts/login/", {"username": target["username"], "password": f"wrong-{n}"})[0] for n in range(5)]
    right_password = intruder.post("/accounts/login/", {"username": target["username"], "password": PASSWORD})[0]
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)

    assert sum(statuses.values()) > 100, statuses  # it was load
    assert not [s for s in statuses if s >= 500], (statuses, web.output())
    assert not unexpected, unexpected[:20]
    assert attempts[:4] == [200] * 4 and attempts[4] == 429, attempts  # the fifth failure locks
    assert right_password == 429  # locked: the right password does not get in either

    denied = remote(env, "events", action="accounts.permission_denied", after=before["last_id"])["count"]
    assert denied == statuses[403]
    assert remote(env, "events", action="accounts.locked_out", after=before["last_id"])["count"] >= 1
    chain = remote(env, "chain")
    assert chain["ok"], chain
