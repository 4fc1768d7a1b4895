"""Small helpers shared by the risk views."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def step_up_time(request) -> datetime:
    """When the user last gave a one-time code (the step-up that signs what they do now)."""
    stamp = request.session.get(SESSION_KEY)
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else timezone.now()
