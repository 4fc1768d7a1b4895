"""Small display helpers for the accounts pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> str:
    """``timedelta(minutes=30)`` → "30 minutes" (the lockout page's cool-off)."""
    if not value:
        return ""
    count = round(value.total_seconds() / 60)
    return f"{count} minute{'' if count == 1 else 's'}"
