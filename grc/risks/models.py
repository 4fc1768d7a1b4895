"""The risk register of DPP 1.6: risks, their treatment, and the annual senior-management review.

* ``Risk`` — threat, vulnerability, affected assets and systems (links to the inventory and the
  access registry), DPP clauses touched, owner, inherent and residual likelihood/impact with the
  scores stored (and checked by the database) so the register sorts and filters in SQL. It may
  keep the record it was raised from (an incident, an access-review finding, an asset flag or a
  vulnerability finding) by type and id (``grc.risks.sources``).
* ``RiskScoreChange`` — the history of scores: one row when a risk is recorded and one each
  time its scores change (edited, or re-scored in the annual review).
* ``TreatmentAction`` — an action of the treatment plan, with owner and due time (an obligation
  ``risks.treatment_action``).
* ``RiskAcceptance`` — a request to accept a risk with a rationale and an expiry; approved by a
  manager or security lead with a fresh one-time code; the expiry is an obligation to revisit.
* ``RiskReview`` / ``RiskReviewItem`` / ``RiskReviewSignature`` — the annual review campaign:
  every open risk confirmed or re-scored by the senior-management approvers, then signed by each
  with step-up MFA; completion starts the next 12-month clock (``risks.annual_review``).

Free texts that may describe weaknesses in detail are encrypted at rest (DPP 2.4).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedTextField
from grc.risks.rules import IMPACT, LIKELIHOOD, band

LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
LIKELIHOOD_CHOICES = [(n, str(level)) for n, level in LIKELIHOOD.items()]
IMPACT_CHOICES = [(n, str(level)) for n, level in IMPACT.items()]


def level_field(verbose_name: str, choices) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(verbose_name, choices=choices, validators=LEVEL_VALIDATORS)


def levels_valid(prefix: str) -> Q:
    return Q(**{f"{prefix}_likelihood__gte": 1, f"{prefix}_likelihood__lte": 5, f"{prefix}_impact__gte": 1, f"{prefix}_impact__lte": 5})


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Treatment(models.TextChoices):
    UNDECIDED = "", "Not decided"
    MITIGATE = "mitigate", "Mitigate"
    ACCEPT = "accept", "Accept"
    TRANSFER = "transfer", "Transfer"
    AVOID = "avoid", "Avoid"


class SourceType(models.TextChoices):
    NONE = "", "None"
    INCIDENT = "incident", "Incident"
    ACCESS_FINDING = "access_finding", "Access-review finding"
    ASSET_FLAG = "asset_flag", "Asset flag"
    VULNERABILITY = "vulnerability", "Vulnerability finding"


class Risk(models.Model):
    title = models.CharField(max_length=200, help_text="A short label, e.g. “Leaked SP-API credentials”. No names.")
    description = EncryptedTextField(blank=True, help_text="What could happen and to what. Stored encrypted.")
    threat = EncryptedTextField(help_text="Who or what could cause it: an outside attacker, an insider, a lost device …")
    vulnerability = EncryptedTextField(help_text="The weakness the threat would use.")
    affected_assets = models.ManyToManyField("assets.Asset", blank=True, related_name="risks", verbose_name="affected assets")
    affected_systems = models.ManyToManyField("access_reviews.System", blank=True, related_name="risks", verbose_name="affected systems")
    other_systems = models.CharField("other systems affected", max_length=300, blank=True, help_text="Anything not in the registers.")
    clauses = models.JSONField("DPP clauses touched", default=list, blank=True, help_text='clause numbers, e.g. ["1.4", "2.1"]')
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_risks")

    inherent_likelihood = level_field("inherent likelihood", LIKELIHOOD_CHOICES)
    inherent_impact = level_field("inherent impact", IMPACT_CHOICES)
    inherent_score = models.PositiveSmallIntegerField(editable=False)
    existing_controls = EncryptedTextField(blank=True, help_text="The controls already in place that lower the risk.")
    residual_likelihood = level_field("residual likelihood", LIKELIHOOD_CHOICES)
    residual_impact = level_field("residual impact", IMPACT_CHOICES)
    residual_score = models.PositiveSmallIntegerField(editable=False)

    treatment = models.CharField(max_length=10, choices=Treatment.choices, blank=True, default=Treatment.UNDECIDED)
    treatment_plan = EncryptedTextField("treatment plan", blank=True, help_text="How the risk is treated, in a few sentences.")

    source_type = models.CharField("raised from", max_length=20, choices=SourceType.choices, blank=True, default=SourceType.NONE)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closure_reason = models.CharField(max_length=300, blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True, help_text="when an annual review last covered it")

    identified_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-residual_score", "pk"]
        indexes = [
            models.Index(fields=["status", "residual_score"], name="risk_status_residual"),
            models.Index(fields=["status", "inherent_score"], name="risk_status_inherent"),
            models.Index(fields=["owner", "status"], name="risk_owner_status"),
            models.Index(fields=["source_type", "source_id"], name="risk_source"),
        ]
        constraints = [
            models.CheckConstraint(condition=levels_valid("inherent") & levels_valid("residual"), name="risk_levels_1_to_5"),
            models.CheckConstraint(
                condition=Q(inherent_score=F("inherent_likelihood") * F("inherent_impact"))
                & Q(residual_score=F("residual_likelihood") * F("residual_impact")),
                name="risk_score_is_likelihood_times_impact",
            ),
            models.CheckConstraint(
                condition=Q(residual_likelihood__lte=F("inherent_likelihood"), residual_impact__lte=F("inherent_impact")),
                name="risk_residual_not_above_inherent",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="risk_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(source_type="", source_id__isnull=True) | (~Q(source_type="") & Q(source_id__isnull=False)),
                name="risk_source_type_and_id_together",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("risks:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"RSK-{self.pk:04d}" if self.pk else "RSK-new"

    @property
    def is_open(self) -> bool:
        return self.status == RiskStatus.OPEN

    @property
    def inherent_band(self) -> str:
        return band(self.inherent_score)

    @property
    def residual_band(self) -> str:
        return band(self.residual_score)

    @property
    def inherent_likelihood_level(self):
        return LIKELIHOOD[self.inherent_likelihood]

    @property
    def inherent_impact_level(self):
        return IMPACT[self.inherent_impact]

    @property
    def residual_likelihood_level(self):
        return LIKELIHOOD[self.residual_likelihood]

    @property
    def residual_impact_level(self):
        return IMPACT[self.residual_impact]


class ScoreChangeReason(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    EDITED = "edited", "Edited"
    REVIEW = "review", "Re-scored in the annual review"


class RiskScoreChange(models.Model):
    """The scores a risk had from ``changed_at`` on (new values; the row before holds the old)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="score_changes")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=10, choices=ScoreChangeReason.choices)
    review = models.ForeignKey("RiskReview", null=True, blank=True, on_delete=models.SET_NULL, related_name="score_changes")
    inherent_likelihood = level_field("inherent likelihood", LIKELIHOOD_CHOICES)
    inherent_impact = level_field("inherent impact", IMPACT_CHOICES)
    inherent_score = models.PositiveSmallIntegerField()
    residual_likelihood = level_field("residual likelihood", LIKELIHOOD_CHOICES)
    residual_impact = level_field("residual impact", IMPACT_CHOICES)
    residual_score = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [models.CheckConstraint(condition=levels_valid("inherent") & levels_valid("residual"), name="score_change_levels")]

    def __str__(self) -> str:
        return f"score change {self.pk} of risk {self.risk_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TreatmentAction(models.Model):
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField("action", max_length=200, help_text="What will be done, e.g. “Move the LWA secret into the vault”. No names.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_actions")
    due_at = models.DateTimeField("due", db_index=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True, help_text="How it was done, or why it was cancelled.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["risk", "status"], name="risk_action_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", completed_at__isnull=True) | (~Q(status="open") & Q(completed_at__isnull=False)),
                name="risk_action_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"treatment action {self.pk} of risk {self.risk_id}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN


class AcceptanceStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"  # superseded by a later acceptance, or the treatment changed


class RiskAcceptance(models.Model):
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    rationale = EncryptedTextField(help_text="Why the risk is tolerable as it is. Stored encrypted.")
    expires_at = models.DateTimeField("accepted until", help_text="When the acceptance must be revisited (at most 12 months).")
    status = models.CharField(max_length=10, choices=AcceptanceStatus.choices, default=AcceptanceStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    step_up_at = models.DateTimeField(null=True, blank=True, help_text="when the approver gave the one-time code")
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["risk"], condition=Q(status="pending"), name="one_pending_acceptance_per_risk"),
            models.UniqueConstraint(fields=["risk"], condition=Q(status="approved"), name="one_approved_acceptance_per_risk"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False, decided_at__isnull=False) | Q(status="withdrawn"),
                name="risk_acceptance_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(step_up_at__isnull=False), name="risk_acceptance_approved_with_step_up"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("requested_at")), name="risk_acceptance_expires_after_request"),
        ]

    def __str__(self) -> str:
        return f"acceptance {self.pk} of risk {self.risk_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETED = "completed", "Completed"


