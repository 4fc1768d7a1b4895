"""Security and data-protection training records (DPP 1.1) and the CSV import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from access_reviews.models.registry import Person, System
from grc.crypto import EncryptedTextField


class TrainingRecord(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training_records")
    course = models.CharField(max_length=200)
    completed_on = models.DateField()
    evidence = models.FileField(upload_to="access_reviews/training/%Y/%m/", blank=True)
    note = EncryptedTextField(blank=True, help_text="e.g. certificate number or where the evidence is kept")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-pk"]

    def __str__(self) -> str:
        return f"training record {self.pk}"


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts of a system"
    PEOPLE = "people", "People"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Columns to map"
    CHECKING = "checking", "Checking"
    PREVIEW = "preview", "Ready to apply"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportJob(models.Model):
    """An uploaded CSV on its way through mapping → check/preview → apply (in Celery).

    The file's text is kept encrypted only until it is applied or cancelled (it holds names).
    ``errors`` hold line numbers and reasons, never cell values.
    """

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    system = models.ForeignKey(System, null=True, blank=True, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=200, blank=True)
    content = EncryptedTextField(blank=True)
    header = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    preset = models.CharField(max_length=20, default="custom", help_text="the source preset the file is read with (imports.presets)")
    # where the mapping came from: "saved" (the system's), "preset", "guess" or "user" (confirmed)
    mapping_from = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="counts of adds, changes, removes …")
    preview = EncryptedTextField(blank=True, help_text="JSON sample of the adds, changes and removes (holds names)")
    import_good_rows = models.BooleanField(default=False)
    failure = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    # The check or apply in Celery holds a lease (grc.jobs); a job whose worker died is run again
    # from the start by the sweep, or failed with the reason after IMPORT_MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0, help_text="checks or applies started in this step, a worker that died included")
    lease_expires_at = models.DateTimeField(null=True, blank=True, help_text="the worker holds the job until then")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="when the worker last claimed the job")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="import_job_lease")]

    def __str__(self) -> str:
        return f"import {self.pk}"
