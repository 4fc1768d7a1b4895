"""The policy library: every governed document of the programme, its versions and signed reviews.

A ``DocumentType`` says what a kind of document must contain (required sections, structured
lists such as the IR plan's incident types), how often it is reviewed and which obligation kind
carries that review. The IR plan of DPP 1.6 is the first type; the vulnerability runbook,
privacy policy and the rest are further rows of the same table (issue 15), not new machinery.

* ``Document`` — one governed document per type, with an owner and an approver.
* ``DocumentVersion`` — the text of each section (and each structured list); a draft until
  approved; a version cannot be approved while a required section is empty.
* ``DocumentReview`` — a signed review (step-up MFA) with its outcome; it completes the periodic
  review obligation and every open major-change review of the document.
* ``MajorChange`` — a major infrastructure or system change (DPP 1.6) that opens a review.
* ``Acknowledgement`` — a version that requires it is acknowledged by every active member of
  staff; each outstanding acknowledgement is an obligation (``policies.acknowledgement``) with
  reminders to that person.

A version's content is its section texts, list items and numeric values (``fields`` of the type,
e.g. the backup plan's RTO/RPO), optionally with an uploaded file (a signed PDF, the formatted
document): the required parts must be filled in either way, so the approver sees at a glance
that the file covers them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedTextField


class DocumentType(models.Model):
    """What a kind of governed document must contain and how often it is reviewed.

    ``sections`` and ``lists`` are lists of ``{"key", "title", "help", "required"}``: a section
    is free text, a list is one item per line (e.g. the IR plan's incident types, which incident
    triage offers as choices).
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    clause = models.CharField("DPP clause", max_length=10, blank=True)
    review_period_months = models.PositiveSmallIntegerField(default=12)
    review_kind = models.CharField(
        max_length=60, default="policies.document_review", help_text="obligation kind of the periodic review (grc/compliance/cadences.py)"
    )
    reviews_after_major_change = models.BooleanField(
        default=False, help_text="a logged major infrastructure or system change opens a review of this document (DPP 1.6)"
    )
    sections = models.JSONField(default=list, blank=True)
    lists = models.JSONField(default=list, blank=True)
    fields = models.JSONField(
        default=list, blank=True, help_text='numeric values a version must state: {"key", "title", "unit", "help", "required"}'
    )
    acknowledgement_default = models.BooleanField(
        default=False, help_text="new versions ask every active member of staff to acknowledge them (can be changed per version)"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def required_section_titles(self) -> list[str]:
        return (
            [s["title"] for s in self.sections if s.get("required")]
            + [entry["title"] for entry in self.lists if entry.get("required")]
            + [entry["title"] for entry in self.fields if entry.get("required")]
        )


class Document(models.Model):
    type = models.OneToOneField(DocumentType, on_delete=models.PROTECT, related_name="document", help_text="one governed document per type")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_documents")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approved_documents",
        help_text="approves versions and signs the periodic reviews",
    )
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="the approved version in force"
    )
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="next periodic review")
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["type__position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("policies:document", args=[self.pk])


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField(default=dict, blank=True, help_text="section key → text")
    lists = models.JSONField(default=dict, blank=True, help_text="list key → items")
    values = models.JSONField(default=dict, blank=True, help_text="field key → number (e.g. RTO/RPO in hours)")
    file = models.FileField(upload_to="policies/versions/%Y/", max_length=300, blank=True, help_text="the formatted or signed document")
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    requires_acknowledgement = models.BooleanField(
        default=False, help_text="when approved, every active member of staff is asked to acknowledge it"
    )
    change_summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_step_up_at = models.DateTimeField(null=True, blank=True, help_text="when the approver gave the one-time code")

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.UniqueConstraint(fields=["document"], condition=Q(status="draft"), name="one_draft_per_document"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="approved_version_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("policies:version", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class ReviewOutcome(models.TextChoices):
    NO_CHANGE = "no_change", "Reviewed and verified: no change needed"
    NEW_VERSION = "new_version", "Changes needed: a new version is drafted"


class DocumentReview(models.Model):
    """A signed review: the reviewer gave a fresh one-time code (step-up MFA) to sign it."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="reviews", help_text="the version reviewed")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_reviews")
    reviewed_at = models.DateTimeField()
    step_up_at = models.DateTimeField(help_text="when the reviewer gave the one-time code that signs the review")
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"review of {self.document} on {self.reviewed_at:%Y-%m-%d}"


class ChangeCategory(models.TextChoices):
    """The kinds of change DPP 1.6 names."""

    SYSTEM = "system", "System"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    CONTROLS = "controls", "Controls"
    OPERATIONS = "operations", "Operational environment"
    RISK = "risk", "Risk levels"
    SUPPLY_CHAIN = "supply_chain", "Supply chain"


class MajorChange(models.Model):
    """A major infrastructure or system change: the document must be reviewed within N days."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="major_changes")
    summary = models.CharField("what changed", max_length=200, help_text="No names or contact details.")
    category = models.CharField(max_length=20, choices=ChangeCategory.choices, default=ChangeCategory.SYSTEM)
    changed_at = models.DateTimeField("when", help_text="when the change took (or takes) effect")
    systems = models.CharField("systems affected", max_length=300, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    review_due_at = models.DateTimeField(db_index=True)
    review = models.ForeignKey(
        DocumentReview,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="major_changes",
        help_text="the review that covered it",
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(review_due_at__gte=models.F("changed_at")), name="major_change_due_after_change")]

    def __str__(self) -> str:
        return f"major change {self.pk}"

    @property
    def is_reviewed(self) -> bool:
        return self.review_id is not None


class Acknowledgement(models.Model):
    """One person's acknowledgement of one version ("I have read and will follow it").

    Made for every active member of staff when a version that requires it is approved (and for
    people who join later, by the provider's resync). Outstanding until acknowledged; waived with a
    reason when a newer version supersedes it or the person leaves.
    """

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_acknowledgements")
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_reason = models.CharField(max_length=200, blank=True, help_text="why it is no longer asked for (no names)")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="one_acknowledgement_per_version_and_user"),
            models.CheckConstraint(condition=Q(due_at__gte=models.F("requested_at")), name="acknowledgement_due_after_request"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(waived_at__isnull=True), name="acknowledgement_not_both_done_and_waived"
            ),
        ]
        indexes = [models.Index(fields=["user", "acknowledged_at"], name="acknowledgement_user_done")]

    def __str__(self) -> str:
        return f"acknowledgement {self.pk}"

    def get_absolute_url(self) -> str:
        return self.version.get_absolute_url()

    @property
    def is_outstanding(self) -> bool:
        return self.acknowledged_at is None and self.waived_at is None
