"""Deprovisioning tasks (24 h, DPP 1.2) and quarterly review campaigns with their snapshot rows.

A campaign covers a DPP period (``2026-Q4``) and records the effective date of its evidence
separately from when it was entered. Its rows are a snapshot of every account on every in-scope
system at the start, so later changes to the registry never rewrite what was reviewed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from access_reviews.models.registry import Account, FlagFields, Mfa, Person, System
from grc.crypto import EncryptedCharField, EncryptedTextField


class TaskReason(models.TextChoices):
    TERMINATION = "termination", "Person terminated"
    REVOKE = "revoke", "Revoked in a review"
    CHANGE = "change", "Privilege change from a review"


class ClosedVia(models.TextChoices):
    HAND = "hand", "Confirmed by hand"
    IMPORT = "import", "Seen disabled or gone in an import"


class DeprovisionTask(models.Model):
    """Remove (or reduce) one account within 24 hours; an obligation of kind ``access_reviews.deprovision``.

    Closing it records who confirmed the account was disabled/removed and when. A later import
    that still shows the account enabled re-opens it (``reopen_count``) and flags the account.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="deprovision_tasks")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="deprovision_tasks")
    reason = models.CharField(max_length=20, choices=TaskReason.choices)
    campaign = models.ForeignKey("access_reviews.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    previous_privilege = models.CharField(max_length=120, blank=True)
    new_privilege = models.CharField(max_length=120, blank=True, help_text="For a privilege change: the privilege to leave.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="deprovision_tasks")
    opened_at = models.DateTimeField(help_text="The clock's start: termination time or review decision time.")
    due_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_via = models.CharField(max_length=10, choices=ClosedVia.choices, blank=True)
    outcome = models.CharField(max_length=20, blank=True, help_text="disabled, removed or privilege changed")
    note = EncryptedTextField(blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True, help_text="A later import showed the account gone or disabled.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["closed_at", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(closed_at__isnull=True), name="one_open_deprovision_task_per_account"),
            models.CheckConstraint(condition=Q(due_at__gte=models.F("opened_at")), name="deprovision_due_after_opened"),
        ]
        indexes = [models.Index(fields=["due_at"], name="deprovision_open_due", condition=Q(closed_at__isnull=True))]

    def __str__(self) -> str:
        return f"deprovisioning task {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CampaignStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETE = "complete", "Complete"


class Campaign(models.Model):
    """One quarterly access review (DPP 1.2 "at least quarterly")."""

    period = models.CharField(max_length=10, help_text="The DPP period it covers, e.g. 2026-Q4.")
    period_start = models.DateField()
    period_end = models.DateField()
    effective_at = models.DateTimeField(help_text="The moment the evidence describes (the snapshot), not when it was entered.")
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="empty: started by beat"
    )
    started_at = models.DateTimeField(default=timezone.now, help_text="When it was entered.")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["period"], condition=Q(status="open"), name="one_open_campaign_per_period"),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="campaign_period_start_before_end"),
            models.CheckConstraint(
                condition=Q(status="open", completed_at__isnull=True) | Q(status="complete", completed_at__isnull=False),
                name="campaign_complete_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Access review {self.period}"

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN


class Decision(models.TextChoices):
    PENDING = "pending", "Not decided"
    KEEP = "keep", "Keep"
    REVOKE = "revoke", "Revoke"
    CHANGE = "change", "Change privilege"


class ReviewRow(FlagFields):
    """One account as it was when the campaign started, its reviewer and their decision."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rows")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="review_rows")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_rows")
    account_name = EncryptedCharField()
    is_service_account = models.BooleanField(default=False)
    privilege = models.CharField(max_length=120, blank=True)
    privileged = models.BooleanField(default=False)
    mfa = models.CharField(max_length=10, choices=Mfa.choices, default=Mfa.UNKNOWN)
    last_login_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    new_privilege = models.CharField(max_length=120, blank=True)
    comment = EncryptedTextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey(DeprovisionTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_rows")

    class Meta:
        ordering = ["-flag_count", "system__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "account"], name="review_row_once_per_campaign"),
            models.CheckConstraint(
                condition=Q(decision="pending", decided_at__isnull=True) | (~Q(decision="pending") & Q(decided_at__isnull=False)),
                name="review_row_decision_has_time",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "reviewer", "decision"])]

    def __str__(self) -> str:
        return f"review row {self.pk}"

    @property
    def is_decided(self) -> bool:
        return self.decision != Decision.PENDING


class SignOff(models.Model):
    """A reviewer's signature on all their rows, given with a fresh step-up code."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sign_offs")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(help_text="How many rows were signed.")

    class Meta:
        ordering = ["signed_at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "reviewer"], name="one_sign_off_per_reviewer")]

    def __str__(self) -> str:
        return f"sign-off {self.pk}"


class CampaignReviewer(models.Model):
    """One reviewer's share of a campaign: told by email when it starts, and the subject of their
    ``access_reviews.reviewer_signoff`` obligation (the task on their dashboard), closed when they
    sign off or the campaign closes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reviewers")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rows = models.PositiveIntegerField(help_text="How many accounts were assigned to the reviewer at the start.")
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the reviewer's email went out.")

    class Meta:
        ordering = ["campaign", "reviewer"]
        constraints = [models.UniqueConstraint(fields=["campaign", "reviewer"], name="one_share_per_reviewer_and_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign} for reviewer {self.reviewer_id}"