class RiskReview(models.Model):
    """The annual senior-management review of the register (DPP 1.6)."""

    title = models.CharField(max_length=120)
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="risk_reviews_to_approve")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="open"), name="one_open_risk_review"),
            models.CheckConstraint(
                condition=Q(status="open", completed_at__isnull=True) | Q(status="completed", completed_at__isnull=False),
                name="risk_review_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("risks:review", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN


class ReviewDecision(models.TextChoices):
    PENDING = "pending", "Not decided"
    CONFIRMED = "confirmed", "Confirmed"
    RESCORED = "rescored", "Re-scored"


class RiskReviewItem(models.Model):
    """One open risk as it stood when the review started, and the approvers' decision on it."""

    review = models.ForeignKey(RiskReview, on_delete=models.CASCADE, related_name="items")
    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="review_items")
    inherent_likelihood = level_field("inherent likelihood", LIKELIHOOD_CHOICES)
    inherent_impact = level_field("inherent impact", IMPACT_CHOICES)
    residual_likelihood = level_field("residual likelihood", LIKELIHOOD_CHOICES)
    residual_impact = level_field("residual impact", IMPACT_CHOICES)
    treatment = models.CharField(max_length=10, choices=Treatment.choices, blank=True)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, default=ReviewDecision.PENDING)
    new_inherent_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    new_inherent_impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    new_residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    new_residual_impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    comment = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]  # made in register order: highest residual score first
        constraints = [
            models.UniqueConstraint(fields=["review", "risk"], name="risk_once_per_review"),
            models.CheckConstraint(
                condition=Q(decision="pending", decided_at__isnull=True) | (~Q(decision="pending") & Q(decided_at__isnull=False)),
                name="risk_review_item_decision_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(decision="rescored")
                | Q(
                    new_inherent_likelihood__isnull=False,
                    new_inherent_impact__isnull=False,
                    new_residual_likelihood__isnull=False,
                    new_residual_impact__isnull=False,
                ),
                name="risk_review_rescore_has_levels",
            ),
        ]

    def __str__(self) -> str:
        return f"review item {self.pk}"

    @property
    def inherent_score(self) -> int:
        return self.inherent_likelihood * self.inherent_impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact

    @property
    def new_inherent_score(self) -> int | None:
        likelihood, impact = self.new_inherent_likelihood, self.new_inherent_impact  # set when rescored (check constraint)
        return likelihood * impact if self.decision == ReviewDecision.RESCORED and likelihood is not None and impact is not None else None

    @property
    def new_residual_score(self) -> int | None:
        likelihood, impact = self.new_residual_likelihood, self.new_residual_impact  # set when rescored (check constraint)
        return likelihood * impact if self.decision == ReviewDecision.RESCORED and likelihood is not None and impact is not None else None


class RiskReviewSignature(models.Model):
    """An approver's signature on the review, given with a fresh one-time code."""

    review = models.ForeignKey(RiskReview, on_delete=models.CASCADE, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_review_signatures")
    signed_at = models.DateTimeField()
    step_up_at = models.DateTimeField(help_text="when the signer gave the one-time code that signs the review")
    note = EncryptedTextField(blank=True, help_text="Senior management's conclusions. Stored encrypted.")

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "signer"], name="one_signature_per_approver")]

    def __str__(self) -> str:
        return f"signature {self.pk} of risk review {self.review_id}"
