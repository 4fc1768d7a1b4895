"""The adjustable cadences' records (issue 14), imported by ``grc.compliance.models``.

* ``CadenceOverride`` — a tighter period the security lead set for one obligation kind; the
  cadence table (``cadences.py``) keeps the policy's period, ``effective_cadence(kind)`` applies this.
* ``CadenceChange`` — the append-only history of those settings: old and new period, reason,
  who and when, and which open obligations were re-dated (printed in evidence packs).

The assessment kit's own records live in ``grc.kit.models``.

No PII is stored here: reasons explain a setting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class CadenceOverride(models.Model):
    """The period in force for an obligation kind when it is tighter than the cadence table."""

    kind = models.CharField(max_length=60, unique=True)
    months = models.PositiveIntegerField(default=0)
    days = models.PositiveIntegerField(default=0)
    hours = models.PositiveIntegerField(default=0)
    reason = models.TextField(max_length=500, help_text="Why the period is tighter, e.g. the DPP revision that asks for it. No names.")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(months__gt=0) | Q(days__gt=0) | Q(hours__gt=0), name="cadence_override_not_zero"),
        ]

    def __str__(self) -> str:
        return f"cadence override of {self.kind}"


class CadenceChangeAction(models.TextChoices):
    TIGHTENED = "tightened", "Tightened"
    RELAXED = "relaxed", "Relaxed (still within the policy)"
    RESET = "reset", "Reset to the policy period"


class CadenceChange(models.Model):
    """One change of an obligation kind's period. Periods are ``{"months", "days", "hours"}``."""

    kind = models.CharField(max_length=60, db_index=True)
    clause = models.CharField(max_length=10)
    action = models.CharField(max_length=10, choices=CadenceChangeAction.choices)
    old_period = models.JSONField()
    new_period = models.JSONField()
    policy_period = models.JSONField(help_text="the loosest period the policy allows, at the time of the change")
    reason = models.TextField(max_length=500)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(db_index=True)
    redated_count = models.PositiveIntegerField(default=0)
    redated = models.JSONField(default=list, blank=True, help_text="[obligation id, old due, new due] of the re-dated open obligations")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"cadence change {self.pk} of {self.kind}"
