"""Small helpers the evidence views share."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or on top when it names none)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def step_up_time(request) -> datetime:
    """When the fresh MFA code behind this signature was entered (the view is ``step_up_required``)."""
    stamp = request.session.get(SESSION_KEY)
    return datetime.fromtimestamp(stamp, UTC) if stamp else timezone.now()


def nav_context(request, current: str) -> dict:
    return {"evidence_tab": current}
