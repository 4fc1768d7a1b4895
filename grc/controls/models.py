"""The control register: what each in-scope system enforces, recorded and re-attested.

One ``ControlEntry`` per (system, area) — or per (PII data store, "purpose") — holding the area's
values as JSON validated by ``grc.controls.areas``. Each entry has an owner, an "as of" day, an
optional evidence file (with its SHA-256, checked when the pack attaches it) or link, and is
re-attested on its area's cadence (an obligation ``controls.<area>_review``).
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.controls.areas import AREAS

AREA_CHOICES = [(area.key, area.title) for area in AREAS.values()]


class ControlEntry(models.Model):
    system = models.ForeignKey("access_reviews.System", null=True, blank=True, on_delete=models.PROTECT, related_name="control_entries")
    data_store = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="control_entries",
        help_text="For the purpose of PII: the data store (inventory entry) it is about.",
    )
    area = models.CharField(max_length=20, choices=AREA_CHOICES)
    values = models.JSONField(default=dict)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="control_entries")
    as_of = models.DateField("as of", help_text="The day these settings were true; re-attested on the area's cadence.")
    evidence_link = models.URLField(blank=True, max_length=500)
    evidence_file = models.FileField(upload_to="controls/%Y/%m/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["area", "system__name", "data_store__tag"]
        constraints = [
            models.UniqueConstraint(fields=["system", "area"], condition=Q(system__isnull=False), name="control_entry_one_per_system_area"),
            models.UniqueConstraint(
                fields=["data_store", "area"], condition=Q(data_store__isnull=False), name="control_entry_one_per_store_area"
            ),
            models.CheckConstraint(
                condition=(Q(area="purpose", system__isnull=True, data_store__isnull=False))
                | (~Q(area="purpose") & Q(system__isnull=False, data_store__isnull=True)),
                name="control_entry_subject_matches_area",
            ),
        ]

    def __str__(self) -> str:
        return f"control entry {self.pk} ({self.area})"

    def get_absolute_url(self) -> str:
        return reverse("controls:entry", args=[self.pk])

    @property
    def area_def(self):
        return AREAS[self.area]

    @property
    def subject_key(self) -> str:
        return f"system:{self.system_id}" if self.system_id else f"data_store:{self.data_store_id}"


# --- the AWS connector (issue 25): one read-only role per AWS system, and what each run found ----
AWS_REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
AWS_ROLE_ARN_PATTERN = r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"


def new_external_id() -> str:
    """What the lead puts in the role's trust policy; guards against the confused deputy, not a secret."""
    return secrets.token_urlsafe(24)


class AwsConnection(models.Model):
    """The read-only role the portal assumes in one AWS account (the account is a registry system)."""

    system = models.OneToOneField("access_reviews.System", on_delete=models.PROTECT, related_name="aws_connection")
    role_arn = models.CharField(
        "role ARN",
        max_length=600,
        validators=[RegexValidator(AWS_ROLE_ARN_PATTERN, "Give the role's ARN: arn:aws:iam::<12-digit account>:role/<name>.")],
    )
    external_id = models.CharField("external ID", max_length=64, default=new_external_id, editable=False)
    regions = models.JSONField(default=list, help_text="Region names in scope; account-wide checks run in the first.")
    enabled = models.BooleanField(default=True, help_text="Collected every day; a disabled connection holds nothing back.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"AWS connection {self.pk}"

    def clean(self) -> None:
        regions = self.regions if isinstance(self.regions, list) else None
        if not regions or not all(isinstance(r, str) and re.fullmatch(AWS_REGION_PATTERN, r) for r in regions):
            raise ValidationError({"regions": "Give one or more AWS region names, such as eu-west-1."})
        if len(set(regions)) != len(regions):
            raise ValidationError({"regions": "Each region once."})


class AwsCollection(models.Model):
    """One run of the checks: the results (without the raw answers) and the sealed raw JSON as evidence."""

    COLLECTED, UNREACHABLE = "collected", "unreachable"
    STATUS_CHOICES = [(COLLECTED, "collected"), (UNREACHABLE, "role could not be assumed")]

    connection = models.ForeignKey(AwsConnection, on_delete=models.PROTECT, related_name="collections")
    collected_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    evidence = models.FileField(upload_to="controls/aws/%Y/%m/")
    evidence_sha256 = models.CharField(max_length=64)
    results = models.JSONField(default=list)  # CheckResult dicts without ``raw`` (that is in the evidence file)
    passed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    not_run_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-collected_at", "-pk"]
        indexes = [models.Index(fields=["connection", "-collected_at"], name="aws_collection_latest")]

    def __str__(self) -> str:
        return f"AWS collection {self.pk}"
