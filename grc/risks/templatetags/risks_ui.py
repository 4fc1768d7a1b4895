"""Risk register UI pieces: score badges in band colours, level words, flags and the heat map."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from grc.risks.heatmap import heatmap_svg
from grc.risks.rules import IMPACT, LIKELIHOOD, Flag, band, score_label
from grc.templatetags.ui import status_badge

register = template.Library()

FLAG_COLOURS = {
    Flag.NO_PLAN: "danger",
    Flag.ABOVE_APPETITE: "warning",
    Flag.ACCEPTANCE_EXPIRED: "danger",
    Flag.ACCEPTANCE_PENDING: "info",
    Flag.ACTIONS_OVERDUE: "danger",
}


@register.simple_tag
def score_badge(score):
    """``{% score_badge risk.residual_score %}`` → a pill "12 · high" in the band's colour."""
    if score in (None, ""):
        return ""
    return status_badge(band(int(score)), score_label(int(score)))


@register.filter
def likelihood_words(value) -> str:
    level = LIKELIHOOD.get(value)
    return str(level) if level else "—"


@register.filter
def impact_words(value) -> str:
    level = IMPACT.get(value)
    return str(level) if level else "—"


@register.filter
def likelihood_help(value) -> str:
    level = LIKELIHOOD.get(value)
    return level.description if level else ""


@register.filter
def impact_help(value) -> str:
    level = IMPACT.get(value)
    return level.description if level else ""


@register.simple_tag
def flag_badges(flags):
    """Flags of a register entry as small badges, worst first."""
    return format_html_join(
        " ",
        '<span class="badge rounded-pill text-bg-{}{}" data-flag="{}">{}</span>',
        (
            (
                FLAG_COLOURS.get(flag, "secondary"),
                " text-dark" if FLAG_COLOURS.get(flag) in {"warning", "info"} else "",
                flag.value,
                flag.label,
            )
            for flag in flags
        ),
    )


@register.simple_tag
def heatmap(counts, title, link_pattern=None, appetite=None, selected=None):
    """The server-side SVG heat map (``grc.risks.heatmap``), inline in the page."""
    # every text and attribute of the SVG is escaped by heatmap_svg
    svg = heatmap_svg(counts, title=title, link_pattern=link_pattern, appetite=appetite, selected=selected)
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703


@register.simple_tag
def level_pair(likelihood, impact):
    return format_html(
        '<span class="text-nowrap">L {} × I {}</span>',
        likelihood,
        impact,
    )
