"""Small helpers shared by the risk views."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from grc.accounts.stepup import (
    step_up_time,  # noqa: F401  (the one copy)
)
from grc.forms import add_errors  # noqa: F401  (the one copy; the views import it from here)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)
