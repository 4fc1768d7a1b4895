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
from django.urls import reverse
from django.utils import timezone

from grc.compliance.cadence_models import CadenceChange, CadenceChangeAction, CadenceOverride  # noqa: F401  (registers them with the app)
from grc.compliance.cadences import Cadence, cadence_for
from grc.compliance.status import Status, obligation_status


def completed_q() -> Q:
    """Closed by a real completion: the only rows that count as done (met or met late)."""
    return Q(completed_at__isnull=False, waived_reason="")


def waived_q() -> Q:
    """Closed with a reason because it no longer applies: a waiver, never a completion."""
    return Q(completed_at__isnull=False) & ~Q(waived_reason="")


class Obligation(models.Model):
    """One deadline. ``completed_at`` closes it; with a ``waived_reason`` the close is a waiver
    (``Status.WAIVED``: who in ``completed_by``, when in ``completed_at``), not a completion."""

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
    def cadence(self) -> Cadence:
        return cadence_for(self.kind)

    def status_at(self, now: datetime) -> Status:
        return obligation_status(
            due_at=self.due_at,
            completed_at=self.completed_at,
            warning=self.cadence.warning,
            now=now,
            waived_reason=self.waived_reason,
        )

    @property
    def status(self) -> Status:
        return self.status_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    @property
    def is_waived(self) -> bool:
        """Closed because it no longer applies (with the reason): not done."""
        return self.completed_at is not None and bool(self.waived_reason)

    def action_url(self) -> str:
        """The page where it is done; the clause's catalogue page when the app gave none."""
        if self.url:
            return self.url

        return reverse("compliance:requirement", args=[self.clause])

    @property
    def app_label(self) -> str:
        return self.kind.split(".", 1)[0]


class Requirement(models.Model):
    """One clause of the DPP (1.1 … 2.7, 3) with its text, loaded from ``data/dpp_requirements.json``.

    Its status is never stored: it is computed from obligations and live checks each time
    (``grc.compliance.posture``), so it cannot go stale.
    """

    clause = models.CharField(max_length=10, unique=True)
    section = models.CharField(max_length=5)
    section_title = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "clause"]

    def __str__(self) -> str:
        return f"DPP {self.clause} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("compliance:requirement", args=[self.clause])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # claimed, being sent (or the sender died: retried after the lease)
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # retried at next_attempt_at
    CANCELLED = "cancelled", "Cancelled"  # no longer needed: done, superseded by a later milestone, or given up


class Delivery(models.Model):
    """What every reminder email row records: it is claimed (inserted) *before* sending.

    ``delivered_to`` keeps the ids of users already emailed, so a retry after a partial
    failure never emails anyone twice. ``last_error`` is an exception class name: no PII.
    """

    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True, help_text="exception class of the last failure")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="when a failed or stalled send is retried")
    delivered_to = models.JSONField(default=list, blank=True, help_text="ids of the users already emailed")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Reminder(Delivery):
    """One milestone reminder of one obligation (``-3d``, ``-12h``, ``breach``), sent exactly once."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    milestone = models.CharField(max_length=10, help_text="status.milestone_label of the offset")
    offset = models.DurationField(help_text="how long before the due time this milestone is")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["obligation", "milestone"], name="one_reminder_per_obligation_milestone")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="reminder_retry_due", condition=Q(status__in=["pending", "failed"])),
        ]

    def __str__(self) -> str:
        return f"reminder {self.milestone} of obligation {self.obligation_id}"


class OverdueDigest(Delivery):
    """The daily list of overdue obligations for one user: one row per user per (UTC) day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="overdue_digests")
    day = models.DateField()
    item_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_overdue_digest_per_user_per_day")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="digest_retry_due", condition=Q(status__in=["pending", "failed"])),
        ]

    def __str__(self) -> str:
        return f"overdue digest {self.day} for user {self.user_id}"


class CalendarFeedToken(models.Model):
    """A user's secret iCalendar feed link. Only the SHA-256 of the token is stored; the link is
    shown once when made. Regenerating revokes the old one; at most one is active per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True), name="one_active_calendar_feed_per_user"),
        ]

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
