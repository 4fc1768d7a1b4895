"""Shared UI pieces: status badges, live countdowns, sortable headers and query-preserving links.

Every list page uses these so badges, countdowns and tables look and behave the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

from grc.timefmt import time_left

if TYPE_CHECKING:
    from datetime import datetime

    from django.template import Context
    from django.utils.safestring import SafeString

register = template.Library()

# One colour per status word across the whole portal (obligations, incidents, findings ...).
BADGE_COLOURS = {
    "met": "success",
    "ok": "success",
    "closed": "secondary",
    "done": "success",
    "approved": "success",
    "active": "success",
    "confirmed": "success",
    "signed": "success",
    "kept": "success",
    "pass": "success",
    "met_late": "late",  # orange (portal.css): apart from "due soon" (amber) and "met"/"kept" (green)
    "waived": "dark",  # closed because it no longer applies: neither met (green) nor met late (amber)
    "due_soon": "warning",
    "at_risk": "warning",
    "investigating": "warning",
    "pending": "warning",
    "in_progress": "info",
    "open": "primary",
    "draft": "secondary",
    "overdue": "danger",
    "not_met": "danger",
    "breached": "danger",
    "failed": "danger",
    "fail": "danger",
    "revoked": "danger",
    "critical": "danger",
    "high": "danger",
    "medium": "warning",
    "low": "info",
    "not_tracked": "light",
    "unknown": "light",
    "expired": "secondary",
    "terminated": "secondary",
}


@register.simple_tag
def status_badge(status: object, label: str | None = None) -> SafeString:
    """``{% status_badge obligation.status %}`` → a coloured pill with a readable label."""
    key = str(getattr(status, "value", status) or "unknown")
    colour = BADGE_COLOURS.get(key, "secondary")
    text = label or key.replace("_", " ")
    text_class = " text-dark" if colour in {"warning", "light", "info"} else ""
    return format_html('<span class="badge rounded-pill text-bg-{}{}" data-status="{}">{}</span>', colour, text_class, key, text)


@register.simple_tag
def countdown(due_at: datetime | None, done_at: datetime | None = None, now: datetime | None = None, waived: str = "") -> str:
    """A "due in / overdue by" label that the page keeps live (static/js/portal.js).

    Once the thing is done the label freezes and says whether it was on time; one closed with a
    waiver reason (``waived=o.waived_reason``) says "waived", never "met".
    """
    if due_at is None:
        return ""
    now = now or timezone.now()
    if done_at is not None and waived:
        return format_html('<span class="countdown countdown-done text-body-secondary" title="{}">waived</span>', waived)
    if done_at is not None:
        late = done_at > due_at
        text = f"met {'late by ' + time_left(due_at, done_at).removeprefix('overdue by ') if late else 'on time'}"
        return format_html('<span class="countdown countdown-done {}">{}</span>', "text-late" if late else "text-success", text)
    state = "countdown-overdue text-danger fw-semibold" if due_at < now else "countdown-open"
    return format_html(
        '<span class="countdown {}" data-due="{}" title="{}">{}</span>',
        state,
        due_at.isoformat(),
        timezone.localtime(due_at).strftime("%d %b %Y %H:%M %Z"),
        time_left(due_at, now),
    )


@register.simple_tag(takes_context=True)
def query_with(context: Context, **changes: Any) -> str:
    """The current query string with some parameters changed (``None`` removes one).

    Used by sort headers, filters and pagination so each keeps the others.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("partials/sort_header.html", takes_context=True)
def sort_header(context: Context, label: str, field: str) -> dict[str, Any]:
    """A column header that sorts by ``field`` and toggles ascending/descending."""
    current = context["request"].GET.get("sort", "")
    active = current.lstrip("-") == field
    descending = active and current.startswith("-")
    params = context["request"].GET.copy()
    params["sort"] = field if descending or not active else f"-{field}"
    params.pop("page", None)
    return {"label": label, "url": f"?{params.urlencode()}", "active": active, "descending": descending}


@register.filter
def local(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC datetime shown in the user's zone: ``{{ incident.detected_at|local }}``."""
    if not value:
        return "—"
    return timezone.localtime(value).strftime(fmt)
