"""``{% preset_select job %}``: the mapping page's "Where does this file come from?" (issue 24).

A tag of its own so the mapping page (its view and template belong to the mapping) shows the
source select without its view passing the presets."""

from __future__ import annotations

from django import template

from access_reviews.imports.presets import PRESET_CHOICES, preset_for

register = template.Library()


@register.inclusion_tag("access_reviews/partials/preset_select.html")
def preset_select(job) -> dict:
    return {"job": job, "choices": PRESET_CHOICES, "preset": preset_for(job.preset)}
