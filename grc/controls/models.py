"""The control register: what each in-scope system enforces, recorded and re-attested.

One ``ControlEntry`` per (system, area) — or per (PII data store, "purpose") — holding the area's
values as JSON validated by ``grc.controls.areas``. Each entry has an owner, an "as of" day, an
optional evidence file (with its SHA-256, checked when the pack attaches it) or link, and is
re-attested on its area's cadence (an obligation ``controls.<area>_review``).
"""

from __future__ import annotations

from django.conf import settings
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
