"""Real processes for the fault and load tests: a private database, a Redis server of our own,
gunicorn, Celery workers.

* ``private_db`` — a database of its own, migrated by ``manage.py migrate`` in a subprocess: a
  file under the test's temporary folder on SQLite, a fresh database next to the test database on
  PostgreSQL (dropped afterwards). Web servers and workers started here share it, which the
  in-memory SQLite test database cannot do. Tests set it up and read it back with
  ``remote(...)`` (tests/faults/remote.py run in a subprocess), never through this process's ORM.
* ``redis_server`` — ``redis-server`` on a free port, which a test may stop and start again
  (the shared Redis of the machine is never touched).
* ``PortalProcess`` — gunicorn or a Celery worker on that database, stopped after the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.compliance.conftest import clean_registry  # noqa: F401  (fixture re-used by the SMTP tests)

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def needs_redis_server():
    if REDIS_SERVER is None and os.environ.get("REQUIRE_REDIS") != "1":
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    assert REDIS_SERVER is not None, "REQUIRE_REDIS=1 but redis-server is not installed"


# --- a private database -------------------------------------------------------------------
def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _postgres_admin(sql: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def make_database(folder: Path, suffix: str) -> tuple[str, object]:
    """Create and migrate a database of our own; returns its URL and a function that drops it."""
    if is_postgres():
        base = str(settings.DATABASES["default"]["NAME"]).removeprefix("test_")
        name = f"{base}_{suffix}_{os.getpid()}"[:60]
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _postgres_admin(f'CREATE DATABASE "{name}"')
        url = _postgres_url(name)

        def drop() -> None:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    else:
        url = f"sqlite:///{folder / f'{suffix}.sqlite3'}"

        def drop() -> None:
            pass

    env = portal_env(url, var_dir=folder / "var")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return url, drop


@pytest.fixture(scope="session")
def private_db(tmp_path_factory):
    """URL of a migrated database of our own (same engine as the test run), shared by the tests."""
    url, drop = make_database(tmp_path_factory.mktemp("private-db"), "faults")
    yield url
    drop()


@pytest.fixture
def empty_db(tmp_path):
    """A freshly migrated database nobody has used (for restores)."""
    url, drop = make_database(tmp_path, "restore")
    yield url
    drop()


def portal_env(db_url: str, *, var_dir: Path, redis_url: str = "", email_port: int | None = None, **extra: str) -> dict[str, str]:
    """The environment of a portal process on ``db_url`` (the secrets are this run's own: the test
    settings put them in ``os.environ``, so every process reads the same encrypted fields)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER")}
    for folder in ("queue", "processed", "control", "results"):  # kombu's filesystem broker, when there is no Redis
        (var_dir / "celery" / folder).mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_ENV="test",
        DJANGO_SETTINGS_MODULE="grc.settings",
        DATABASE_URL=db_url,
        VAR_DIR=str(var_dir),
        PYTHONPATH=str(ROOT),
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="WARNING",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    if email_port:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{email_port}"
    env.update(extra)
    return env


def remote(env: dict[str, str], command: str, **arguments):
    """Run ``tests/faults/remote.py <command>`` against ``env``'s database; returns its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.remote", command, json.dumps(arguments)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"remote {command} failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def manage(env: dict[str, str], *args: str) -> tuple[int, dict]:
    """Run ``manage.py <args> --json`` in a subprocess; returns its exit status and JSON output."""
    done = subprocess.run([sys.executable, "manage.py", *args, "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    answers = []
    for line in done.stdout.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and not {"time", "level", "logger"} <= value.keys():  # not a log line
            answers.append(value)
    assert answers, f"manage.py {' '.join(args)} printed no JSON (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.returncode, answers[-1]


# --- Redis of our own ----------------------------------------------------------------------
class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    needs_redis_server()
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


# --- portal processes ----------------------------------------------------------------------
class PortalProcess:
    """A subprocess with its output in a log file (shown when a test fails)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> PortalProcess:
        handle = open(self.log, "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture
def processes():
    """Start processes with ``processes.add(...)``; all are stopped after the test."""
    started: list[PortalProcess] = []

    class Starter:
        def add(self, process: PortalProcess) -> PortalProcess:
            started.append(process)
            return process.start()

    yield Starter()
    for process in reversed(started):
        process.stop()


def gunicorn(env: dict[str, str], log: Path, *, port: int, workers: int = 2, threads: int = 4) -> PortalProcess:
    return PortalProcess(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "grc.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ],
        env,
        log,
    )


def celery_worker(env: dict[str, str], log: Path, *, name: str, beat: bool = False) -> PortalProcess:
    args = [sys.executable, "-m", "celery", "-A", "grc", "worker", "--pool", "solo", "--loglevel", "INFO", "-n", f"{name}@%h"]
    if beat:
        args += ["--beat", "--schedule", str(Path(env["VAR_DIR"]) / f"beat-{name}")]
    return PortalProcess(args, env, log)


def wait_for_http(url: str, process: PortalProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.process is not None and process.process.poll() is None, f"server exited:\n{process.output()}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  (loopback only)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {timeout} s:\n{process.output()}")


def wait_until(predicate, *, timeout: float, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not reached in {timeout} s")


# --- a tiny HTTP client with cookies (no redirects followed) ----------------------------------
class Http:
    def __init__(self, port: int, session: str = "") -> None:
        self.port = port
        self.cookies: dict[str, str] = {"sessionid": session} if session else {}

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        import http.client
        from urllib.parse import urlencode

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())} if self.cookies else {}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        finally:
            connection.close()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, *, csrf_from: str = "", **kwargs):
        """POST a form; the CSRF token is taken from the cookie a GET of ``csrf_from`` sets."""
        if "csrftoken" not in self.cookies:
            self.get(csrf_from or path)
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}, **kwargs)
