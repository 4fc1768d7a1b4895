"""Small helpers the view modules share."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or on top when it names none)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
    for name in form.errors:  # mark the fields the service refused, as StyledForm does for its own errors
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            widget.attrs["aria-invalid"] = "true"
