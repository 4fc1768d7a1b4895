"""Writes of vulnerability management (DPP 2.7): scans, penetration tests, release code scans and
findings, each keeping its obligation in the engine:

* ``assets.vulnerability_scan`` — programme-wide, every 180 days from the latest scan;
* ``assets.penetration_test`` — programme-wide, every 365 days from the latest test;
* ``assets.release_scan`` — one per release, due at its release date, met when scanned;
* ``assets.finding_fix`` — one per finding, due by severity, met when fixed (waived when accepted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction

from assets.files import attach_report
from assets.models import Finding, FindingStatus, PenetrationTest, ReleaseScan, ScanResult, Severity, VulnerabilityScan
from assets.rules import finding_due_at, finding_due_days
from assets.services.programme import FINDING_FIX, RELEASE_SCAN, pentest_obligation_sync, scan_obligation_sync
from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive


def _check_not_future(moment: datetime, now: datetime, field: str) -> None:
    if moment > now:
        raise ValidationError({field: "This is in the future: record it once it has happened."})


@transaction.atomic
def scan_record(*, data: dict[str, Any], assets=(), report=None, by, now: datetime, request=None) -> VulnerabilityScan:
    """Record a vulnerability scan with its findings by severity and its report."""
    _check_not_future(data["performed_at"], now, "performed_at")
    scan = VulnerabilityScan(**data, recorded_by=by, recorded_at=now)
    if report is not None:
        attach_report(scan, report)
    scan.save()
    scan.assets.set(assets)
    record_change("created", scan, request=request, actor=by, changed_fields=[*data, "assets", *(["report"] if report else [])])
    scan_obligation_sync(now=now, owner=by, by=by)
    return scan


@transaction.atomic
def pentest_record(*, data: dict[str, Any], assets=(), report=None, by, now: datetime, request=None) -> PenetrationTest:
    _check_not_future(data["performed_at"], now, "performed_at")
    test = PenetrationTest(**data, recorded_by=by, recorded_at=now)
    if report is not None:
        attach_report(test, report)
    test.save()
    test.assets.set(assets)
    record_change("created", test, request=request, actor=by, changed_fields=[*data, "assets", *(["report"] if report else [])])
    pentest_obligation_sync(now=now, owner=by, by=by)
    return test


def attach_record_report(*, record, report, by, now: datetime, request=None) -> None:
    """Add or replace the report of a scan, test or release scan."""
    attach_report(record, report)
    record.save(update_fields=["report", "report_name", "report_sha256"])
    record_change("report_attached", record, request=request, actor=by, changed_fields=["report"])


# --- releases -----------------------------------------------------------------------------
def release_obligation_sync(release: ReleaseScan) -> None:
    if release.result == ScanResult.PENDING:
        obligation_open(
            kind=RELEASE_SCAN,
            subject=release,
            anchor_at=min(release.created_at, release.release_date),
            due_at=release.release_date,
            owner=release.owner,
            title=f"Code scan before release: {release}"[:200],
            url=release.get_absolute_url(),
        )
    else:
        scanned_at = cast(datetime, release.scanned_at)  # a scan with a result has scanned_at (check constraint)
        obligation_complete(kind=RELEASE_SCAN, subject=release, completed_at=scanned_at, completed_by=release.recorded_by)


def _result_problems(data: dict[str, Any], now: datetime) -> dict[str, str]:
    problems = {}
    if data.get("result", ScanResult.PENDING) != ScanResult.PENDING:
        if data.get("scanned_at") is None:
            problems["scanned_at"] = "When was the code scanned?"
        elif data["scanned_at"] > now:
            problems["scanned_at"] = "This is in the future: record the result once the scan has run."
        if not data.get("tool"):
            problems["tool"] = "Which tool scanned the code?"
        if data.get("result") == ScanResult.PASS and data.get("blocking_findings"):
            problems["blocking_findings"] = "A passing scan has no blocking findings."
    return problems


@transaction.atomic
def release_create(*, data: dict[str, Any], report=None, by, now: datetime, request=None) -> ReleaseScan:
    """Plan a release (its scan is then due at the release date), or record one already scanned."""
    problems = _result_problems(data, now)
    if problems:
        raise ValidationError(problems)
    if ReleaseScan.objects.filter(release_name=data["release_name"], version=data["version"]).exists():
        raise ValidationError({"version": "This release and version are already recorded."})
    release = ReleaseScan(**data, recorded_by=by, created_at=now)
    if release.result == ScanResult.PENDING:
        release.scanned_at = None
    if report is not None:
        attach_report(release, report)
    release.save()
    record_change("created", release, request=request, actor=by, changed_fields=list(data))
    obligation_open(
        kind=RELEASE_SCAN,
        subject=release,
        anchor_at=min(now, release.release_date),
        due_at=release.release_date,
        owner=release.owner,
        title=f"Code scan before release: {release}"[:200],
        url=release.get_absolute_url(),
    )
    if release.result != ScanResult.PENDING:
        release_obligation_sync(release)
    return release


@transaction.atomic
def release_record_result(*, release: ReleaseScan, data: dict[str, Any], report=None, by, now: datetime, request=None) -> ReleaseScan:
    """Record the code scan of a release: when, with what, pass/fail and blocking findings."""
    release = ReleaseScan.objects.select_for_update().get(pk=release.pk)
    if data.get("result", ScanResult.PENDING) == ScanResult.PENDING:
        raise ValidationError({"result": "Choose pass or fail."})
    problems = _result_problems(data, now)
    if problems:
        raise ValidationError(problems)
    for field, value in data.items():
        setattr(release, field, value)
    release.recorded_by = by
    if report is not None:
        attach_report(release, report)
    release.save()
    record_change("scanned", release, request=request, actor=by, changed_fields=[*data, *(["report"] if report else [])])
    release_obligation_sync(release)
    return release


# --- findings -------------------------------------------------------------------------------
def _finding_obligation(finding: Finding) -> None:
    obligation_open(
        kind=FINDING_FIX,
        subject=finding,
        anchor_at=finding.found_at,
        due_at=finding.due_at,
        owner=finding.owner,
        title=f"Fix {finding.severity} finding: {finding.title}"[:200],
        url=finding.get_absolute_url(),
    )


@transaction.atomic
def finding_create(*, data: dict[str, Any], by, now: datetime, request=None) -> Finding:
    """Record a finding; it is due by its severity (``ASSETS_FINDING_DUE_DAYS``)."""
    if data["severity"] not in Severity.values:
        raise ValidationError({"severity": "Choose a severity."})
    _check_not_future(data["found_at"], now, "found_at")
    finding = Finding(**data, created_by=by, created_at=now)
    if finding.severity == Severity.INFO:  # nothing to remediate: kept, no obligation (see Finding)
        finding.status, finding.due_at, finding.resolved_at = FindingStatus.INFO, finding.found_at, finding.found_at
    else:
        finding.due_at = finding_due_at(finding.severity, finding.found_at, finding_due_days())
    finding.save()
    record_change("created", finding, request=request, actor=by, changed_fields=list(data))
    if finding.is_open:
        _finding_obligation(finding)
    return finding


@transaction.atomic
def finding_update(*, finding: Finding, data: dict[str, Any], by, now: datetime, request=None) -> list[str]:
    """Change an open finding; a new severity or discovery time re-dates it."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.is_open:
        raise ValidationError("Only open findings can be changed.")
    changed = []
    for field, value in data.items():
        if getattr(finding, field) != value:
            setattr(finding, field, value)
            changed.append(field)
    if not changed:
        return []
    if finding.severity == Severity.INFO:  # rated informational: nothing left to fix, its clock is waived
        finding.status, finding.resolved_at, finding.resolved_by = FindingStatus.INFO, now, by
        finding.due_at = max(finding.due_at, finding.found_at)
        finding.save()
        obligation_waive(kind=FINDING_FIX, subject=finding, when=now, reason="rated informational", by=by)
        record_change("updated", finding, request=request, actor=by, changed_fields=[*changed, "status"])
        return changed
    finding.due_at = finding_due_at(finding.severity, finding.found_at, finding_due_days())
    finding.save()
    _finding_obligation(finding)
    record_change("updated", finding, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def finding_resolve(*, finding: Finding, status: str, note: str, by, now: datetime, request=None) -> Finding:
    """Mark a finding fixed (completes its obligation) or its risk accepted (waives it, with the reason)."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.is_open:
        raise ValidationError("This finding is already resolved.")
    if status not in (FindingStatus.FIXED, FindingStatus.ACCEPTED):
        raise ValidationError({"status": "Choose fixed or risk accepted."})
    if status == FindingStatus.ACCEPTED and not note.strip():
        raise ValidationError({"note": "Say why the risk is accepted and who agreed it."})
    finding.status, finding.resolved_by, finding.resolved_at, finding.resolution_note = status, by, now, note
    finding.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    if status == FindingStatus.FIXED:
        obligation_complete(kind=FINDING_FIX, subject=finding, completed_at=now, completed_by=by)
    else:
        obligation_waive(kind=FINDING_FIX, subject=finding, when=now, reason="risk accepted", by=by)
    record_event(f"assets.finding.{status}", request=request, actor=by, obj=finding, changed_fields=["status", "resolution_note"])
    return finding
