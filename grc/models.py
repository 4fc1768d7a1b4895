"""Models of the project package itself: the task outbox of ``grc.queue``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change that needs it.

    ``grc.queue.enqueue`` writes the row; after commit it is published to the broker at once, and
    while the broker is down it stays here (``sent_at`` empty) until ``grc.queue.relay`` publishes
    it. Arguments are ids and flags only (no PII: STYLE, DPP 2.6). ``last_error`` is an exception
    class name.
    """

    task = models.CharField(max_length=200, help_text="Celery task name")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now, help_text="not published before this (retry backoff, claim lease)")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["available_at", "id"], name="outbox_pending", condition=Q(sent_at__isnull=True))]

    def __str__(self) -> str:
        return f"outbox message {self.pk} ({self.task})"
