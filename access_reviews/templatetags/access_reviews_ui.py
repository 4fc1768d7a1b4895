"""Badges for account flags, the same on every access-review page."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from access_reviews.flags import Flag
from grc.templatetags.ui import status_badge

register = template.Library()

FLAG_COLOURS = {
    Flag.ORPHAN: "danger",
    Flag.SHARED: "danger",
    Flag.REVOKED_PRESENT: "danger",
    Flag.NO_MFA: "warning",
    Flag.NO_REQUEST: "warning",
    Flag.PRIVILEGED: "info",
}
DARK_TEXT = {"warning", "info"}


@register.simple_tag
def flag_badges(obj):
    """``{% flag_badges account %}`` → one pill per stored flag, or a quiet "no flags"."""
    flags = obj.flags
    if not flags:
        return format_html('<span class="{}">no flags</span>', "text-body-secondary small")
    return format_html_join(
        " ",
        '<span class="badge rounded-pill text-bg-{}{}" data-flag="{}">{}</span>',
        ((FLAG_COLOURS[f], " text-dark" if FLAG_COLOURS[f] in DARK_TEXT else "", f.value, f.label) for f in flags),
    )


DECISION_BADGES = {
    "pending": ("pending", "to decide"),
    "keep": ("kept", "keep"),
    "revoke": ("revoked", "revoke"),
    "change": ("due_soon", "change"),
}
MFA_BADGES = {"yes": ("met", "MFA on"), "no": ("not_met", "no MFA"), "unknown": ("unknown", "unknown")}


@register.simple_tag
def decision_badge(decision: str):
    status, label = DECISION_BADGES.get(decision, ("unknown", decision))
    return status_badge(status, label)


@register.simple_tag
def mfa_badge(mfa: str):
    status, label = MFA_BADGES.get(mfa, ("unknown", mfa))
    return status_badge(status, label)
