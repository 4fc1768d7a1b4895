"""Evidence packs: one row per PDF the portal issued, with its SHA-256 (the verify page looks it up).

A pack is requested (``queued``), built by a Celery task that reports its progress on the row
(``building``, ``progress`` 0-100 and the step in words), then ``ready`` with its PDF (and, if
asked, a ZIP of the PDF, the original evidence files and the manifest) stored under MEDIA_ROOT,
never served by the web server. Packs are books and records (DPP 3): they are never deleted.

A build holds a lease (``grc.jobs``) that its progress reports renew: a pack whose worker died is
built again from the start, and after ``EVIDENCE_PACK_MAX_ATTEMPTS`` it is ``failed`` with the
reason, so no pack stays "building" for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.evidence.clauses import scope_label
from grc.evidence.periods import Period


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


@dataclass(frozen=True)
class PackStage:
    """What a pack's page says about its build: the badge (status key and word) and the panel."""

    badge: str  # a status_badge key: pending, in_progress, done, failed
    label: str  # the badge's word
    step: str  # the panel's line
    progress: int  # 0-100


class PackChannel(models.TextChoices):
    WEB = "web", "Portal"
    COMMAND = "command", "Command line"


class EvidencePack(models.Model):
    period_start = models.DateField()
    period_end = models.DateField(help_text="inclusive")
    clauses = models.JSONField(default=list, blank=True, help_text="DPP clauses in scope; empty = the whole DPP")
    include_zip = models.BooleanField(default=True, help_text="also build a ZIP with the original evidence files")
    status = models.CharField(max_length=10, choices=PackStatus.choices, default=PackStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True, help_text="what the builder is doing now (no PII)")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=PackChannel.choices, default=PackChannel.WEB)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True, help_text="the moment the statuses in the pack are computed at")
    build_seconds = models.FloatField(null=True, blank=True)
    pdf = models.FileField(upload_to="evidence/packs/%Y/", blank=True, max_length=300)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64, blank=True, db_index=True)
    pdf_size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    zip = models.FileField(upload_to="evidence/packs/%Y/", blank=True, max_length=300)
    zip_sha256 = models.CharField("ZIP SHA-256", max_length=64, blank=True, db_index=True)
    zip_size = models.PositiveBigIntegerField(null=True, blank=True)
    manifest = models.JSONField(default=dict, blank=True, help_text="generation parameters and the SHA-256 of every attached file")
    failure = models.CharField(max_length=300, blank=True, help_text="why the build failed, in words (no PII)")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="builds started, a worker that died included")
    lease_expires_at = models.DateTimeField(null=True, blank=True, help_text="the builder holds the pack until then")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="the builder's last progress report")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "requested_at"]),
            models.Index(fields=["status", "lease_expires_at"], name="evidence_pack_lease"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="evidence_pack_period_ordered"),
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(pdf_sha256=""), name="evidence_ready_pack_has_hash"),
        ]

    def __str__(self) -> str:
        return f"Evidence pack #{self.pk} {self.period.label}"

    def get_absolute_url(self) -> str:
        return reverse("evidence:pack_detail", args=[self.pk])

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def reference(self) -> str:
        return f"EP-{self.pk:05d}" if self.pk else "EP-new"

    @property
    def scope_label(self) -> str:
        return scope_label(self.clauses)

    @property
    def is_ready(self) -> bool:
        return self.status == PackStatus.READY

    @property
    def is_working(self) -> bool:
        return self.status in (PackStatus.QUEUED, PackStatus.BUILDING)

    @property
    def stage(self) -> PackStage:
        """The one state the pack's page shows, in its badge and its progress panel alike (issue 23:
        a badge left at "Queued" beside "Rendering the PDF 62%"). A queued row whose worker already
        reports progress is being built, whatever the status column says yet."""
        if self.status == PackStatus.READY:
            return PackStage("done", "ready", "Ready", 100)
        if self.status == PackStatus.FAILED:
            return PackStage("failed", "failed", "Failed", self.progress)
        if self.status == PackStatus.BUILDING or self.progress:
            return PackStage("in_progress", "building", self.step or "Starting the build", self.progress)
        return PackStage("pending", "queued", self.step or "Waiting for a worker", 0)

    @property
    def is_failed(self) -> bool:
        return self.status == PackStatus.FAILED

    def may_retry(self, user) -> bool:
        """A failed pack is built again by the security lead or by whoever asked for it."""
        return self.is_failed and bool(user.is_security_lead or (self.requested_by_id and self.requested_by_id == user.pk))

    @property
    def download_name(self) -> str:
        return f"dpp-evidence-pack-{self.reference}-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}"
