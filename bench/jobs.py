"""The bench's timed jobs, each run in its own process: ``python bench/jobs.py <job>`` prints one JSON object.

Jobs: ``status`` (the last scale seed), ``credentials`` (fresh password and TOTP key for the bench's
lead and manager, printed to the parent through the pipe, never written to a file), ``sweep`` (one
reminder sweep over all open obligations), ``import`` (a 25,000-row accounts CSV: upload, check,
apply), ``okta_import`` (the same size in Okta's export format, through its preset),
``trivy_import`` (a 10,000-finding Trivy report, imported twice), ``verify`` (``verify_audit_log`` over the whole chain) and ``evidence`` (a quarterly
evidence pack, when ``grc.evidence`` offers a build function).

``sweep`` and ``import`` run inside a transaction that is rolled back at the end, so every bench
run starts from the same data; each reports its peak memory (RSS) as well as its time.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_ROWS = 25_000
TRIVY_FINDINGS = 10_000


class Rollback(Exception):
    """Raised at the end of a job whose writes must not stay."""


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grc.settings")
    import django

    django.setup()


def peak_mb() -> float:
    usage = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(usage / 1024, 1)  # ru_maxrss is in KiB on Linux


def job_status() -> dict:
    from grc.scale.seed import last_seed

    event = last_seed()
    return {"seeded": event is not None, **(event.details if event else {})}


def job_credentials() -> dict:
    """A new random password and TOTP device for the bench's two users (the bench knows the keys it seeds)."""
    import secrets

    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp.util import random_hex

    from grc.accounts.models import User
    from grc.scale.seed import last_seed

    details = last_seed().details
    out = {"open_campaign": details["open_campaign"]}
    with transaction.atomic():
        for role, pk in (("lead", details["bench_lead"]), ("manager", details["bench_manager"])):
            user = User.objects.get(pk=pk)
            password = f"Bench-{secrets.token_urlsafe(18)}-9a"
            user.set_password(password)
            user.save()
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="Bench authenticator", confirmed=True, key=random_hex(20))
            out[role] = {"username": user.username, "password": password, "totp_key": device.key}
    return out


def job_sweep() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from grc.compliance.models import Obligation
    from grc.compliance.reminders import sweep

    now = timezone.now()
    result = {"open_obligations": Obligation.objects.filter(completed_at__isnull=True).count()}
    try:
        with transaction.atomic():
            started = time.monotonic()
            report = sweep(now=now)
            result["seconds"] = round(time.monotonic() - started, 2)
            result["sent"] = report.sent_count
            result["failed"] = len(report.failed)
            raise Rollback
    except Rollback:
        pass
    return result


