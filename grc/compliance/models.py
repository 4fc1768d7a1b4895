"""Obligations: one row per deadline, kept by the app that owns the subject.

The next due moment is on the row (``due_at``, indexed) so the dashboard, calendar and reminder
sweep ask one table with one query (STYLE habit 1). The subject is named by type and id, so this
app never imports another app's models.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from grc.compliance.cadences import cadence_for
from grc.compliance.status import Status, obligation_status


class Obligation(models.Model):
    kind = models.CharField(max_length=60, db_index=True)
    clause = models.CharField(max_length=10, db_index=True)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="obligations")
    subject_type = models.CharField(max_length=100, help_text="app_label.model of the object it is about")
    subject_id = models.CharField(max_length=64)
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    waived_reason = models.CharField(max_length=300, blank=True, help_text="why it no longer applies (e.g. no Amazon Information involved)")
    url = models.CharField(max_length=300, blank=True, help_text="the page where it is done")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], name="obligation_open_due", condition=Q(completed_at__isnull=True)),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["owner", "due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=Q(completed_at__isnull=True),
                name="one_open_obligation_per_kind_and_subject",
            ),
            models.CheckConstraint(condition=Q(due_at__gte=models.F("anchor_at")), name="obligation_due_after_anchor"),
        ]

    def __str__(self) -> str:
        return f"{self.clause} {self.title}"

    @property
    def cadence(self):
        return cadence_for(self.kind)

    def status_at(self, now: datetime) -> Status:
        return obligation_status(due_at=self.due_at, completed_at=self.completed_at, warning=self.cadence.warning, now=now)

    @property
    def status(self) -> Status:
        return self.status_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.completed_at is None
