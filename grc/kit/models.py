"""Records of the Amazon assessment kit (issue 14); the tables keep their ``compliance_`` names.

* ``QuestionnaireAnswer`` — the security lead's edited answer to one question area.
* ``QuestionnaireSubmission`` — a dated snapshot of every answer with the records behind it, and its PDF.
* ``KitDocument`` — an attached assessment document (architecture or data-flow diagram …) with review dates.
* ``Attestation`` — a signed statement no record can show (``grc.kit.attestations``).

The adjustable cadences' records (``CadenceOverride``, ``CadenceChange``) stay with the obligation
engine (``grc.compliance.cadence_models``): ``effective_cadence`` reads them.

No PII is stored here: answers describe controls, diagrams are files.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Each model keeps its ``compliance.*`` record label (grc.labels): the trail and open obligations
# from before the kit had its own app name it so.


class QuestionnaireAnswer(models.Model):
    """The edited answer of one question area. Without a row, the answer is the live draft."""

    record_label = "compliance.questionnaireanswer"  # see grc.labels

    area = models.CharField(max_length=40, unique=True)
    text = models.TextField(blank=True)
    char_limit = models.PositiveIntegerField(default=1000)
    draft_digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the draft the answer was last saved against")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "compliance_questionnaireanswer"  # made by the obligation engine's migrations before the kit had its own app
        ordering = ["area"]
        constraints = [models.CheckConstraint(condition=Q(char_limit__gte=50), name="questionnaire_answer_limit_sane")]

    def __str__(self) -> str:
        return f"answer to {self.area}"


class QuestionnaireSubmission(models.Model):
    """What was submitted to Amazon on a date: every answer, the draft and record facts behind it,
    the gaps and the plan of action, frozen as JSON (``content``) with its SHA-256."""

    record_label = "compliance.questionnairesubmission"  # see grc.labels

    submitted_on = models.DateField("submitted on")
    label = models.CharField(max_length=120, blank=True, help_text="e.g. Developer profile, follow-up questions. No names.")
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    pdf = models.FileField(upload_to="compliance/questionnaire/%Y/", blank=True, max_length=300)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_built_at = models.DateTimeField(null=True, blank=True)
    pdf_error = models.CharField(max_length=100, blank=True, help_text="exception class of a failed build")

    class Meta:
        db_table = "compliance_questionnairesubmission"
        ordering = ["-submitted_on", "-id"]

    def __str__(self) -> str:
        return f"questionnaire submission {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("kit:submission", args=[self.pk])


class KitDocumentKind(models.TextChoices):
    ARCHITECTURE = "architecture", "Architecture diagram"
    DATA_FLOW = "data_flow", "Data-flow diagram"
    NETWORK = "network", "Network diagram"
    OTHER = "other", "Other assessment document"


class KitDocument(models.Model):
    """A file an assessor asks to see, kept current by a periodic review
    (obligation ``compliance.kit_document_review``). A new upload of the same document supersedes
    the old one (``superseded_at``); files are never served by the web server."""

    record_label = "compliance.kitdocument"  # see grc.labels

    kind = models.CharField(max_length=20, choices=KitDocumentKind.choices)
    title = models.CharField(max_length=150, help_text="e.g. Production architecture, order data flow. No names.")
    clauses = models.JSONField(default=list, help_text="DPP clauses it is evidence for")
    file = models.FileField(upload_to="compliance/kit/%Y/", max_length=300)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(help_text="last review (the upload counts as one)")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    review_due_at = models.DateTimeField(db_index=True)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by")
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "compliance_kitdocument"
        ordering = ["kind", "title", "-uploaded_at"]
        indexes = [models.Index(fields=["kind"], name="kit_document_current", condition=Q(superseded_at__isnull=True))]

    def __str__(self) -> str:
        return f"kit document {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("kit:documents") + f"#document-{self.pk}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class Attestation(models.Model):
    """A statement no record can show (e.g. "changes to storage hardware are tested, verified and
    approved"), signed by the security lead with a fresh one-time code, an accountable owner,
    evidence (a file or a link) and an expiry. The newest row of a statement is the one in force;
    older rows are its history. Withdrawn or expired, the statement is a gap again."""

    record_label = "compliance.attestation"  # see grc.labels

    statement = models.CharField(max_length=40, db_index=True, help_text="key of grc.kit.attestations.STATEMENTS")
    text = models.TextField(help_text="the wording that was signed, frozen")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    evidence = models.FileField(upload_to="compliance/attestations/%Y/", blank=True, max_length=300)
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(db_index=True)
    step_up_at = models.DateTimeField(help_text="when the signer last gave a one-time code")
    expires_on = models.DateField("expires on")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "compliance_attestation"
        ordering = ["statement", "-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(evidence_url="") | ~Q(evidence=""), name="attestation_has_evidence"),
        ]

    def __str__(self) -> str:
        return f"attestation {self.pk} of {self.statement}"

    def get_absolute_url(self) -> str:
        return reverse("kit:attestation", args=[self.pk])
