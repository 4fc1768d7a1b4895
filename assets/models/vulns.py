"""Vulnerability management records of DPP 2.7: scans every 180 days, a penetration test every
365 days, a code scan before each release, and the findings they raise with owners and due dates.

Reports are files under ``MEDIA_ROOT`` (never served by the web server) with their SHA-256,
downloaded only through a permission-checked, audited view.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedCharField, EncryptedTextField


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    # a tool's UNKNOWN / info / None: kept and counted, but nothing to remediate under DPP 2.7, so
    # an informational finding opens no fix obligation and has no due date of its own
    INFO = "info", "Informational"


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3, Severity.INFO: 4}


class ReportFields(models.Model):
    report = models.FileField(upload_to="assets/reports/%Y/", blank=True, max_length=300)
    report_name = models.CharField("report file name", max_length=200, blank=True)
    report_sha256 = models.CharField("report SHA-256", max_length=64, blank=True)

    class Meta:
        abstract = True


class SeverityCounts(models.Model):
    critical_count = models.PositiveIntegerField("critical", default=0)
    high_count = models.PositiveIntegerField("high", default=0)
    medium_count = models.PositiveIntegerField("medium", default=0)
    low_count = models.PositiveIntegerField("low", default=0)
    info_count = models.PositiveIntegerField("informational", default=0)

    class Meta:
        abstract = True

    @property
    def total_findings(self) -> int:
        """Findings to remediate (informational ones are counted apart: nothing to fix)."""
        return self.critical_count + self.high_count + self.medium_count + self.low_count


class VulnerabilityScan(ReportFields, SeverityCounts):
    performed_at = models.DateTimeField("scanned at")
    tool = models.CharField(max_length=120)
    scope = models.TextField(help_text="Networks, hosts or services scanned.")
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="vulnerability_scans")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # an imported report (``assets.services.scan_import``); empty for a scan typed in by hand
    format = models.CharField("report format", max_length=30, blank=True, help_text="The parser that read the report.")
    full_scope = models.BooleanField(
        "covers the whole scope",
        default=False,
        help_text="This scan covered the whole scope: findings it no longer reports are fixed.",
    )
    scope_key = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Hash of the normalised, sorted scope: the same key is the same scope."
    )
    unmatched_targets = models.JSONField(
        default=list, blank=True, help_text="Targets of the report no inventory asset matched, for the lead to assign."
    )

    class Meta:
        ordering = ["-performed_at", "-pk"]
        indexes = [models.Index(fields=["performed_at"], name="vuln_scan_performed")]

    def __str__(self) -> str:
        return f"vulnerability scan {self.performed_at:%Y-%m-%d} ({self.tool})"

    def get_absolute_url(self) -> str:
        return reverse("assets:scan_detail", args=[self.pk])


class PenetrationTest(ReportFields, SeverityCounts):
    performed_at = models.DateTimeField("tested at", help_text="When the test ended.")
    tester = EncryptedCharField(help_text="The firm or person who tested.")
    scope = models.TextField()
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="penetration_tests")
    summary = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at", "-pk"]
        indexes = [models.Index(fields=["performed_at"], name="pentest_performed")]

    def __str__(self) -> str:
        return f"penetration test {self.performed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("assets:pentest_detail", args=[self.pk])


class ScanResult(models.TextChoices):
    PENDING = "pending", "Not scanned yet"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class ReleaseScan(ReportFields):
    """A release and its code scan (DPP 2.7: scan code prior to each release)."""

    release_name = models.CharField(max_length=120)
    version = models.CharField(max_length=60)
    release_date = models.DateTimeField(help_text="The scan is due before this moment.")
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="release_scans")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_release_scans")
    scanned_at = models.DateTimeField(null=True, blank=True)
    tool = models.CharField(max_length=120, blank=True)
    result = models.CharField(max_length=10, choices=ScanResult.choices, default=ScanResult.PENDING)
    blocking_findings = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-release_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["release_name", "version"], name="release_scan_unique_version"),
            models.CheckConstraint(
                condition=Q(result="pending", scanned_at__isnull=True) | (~Q(result="pending") & Q(scanned_at__isnull=False)),
                name="release_scan_result_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release_name} {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("assets:release_detail", args=[self.pk])

    @property
    def scanned_before_release(self) -> bool:
        return self.scanned_at is not None and self.scanned_at <= self.release_date


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Fixed"
    ACCEPTED = "accepted", "Risk accepted"
    # an informational finding (``Severity.INFO``): kept, never open, so never due nor overdue
    INFO = "info", "Informational"


LIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.INFO)  # what a scanner still reports, one row per fingerprint


class Finding(models.Model):
    """One vulnerability to remediate, due by its severity (``ASSETS_FINDING_DUE_DAYS``).

    An imported finding has a ``fingerprint`` (tool, rule or CVE, target, package, location —
    ``assets.scanners.base.ParsedFinding.fingerprint``): the same finding in a later report updates
    this row (``last_seen_scan``) instead of adding another. At most one open finding per
    fingerprint (a constraint); a fixed one that comes back is reopened with a new due date.

    An informational finding (``Severity.INFO``) is stored and counted but there is nothing to
    remediate under DPP 2.7: it opens no fix obligation, and its status is ``INFO`` rather than
    open, so no open/overdue count or fix clock includes it (``due_at`` and ``resolved_at`` are its
    ``found_at``, only to satisfy the columns' rules). If a later scan rates it higher it opens.
    """

    scan = models.ForeignKey(VulnerabilityScan, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    pentest = models.ForeignKey(PenetrationTest, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    release_scan = models.ForeignKey(ReleaseScan, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=80, blank=True, help_text="CVE or the tool's id.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_findings")
    found_at = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # imported findings (``assets.services.scan_import``)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    tool = models.CharField(max_length=120, blank=True)
    target = models.CharField(max_length=300, blank=True, help_text="Host, image, repository or URL the tool scanned.")
    package = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=300, blank=True, help_text="File:line, port/protocol or URL path.")
    solution = models.CharField(max_length=300, blank=True)
    clause = models.CharField(
        "DPP clause",
        max_length=10,
        blank=True,
        db_index=True,
        help_text="The clause a cloud check weighs on (assets/scanners/dpp_clauses.py); empty: not mapped.",
    )
    last_seen_scan = models.ForeignKey(
        VulnerabilityScan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings_seen",
        help_text="The latest scan reporting it.",
    )
    fixed_by_scan = models.ForeignKey(
        VulnerabilityScan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings_fixed",
        help_text="The full-scope scan that no longer reported it.",
    )

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="finding_status_due"),
            models.Index(fields=["severity"], name="finding_severity"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["open", "info"]) & ~Q(fingerprint=""),
                name="finding_one_live_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=(Q(scan__isnull=True) | Q(pentest__isnull=True))
                & (Q(scan__isnull=True) | Q(release_scan__isnull=True))
                & (Q(pentest__isnull=True) | Q(release_scan__isnull=True)),
                name="finding_one_source",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True) | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="finding_resolution_has_time",
            ),
            models.CheckConstraint(condition=Q(due_at__gte=models.F("found_at")), name="finding_due_after_found"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assets:finding_detail", args=[self.pk])

    @property
    def source(self):
        return self.scan or self.pentest or self.release_scan

    @property
    def is_open(self) -> bool:
        return self.status == FindingStatus.OPEN

    @property
    def is_informational(self) -> bool:
        return self.severity == Severity.INFO

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and now >= self.due_at


class ScanImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ScanImportJob(models.Model):
    """A scanner report uploaded on the import page, read in Celery (``assets.services.scan_import_jobs``).

    The upload is kept under ``MEDIA_ROOT`` only until the worker is done with it: the scan keeps
    its own copy of the report, and a refused file is deleted too (the lead still has it). The
    worker holds a lease (``grc.jobs``): a job whose worker died is run again by the sweep, or
    failed with the reason after ``SCAN_IMPORT_MAX_ATTEMPTS``. ``failure`` is the parser's
    message, which never quotes the file.
    """

    upload = models.FileField(upload_to="assets/scan-imports/%Y/", blank=True, max_length=300)
    upload_sha256 = models.CharField("upload SHA-256", max_length=64, blank=True)
    filename = models.CharField(max_length=200)
    format = models.CharField("report format", max_length=30, default="auto", help_text="A parser key, or auto (detect).")
    scope = models.TextField(blank=True)
    full_scope = models.BooleanField(default=False)
    asset_ids = models.JSONField(default=list, blank=True, help_text="Assets the lead linked on the form (ids).")
    status = models.CharField(max_length=10, choices=ScanImportStatus.choices, default=ScanImportStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="imports started, a worker that died included")
    lease_expires_at = models.DateTimeField(null=True, blank=True, help_text="the worker holds the job until then")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="when the worker last claimed the job")
    scan = models.ForeignKey(VulnerabilityScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.JSONField(default=dict, blank=True, help_text="ImportSummary.as_dict() of the import")
    failure = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="scan_import_job_lease")]

    def __str__(self) -> str:
        return f"scan import {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("assets:scan_import_job", args=[self.pk])

    @property
    def working(self) -> bool:
        return self.status in (ScanImportStatus.QUEUED, ScanImportStatus.RUNNING)
