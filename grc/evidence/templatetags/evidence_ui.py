"""Template helpers of the evidence pages and PDFs."""

from __future__ import annotations

from django import template

register = template.Library()

STATE_WORDS = {"met": "met", "at_risk": "at risk", "not_met": "not met", "not_tracked": "not yet recorded"}


@register.filter
def state_words(value) -> str:
    """``not_met`` → "not met" for requirement and finding states."""
    key = str(getattr(value, "value", value) or "")
    return STATE_WORDS.get(key, key.replace("_", " "))


@register.filter
def filesize(value) -> str:
    try:
        size: float = int(value)
    except (TypeError, ValueError):
        return "—"
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