def import_csv(rows: int) -> bytes:
    """An identity-provider export: account, email of a registry person, role, MFA, last login, status."""
    import csv
    import io

    from access_reviews.models import Person

    emails = list(
        Person.objects.filter(status="active").order_by("pk").values_list("email", flat=True)[:5000]
    )  # leavers are gone from the IdP
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Username", "Email", "Role", "MFA enabled", "Last login", "Status"])
    for n in range(rows):
        email = emails[n % len(emails)]
        writer.writerow(
            [
                f"idp-{n:05d}",
                email,
                "Admin" if n % 40 == 0 else "Member",
                "yes" if n % 9 else "no",
                f"2026-{1 + n % 12:02d}-{1 + n % 28:02d} 09:30",
                "active",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def check_and_apply(job, lead, now, started: float) -> dict:
    """The rest of an accounts import as the Celery tasks run it (check, then apply with the good
    rows and any downgrades confirmed), with its timings and summary."""
    from access_reviews.imports.jobs import job_apply, job_check, job_request_apply
    from access_reviews.models import ImportStatus

    job = job_check(job_id=job.pk, now=now)
    checked = time.monotonic()
    job = job_request_apply(job=job, import_good_rows=True, confirm_downgrades=True, by=lead, now=now)
    job = job_apply(job_id=job.pk, now=now)
    finished = time.monotonic()
    figures = {
        "seconds": round(finished - started, 2),
        "check_seconds": round(checked - started, 2),
        "apply_seconds": round(finished - checked, 2),
        "status": job.status,
        "summary": {k: v for k, v in job.summary.items() if isinstance(v, int)},
    }
    if job.status != ImportStatus.APPLIED:
        figures["failure"] = job.failure
    return figures


def job_import(rows: int = IMPORT_ROWS) -> dict:
    """Upload → check (preview) → apply of a 25,000-row file for a new system, as the Celery tasks run them."""
    from django.db import transaction
    from django.utils import timezone

    from access_reviews.imports import accounts as account_import
    from access_reviews.imports.jobs import job_set_mapping, job_upload
    from access_reviews.models import ImportKind, System
    from grc.accounts.models import User
    from grc.scale.seed import last_seed

    lead = User.objects.get(pk=last_seed().details["bench_lead"])
    data = import_csv(rows)
    result: dict = {"rows": rows}
    try:
        with transaction.atomic():
            now = timezone.now()
            started = time.monotonic()
            system = System.objects.create(name=f"Bench import target {now:%Y%m%d%H%M%S}", owner=lead, created_at=now)
            job = job_upload(kind=ImportKind.ACCOUNTS, system=system, filename="idp-export.csv", data=data, by=lead, now=now)
            job = job_set_mapping(job=job, mapping=account_import.guess_mapping(job.header), by=lead, now=now)
            result.update(check_and_apply(job, lead, now, started))
            raise Rollback
    except Rollback:
        pass
    return result


def okta_csv(rows: int) -> bytes:
    """An Okta users export as the admin console writes it: Okta's statuses (a few suspended and
    locked out), ISO 8601 last logins with offsets and never-signed-in staged users."""
    import csv
    import io

    from access_reviews.models import Person

    emails = list(Person.objects.filter(status="active").order_by("pk").values_list("email", flat=True)[:5000])
    statuses = ["ACTIVE"] * 17 + ["SUSPENDED", "LOCKED_OUT", "PASSWORD_EXPIRED", "STAGED", "DEPROVISIONED"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "login", "email", "firstName", "lastName", "status", "created", "lastLogin"])
    for n in range(rows):
        status = statuses[n % len(statuses)]
        last_login = "" if status == "STAGED" else f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T09:30:00.000+02:00"
        writer.writerow(
            [f"00u{n:017d}", f"okta-{n:05d}@example.com", emails[n % len(emails)], "F", "L", status, "2025-01-06T08:00:00.000Z", last_login]
        )
    return buffer.getvalue().encode("utf-8")


def job_okta_import(rows: int = IMPORT_ROWS) -> dict:
    """A 25,000-row Okta export through the Okta preset: upload (preset guessed from the header),
    check, apply — as the Celery tasks run them, rolled back at the end."""
    from django.db import transaction
    from django.utils import timezone

    from access_reviews.imports.jobs import job_set_mapping, job_upload
    from access_reviews.imports.presets import PRESETS
    from access_reviews.models import ImportKind, ImportStatus, System
    from grc.accounts.models import User
    from grc.scale.seed import last_seed

    lead = User.objects.get(pk=last_seed().details["bench_lead"])
    data = okta_csv(rows)
    result: dict = {"rows": rows}
    try:
        with transaction.atomic():
            now = timezone.now()
            started = time.monotonic()
            system = System.objects.create(name=f"Bench Okta import {now:%Y%m%d%H%M%S}", owner=lead, created_at=now)
            job = job_upload(kind=ImportKind.ACCOUNTS, system=system, filename="okta-users.csv", data=data, by=lead, now=now, preset="okta")
            if job.status == ImportStatus.MAPPING:
                job = job_set_mapping(job=job, mapping=PRESETS["okta"].mapping(job.header), by=lead, now=now)
            result.update(check_and_apply(job, lead, now, started))
            raise Rollback
    except Rollback:
        pass
    return result


def trivy_json(findings: int) -> bytes:
    """A Trivy (SchemaVersion 2) report of 50 images with ``findings`` vulnerabilities in all."""
    per_image = max(1, findings // 50)
    results = []
    for image in range(50):
        vulnerabilities = [
            {
                "VulnerabilityID": f"CVE-2026-{image:02d}{n:04d}",
                "PkgName": f"lib{n % 300}",
                "InstalledVersion": "1.0.0",
                "FixedVersion": "1.0.1",
                "Severity": ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")[n % 5],
                "Title": f"Bench vulnerability {n} in lib{n % 300}",
            }
            for n in range(per_image)
        ]
        results.append(
            {
                "Target": f"registry.example.com/bench-{image:02d}:1.0 (debian 12.5)",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": vulnerabilities,
            }
        )
    report = {
        "SchemaVersion": 2,
        "CreatedAt": "2026-12-01T02:00:00Z",
        "ArtifactName": "bench",
        "ArtifactType": "container_image",
        "Results": results,
    }
    return json.dumps(report).encode("utf-8")


def job_trivy_import(findings: int = TRIVY_FINDINGS) -> dict:
    """A 10,000-finding Trivy report through the scan import (parse, match, write findings and
    their obligations), then the same report again (every finding updated, none duplicated);
    rolled back, and the stored report file deleted."""
    from django.db import transaction
    from django.utils import timezone

    from assets.services.scan_import import scan_import
    from grc.accounts.models import User
    from grc.scale.seed import last_seed

    lead = User.objects.get(pk=last_seed().details["bench_lead"])
    data = trivy_json(findings)
    result: dict = {"findings": findings, "report_mb": round(len(data) / 1e6, 1)}
    stored = []
    try:
        with transaction.atomic():
            now = timezone.now()
            started = time.monotonic()
            scan, summary = scan_import(data=data, filename="trivy.json", format="trivy", by=lead, now=now)
            first = time.monotonic()
            stored.append(scan.report)
            again, again_summary = scan_import(data=data, filename="trivy.json", format="trivy", by=lead, now=now)
            stored.append(again.report)
            result.update(
                seconds=round(first - started, 2),
                reimport_seconds=round(time.monotonic() - first, 2),
                summary={k: v for k, v in vars(summary).items() if isinstance(v, int)},
                reimport_summary={k: v for k, v in vars(again_summary).items() if isinstance(v, int)},
            )
            raise Rollback
    except Rollback:
        pass
    for report in stored:
        if report:
            report.storage.delete(report.name)
    return result


def job_verify() -> dict:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    started = time.monotonic()
    call_command("verify_audit_log", "--json", "--no-record", stdout=out)
    seconds = round(time.monotonic() - started, 2)
    report = json.loads(out.getvalue())
    return {"seconds": seconds, "ok": report["ok"], "events": report["count"]}


def evidence_services():
    """``grc.evidence``'s pack services (request, build) when it has them, else None."""
    import importlib

    try:
        packs = importlib.import_module("grc.evidence.services.packs")
    except ImportError:
        return None
    if not (callable(getattr(packs, "pack_request", None)) and callable(getattr(packs, "pack_build", None))):
        return None
    return packs


def job_evidence() -> dict:
    """A pack of the last complete quarter, the whole DPP, with its ZIP: built as the Celery task builds
    it (``pack_request`` + ``pack_build``), then its files deleted and its rows rolled back."""
    packs = evidence_services()
    if packs is None:
        return {"available": False, "note": "grc.evidence offers no pack build function yet"}
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    today = timezone.now().date()
    first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    end = first - timedelta(days=1)
    start = date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
    result: dict = {"available": True, "period": f"{start.isoformat()}..{end.isoformat()}"}
    try:
        with transaction.atomic():
            started = time.monotonic()
            pack = packs.pack_request(
                period_start=start,
                period_end=end,
                clauses=[],
                include_zip=True,
                by=None,
                now=timezone.now(),
                channel="command",
                queue=False,
            )
            pack = packs.pack_build(pack_id=pack.pk)
            result["seconds"] = round(time.monotonic() - started, 2)
            result["status"] = pack.status
            result["pages"] = getattr(pack, "page_count", None)
            for field in ("pdf", "zip"):
                stored = getattr(pack, field, None)
                if stored:
                    result[f"{field}_mb"] = round(stored.size / 1024 / 1024, 2)
                    stored.delete(save=False)
            raise Rollback
    except Rollback:
        pass
    return result


JOBS = {
    "status": job_status,
    "credentials": job_credentials,
    "sweep": job_sweep,
    "import": job_import,
    "okta_import": job_okta_import,
    "trivy_import": job_trivy_import,
    "verify": job_verify,
    "evidence": job_evidence,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in JOBS:
        print(f"usage: python bench/jobs.py {{{','.join(JOBS)}}}", file=sys.stderr)
        return 2
    setup()
    started = time.monotonic()
    result = JOBS[argv[1]]()
    result.setdefault("wall_seconds", round(time.monotonic() - started, 2))
    result["peak_rss_mb"] = peak_mb()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
