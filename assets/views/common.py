"""Small helpers the view modules share."""

from __future__ import annotations

from grc.accounts.stepup import (
    step_up_time,  # noqa: F401  (the one copy)
)
from grc.forms import add_errors  # noqa: F401  (the one copy; the views import it from here)
