"""``make bench``: the portal at the scale of a real company, measured (README "Performance").

1. Makes the PostgreSQL database ``BENCH_DATABASE_URL`` (default ``dpp_scale`` on 127.0.0.1) if it
   is missing, migrates it and, when it has no scale data yet, runs ``seed_scale --factor N``.
2. Starts gunicorn (2 workers) with ``BENCH_FLOOR_VIEW=1`` (the floor view and a per-response
   query count, which exist only then), signs in the bench's security lead and manager through
   the real password + TOTP pages (the bench seeds their device keys), and drives the main pages
   and the floor with 8 concurrent clients, a fixed number of requests each (stdlib only).
3. Stops the server, then times a quarterly evidence pack (when ``grc.evidence`` has a build
   function), one reminder sweep, a 25,000-row accounts CSV import and ``verify_audit_log``.
4. Prints the table and writes every figure to ``bench/results.json``.

Latency is what a client sees (queueing included); a page's ratio to the floor, measured at the
same moment under the same load, is the figure that holds on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("BENCH_PYTHON") or str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
RESULTS = ROOT / "bench" / "results.json"
LOG_DIR = ROOT / "var" / "bench"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/dpp_scale"
CLIENTS = 8
WORKERS = 2
TARGETS = {
    "p95_ms": 150,
    "ratio_to_floor": 3.0,  # issue 23: every main page p95 within 3x the floor's
    "queries": 15,
    "sweep_s": 10,
    "import_s": 60,
    "okta_import_s": 60,  # issue 24
    "trivy_import_s": 30,  # issue 24
    "verify_s": 60,
    "evidence_s": 120,
    "evidence_mb": 1536,
}
# name, role, path (``{campaign}``: the campaign in progress), label
PAGES = (
    ("dashboard", "lead", "/compliance/", "Dashboard (security lead)"),
    ("incidents", "lead", "/incidents/", "Incident list"),
    ("accounts", "lead", "/access/accounts/", "Accounts list"),
    ("assets", "lead", "/assets/", "Asset list"),
    ("risks", "lead", "/risks/", "Risk register"),
    ("audit", "lead", "/audit/", "Audit viewer"),
    ("review", "manager", "/access/campaigns/{campaign}/review/", "Manager's review page"),
)
FLOOR_PATH = "/bench/floor/"
BURST = 2  # requests per client per burst


def say(line: str = "") -> None:
    print(line, flush=True)


# --- the database ---------------------------------------------------------------------------------
def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"bench: unusual database name {name!r}")
    conninfo = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "dbname": "postgres",
    }
    if parts.password:
        conninfo["password"] = unquote(parts.password)
    with psycopg.connect(**conninfo, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            say(f"bench: creating database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')  # the name is checked above


def redis_url() -> str:
    if os.environ.get("BENCH_REDIS_URL") is not None:
        return os.environ["BENCH_REDIS_URL"]
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return ""  # no Redis: the file cache is shared by the two workers instead
    return "redis://127.0.0.1:6379/0"


def django_env(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        DATABASE_URL=database,
        DJANGO_ENV="development",  # plain HTTP on 127.0.0.1 (production insists on HTTPS cookies)
        DEBUG="false",  # no per-query bookkeeping, no debug pages: as in production
        BENCH_FLOOR_VIEW="1",
        CONN_MAX_AGE=os.environ.get("BENCH_CONN_MAX_AGE", "60"),  # persistent connections, as a production deployment would
        EMAIL_URL="memorymail://",  # the sweep renders every email; nothing leaves the machine
        LOG_LEVEL="WARNING",
    )
    redis = redis_url()
    if redis:
        env["REDIS_URL"] = redis
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def job(env: dict[str, str], name: str) -> dict:
    completed = subprocess.run([PYTHON, "bench/jobs.py", name], cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        say(completed.stderr[-3000:])
        raise SystemExit(f"bench: job {name} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- HTTP -------------------------------------------------------------------------------------------
class Session:
    """Cookies and one request at a time over a fresh connection (gunicorn's sync workers close each)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str, float]:
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "dpp-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text, elapsed


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise SystemExit("bench: no CSRF token on the sign-in page")
    return match.group(1)


def totp(key_hex: str, at: float | None = None) -> str:
    import base64

    import pyotp

    return pyotp.TOTP(base64.b32encode(bytes.fromhex(key_hex)).decode()).at(at or time.time())


def sign_in(port: int, who: dict) -> Session:
    """Password, then the one-time code from the device key the bench seeded: the real pages."""
    session = Session(port)
    _status, _headers, html, _ms = session.request("GET", "/accounts/login/")
    status, headers, _html, _ms = session.request(
        "POST", "/accounts/login/", {"username": who["username"], "password": who["password"], "csrfmiddlewaretoken": csrf_token(html)}
    )
    if status != 302:
        raise SystemExit(f"bench: sign-in of {who['username']} refused (HTTP {status})")
    _status, _headers, html, _ms = session.request("GET", "/accounts/verify/")
    status, headers, _html, _ms = session.request(
        "POST", "/accounts/verify/", {"code": totp(who["totp_key"]), "csrfmiddlewaretoken": csrf_token(html)}
    )
    if status != 302:
        raise SystemExit(f"bench: one-time code of {who['username']} refused (HTTP {status})")
    status, _headers, _html, _ms = session.request("GET", FLOOR_PATH)
    if status != 200:
        raise SystemExit(f"bench: {who['username']} is signed in but the floor view answers HTTP {status}")
    return session


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / "gunicorn.log", "w")  # noqa: SIM115 (closed with the process)
    command = [GUNICORN, "grc.wsgi:application", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--timeout", "120"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Session(port).request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited; see {LOG_DIR / 'gunicorn.log'}")
    server.terminate()
    raise SystemExit("bench: gunicorn did not answer within 60 s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the load --------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def drive(sessions: dict[str, Session], pages: list[tuple[str, str, str]], per_page: int, clients: int) -> dict[str, list[dict]]:
    """Rounds of bursts: in each round every page (the floor too, in a shuffled order) gets ``clients``
    concurrent clients making ``BURST`` requests each, back to back (no think time).

    A page therefore queues only behind itself, and each page's samples are spread over the whole
    run, so its ratio to the floor compares like with like even when the machine's load changes.
    """
    samples: dict[str, list[dict]] = {name: [] for name, _role, _path in pages}
    lock = threading.Lock()
    order = random.Random(7)  # noqa: S311 (an order, not a secret)
    rounds = max(1, round(per_page / (clients * BURST)))

    def client(name: str, role: str, path: str) -> None:
        for _ in range(BURST):
            status, headers, _body, elapsed = sessions[role].request("GET", path)
            sample = {
                "ms": elapsed,
                "status": status,
                "queries": int(headers.get("x-bench-queries", -1)),
                "server_ms": float(headers.get("x-bench-ms", -1)),
            }
            with lock:
                samples[name].append(sample)

    for _ in range(rounds):
        for name, role, path in order.sample(pages, len(pages)):
            threads = [threading.Thread(target=client, args=(name, role, path)) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    return samples


def summarise(samples: list[dict]) -> dict:
    ok = [s for s in samples if s["status"] == 200]
    latencies = [s["ms"] for s in ok]
    server = [s["server_ms"] for s in ok]
    queries = sorted(s["queries"] for s in ok)
    return {
        "requests": len(samples),
        "errors": len(samples) - len(ok),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "server_p50_ms": round(percentile(server, 0.50), 1),
        "server_p95_ms": round(percentile(server, 0.95), 1),
        "queries": queries[len(queries) // 2] if queries else None,
        "queries_max": queries[-1] if queries else None,
    }


def measure_pages(env: dict[str, str], credentials: dict, per_page: int, clients: int) -> tuple[dict, dict]:
    port = free_port()
    say(f"bench: gunicorn, {WORKERS} workers, on 127.0.0.1:{port}")
    server = start_server(env, port)
    try:
        sessions = {role: sign_in(port, credentials[role]) for role in ("lead", "manager")}
        say("bench: signed in the security lead and the manager (password + TOTP)")
        pages = [(name, role, path.format(campaign=credentials["open_campaign"])) for name, role, path, _label in PAGES]
        pages.append(("floor", "lead", FLOOR_PATH))
        for name, role, path in pages:  # warm up each worker (imports, templates, caches); not measured
            for _ in range(2 * WORKERS):
                status = sessions[role].request("GET", path)[0]
                if status != 200:
                    raise SystemExit(f"bench: {name} ({path}) answers HTTP {status}")
        say(f"bench: {len(pages)} pages x {per_page} requests, {clients} concurrent clients …")
        started = time.monotonic()
        samples = drive(sessions, pages, per_page, clients)
        seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = summarise(samples.pop("floor"))
    results = {}
    for name, role, path, label in PAGES:
        figures = summarise(samples[name])
        figures.update(label=label, role=role, path=path)
        figures["ratio_to_floor"] = round(figures["p95_ms"] / floor["p95_ms"], 2) if floor["p95_ms"] else None
        figures["met"] = bool(
            figures["errors"] == 0
            and figures["p95_ms"] <= TARGETS["p95_ms"]
            and figures["ratio_to_floor"] is not None
            and figures["ratio_to_floor"] <= TARGETS["ratio_to_floor"]
            and figures["queries_max"] is not None
            and figures["queries_max"] <= TARGETS["queries"]
        )
        results[name] = figures
    floor.update(label="Floor (one indexed query)", path=FLOOR_PATH, seconds=round(seconds, 1))
    return results, floor


def run_jobs(env: dict[str, str]) -> dict:
    jobs = {}
    say("bench: evidence pack …")
    jobs["evidence_pack"] = job(env, "evidence")
    say("bench: reminder sweep …")
    jobs["reminder_sweep"] = job(env, "sweep")
    say("bench: 25,000-row accounts import …")
    jobs["accounts_import"] = job(env, "import")
    say("bench: 25,000-row Okta export import …")
    jobs["okta_import"] = job(env, "okta_import")
    say("bench: 10,000-finding Trivy report import …")
    jobs["trivy_import"] = job(env, "trivy_import")
    say("bench: verify_audit_log …")
    jobs["verify_audit_log"] = job(env, "verify")
    limits = {
        "reminder_sweep": "sweep_s",
        "accounts_import": "import_s",
        "okta_import": "okta_import_s",
        "trivy_import": "trivy_import_s",
        "verify_audit_log": "verify_s",
        "evidence_pack": "evidence_s",
    }
    for name, figures in jobs.items():
        if name == "evidence_pack" and not figures.get("available"):
            figures["met"] = None
            continue
        figures["limit_s"] = TARGETS[limits[name]]
        figures["met"] = figures.get("seconds") is not None and figures["seconds"] <= figures["limit_s"]
        if name == "evidence_pack":
            figures["limit_mb"] = TARGETS["evidence_mb"]
            figures["met"] = figures["met"] and figures["peak_rss_mb"] <= TARGETS["evidence_mb"]
    return jobs


# --- output ---------------------------------------------------------------------------------------
def table(results: dict) -> str:
    floor = results["floor"]
    lines = [
        "| page | p50 ms | p95 ms | p95 / floor | server p95 ms | queries | target met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for figures in results["pages"].values():
        met = "yes" if figures["met"] else "**no**"
        lines.append(
            f"| {figures['label']} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['ratio_to_floor']}x | {figures['server_p95_ms']} | {figures['queries']} | {met} |"
        )
    lines.append(f"| {floor['label']} | {floor['p50_ms']} | {floor['p95_ms']} | 1x | {floor['server_p95_ms']} | {floor['queries']} | |")
    if not results["jobs"]:
        return "\n".join(lines)
    lines += ["", "| job | seconds | peak memory MB | limit | target met |", "| --- | ---: | ---: | --- | --- |"]
    names = {
        "evidence_pack": "Quarterly evidence pack",
        "reminder_sweep": "Reminder sweep (all open obligations)",
        "accounts_import": "Accounts CSV import, 25,000 rows",
        "okta_import": "Okta users export import, 25,000 rows",
        "trivy_import": "Trivy report import, 10,000 findings",
        "verify_audit_log": "verify_audit_log",
    }
    for key, name in names.items():
        figures = results["jobs"].get(key, {})
        if key == "evidence_pack" and not figures.get("available"):
            lines.append(f"| {name} | not available | | 120 s, 1.5 GB | ({figures.get('note', '')}) |")
            continue
        limit = f"{figures.get('limit_s')} s" + (", 1.5 GB" if key == "evidence_pack" else "")
        met = "yes" if figures.get("met") else "**no**"
        lines.append(f"| {name} | {figures.get('seconds')} | {figures.get('peak_rss_mb')} | {limit} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--factor", type=float, default=float(os.environ.get("BENCH_FACTOR", "1")), help="seed_scale factor when seeding (default 1)"
    )
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", "64")), help="requests per page (default 64)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients (default 8)")
    parser.add_argument("--skip-jobs", action="store_true", help="measure the pages only")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the JSON (default bench/results.json)")
    args = parser.parse_args()

    database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    if not database.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench: BENCH_DATABASE_URL must be a PostgreSQL URL (the bench measures PostgreSQL)")
    ensure_database(database)
    env = django_env(database)
    manage(env, "migrate", "--noinput", "-v0")
    status = job(env, "status")
    seed_seconds = None
    if not status["seeded"]:
        say(f"bench: seeding the scale organisation (factor {args.factor}); under 10 minutes at factor 1 …")
        started = time.monotonic()
        manage(env, "seed_scale", "--factor", str(args.factor))
        seed_seconds = round(time.monotonic() - started, 1)
        status = job(env, "status")
    elif status["factor"] != args.factor:
        say(f"bench: the database holds factor {status['factor']} data; measuring that (drop the database to reseed)")
    credentials = job(env, "credentials")
    load_before = round(os.getloadavg()[0], 2)
    pages, floor = measure_pages(env, credentials, args.requests, args.clients)
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m_before": load_before,  # other work on the machine (the bench itself adds about 2)
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
        },
        "database": urlsplit(database).path.lstrip("/"),
        "cache": "redis" if "REDIS_URL" in env else "file",
        "factor": status["factor"],
        "seed": {"counts": status.get("counts"), "seconds": status.get("seconds"), "command_seconds": seed_seconds},
        "load": {"gunicorn_workers": WORKERS, "clients": args.clients, "requests_per_page": args.requests},
        "targets": TARGETS,
        "pages": pages,
        "floor": floor,
        "jobs": {} if args.skip_jobs else run_jobs(env),
    }
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    say()
    machine = results["machine"]
    say(f"Scale factor {results['factor']} on {machine['cpus']} cores (load average {machine['load_average_1m_before']} before the run):")
    say(table(results))
    say(f"\nbench: written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
