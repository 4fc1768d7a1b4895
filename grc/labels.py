"""The stable name of a record type: what the audit trail and obligations call it.

It is ``app_label.modelname`` (``incidents.incident``), except for a model that moved to another app:
it keeps the name its older events and open obligations know it by (its ``record_label`` class
attribute), so a search of the trail and the obligation of a record still find it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models


def record_label(model: Any) -> str:
    """The label of a model class or instance (see the module docstring)."""
    return getattr(model, "record_label", None) or model._meta.label_lower


def model_for(label: str) -> type[models.Model]:
    """The model a record label names (the inverse of ``record_label``); LookupError if none."""
    for model in apps.get_models():
        if record_label(model) == label:
            return model
    raise LookupError(f"no model is labelled {label!r}")
