"""``{% canary_state obj as state %}``: is this record a canary? (one indexed query, lead only)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.db import models

from grc.audit.models import Canary
from grc.audit.services import describe

register = template.Library()


@dataclass(frozen=True)
class CanaryState:
    subject_type: str
    subject_id: str
    canary: Canary | None


@register.simple_tag
def canary_state(obj: models.Model) -> CanaryState:
    subject_type, subject_id = describe(obj)
    canary = Canary.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("marked_by").first()
    return CanaryState(subject_type, subject_id, canary)
