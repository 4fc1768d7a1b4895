"""Auditor access grants: time-boxed, read-only, scoped to DPP clauses.

A grant names an auditor account (role ``auditor``), whole days from ``starts_on`` to ``ends_on``
(inclusive, in the granting lead's time zone, stored as the UTC moments ``starts_at`` and
``ends_at``) and the clauses in scope. The grant drives the account's own access window
(``User.access_starts_at`` / ``access_expires_at``), which the account policy middleware enforces
on every request, so access ends by itself at ``ends_at``; the evidence views also ask for a
current grant. Grants are never deleted: a revocation is recorded on the row.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from grc.evidence.clauses import scope_label


class GrantState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    REVOKED = "revoked", "Revoked"


class AuditorGrant(models.Model):
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auditor_grants")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="the last day of access (inclusive)")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True, help_text="the first moment without access")
    clauses = models.JSONField(default=list, blank=True, help_text="DPP clauses in scope; empty = the whole DPP")
    purpose = models.CharField(max_length=200, help_text="e.g. Amazon DPP assessment 2027. No names.")
    audit = models.ForeignKey("evidence.Audit", null=True, blank=True, on_delete=models.SET_NULL, related_name="grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ended_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="when the end of the grant was written to the audit trail by the hourly task"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="evidence_grant_days_ordered"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="evidence_grant_moments_ordered"),
        ]

    def __str__(self) -> str:
        return f"auditor grant #{self.pk}"

    @property
    def scope_label(self) -> str:
        return scope_label(self.clauses)

    def is_current(self, now: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= now < self.ends_at

    def state_at(self, now: datetime) -> GrantState:
        if self.revoked_at is not None:
            return GrantState.REVOKED
        if now < self.starts_at:
            return GrantState.SCHEDULED
        if now < self.ends_at:
            return GrantState.ACTIVE
        return GrantState.ENDED

    @property
    def state(self) -> GrantState:
        return self.state_at(timezone.now())
