"""The append-only, hash-chained audit trail (DPP 2.6).

Each event stores SHA-256(previous hash + canonical content), so altering, removing or inserting
a row breaks the chain, which ``manage.py verify_audit_log`` detects. Messages carry no PII:
objects are referred to by type and id only.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    TASK = "task", "Task"
    COMMAND = "command", "Command"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be updated.")

    def delete(self):
        raise PermissionError("Audit events are append-only: use grc.audit.retention to purge expired events.")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="portal user id")
    actor_name = models.CharField(max_length=100, blank=True, help_text="system actor, e.g. task:sweep_reminders")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    message = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="non-PII structure: changed field names, token id …")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "occurred_at"]),
            models.Index(fields=["action", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only: use grc.audit.retention to purge expired events.")

    def canonical(self) -> str:
        """The content the hash covers, in a fixed form independent of the database."""
        return json.dumps(
            {
                "occurred_at": self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                "actor_id": self.actor_id,
                "actor_name": self.actor_name,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "outcome": self.outcome,
                "source_ip": self.source_ip,
                "channel": self.channel,
                "message": self.message,
                "details": self.details,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode("utf-8")).hexdigest()


class AuditAnchor(models.Model):
    """Where the chain starts after a retention purge: the hash of the last purged event.

    Written only by the audited purge path (grc.audit.retention), so the chain of the events
    that remain still verifies from this anchor.
    """

    created_at = models.DateTimeField(default=timezone.now)
    purged_before = models.DateTimeField()
    purged_count = models.PositiveBigIntegerField()
    last_purged_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
