"""Template filters of the assessment kit: periods in words, answer length classes."""

from __future__ import annotations

from django import template

from grc.compliance.cadence_overrides import describe, period_from_json

register = template.Library()


@register.filter
def period_words(period) -> str:
    """A ``Period`` as words: "180 days", "12 months (1 year)"."""
    return describe(period)


@register.filter
def kit_period(data) -> str:
    """A stored period (``{"months", "days", "hours"}``) as words."""
    return describe(period_from_json(data))
