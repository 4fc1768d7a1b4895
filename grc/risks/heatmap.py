"""The 5×5 risk heat map, drawn as SVG on the server so the register page and the PDF evidence
pack show the same picture (no JavaScript, no external fonts; only SVG presentation attributes,
so the page's Content-Security-Policy allows it inline).

    counts = heatmap_counts((risk.residual_likelihood, risk.residual_impact) for risk in risks)
    svg = heatmap_svg(counts, title="Residual risk", link_pattern="/risks/?residual={likelihood}-{impact}")

``counts`` is a 5×5 grid of ints indexed ``counts[likelihood - 1][impact - 1]``. Likelihood runs
up the vertical axis (5 at the top), impact along the horizontal axis (5 on the right).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from grc.risks.rules import IMPACT, LEVELS, LIKELIHOOD, Band, band
from grc.words import plural

Grid = tuple[tuple[int, ...], ...]

CELL = 56
LEFT = 132  # room for the likelihood words
TOP = 34  # room for the title
BOTTOM = 58  # room for the impact words and the axis name
FILL = {Band.LOW: "#d1e7dd", Band.MEDIUM: "#fff3cd", Band.HIGH: "#ffd8a8", Band.CRITICAL: "#f5c2c7"}
INK = {Band.LOW: "#0f5132", Band.MEDIUM: "#664d03", Band.HIGH: "#7a3600", Band.CRITICAL: "#842029"}
EMPTY_INK = "#495057"  # the 0 of an empty cell: >= 5.2:1 on every band's fill (WCAG 1.4.3)
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def empty_grid() -> Grid:
    return tuple(tuple(0 for _ in LEVELS) for _ in LEVELS)


def heatmap_counts(pairs: Iterable[tuple[int, int]]) -> Grid:
    """Count (likelihood, impact) pairs into the 5×5 grid. A pair outside 1-5 is an error."""
    grid = [[0] * len(LEVELS) for _ in LEVELS]
    for likelihood, impact in pairs:
        if likelihood not in LEVELS or impact not in LEVELS:
            raise ValueError(f"likelihood and impact are 1-5, not ({likelihood!r}, {impact!r})")
        grid[likelihood - 1][impact - 1] += 1
    return tuple(tuple(row) for row in grid)


def grid_from_totals(rows: Iterable[tuple[int, int, int]]) -> Grid:
    """The grid from aggregated rows ``(likelihood, impact, count)`` (a GROUP BY query)."""
    grid = [[0] * len(LEVELS) for _ in LEVELS]
    for likelihood, impact, count in rows:
        if likelihood not in LEVELS or impact not in LEVELS:
            raise ValueError(f"likelihood and impact are 1-5, not ({likelihood!r}, {impact!r})")
        grid[likelihood - 1][impact - 1] += count
    return tuple(tuple(row) for row in grid)


def grid_total(counts: Grid) -> int:
    return sum(sum(row) for row in counts)


def heatmap_svg(
    counts: Grid,
    *,
    title: str,
    link_pattern: str | None = None,
    appetite: int | None = None,
    selected: tuple[int, int] | None = None,
) -> str:
    """An ``<svg>`` element of the heat map with the count in each cell.

    ``link_pattern`` (e.g. ``"/risks/?residual={likelihood}-{impact}"``) makes every cell that
    holds a risk a link; ``appetite`` outlines the cells whose score is above it; ``selected``
    (likelihood, impact) marks the cell the page is filtered on.
    """
    if len(counts) != len(LEVELS) or any(len(row) != len(LEVELS) for row in counts):
        raise ValueError("counts must be a 5×5 grid indexed [likelihood - 1][impact - 1]")
    size = CELL * len(LEVELS)
    width, height = LEFT + size + 8, TOP + size + BOTTOM
    total = grid_total(counts)
    label = f"{title}: {plural(total, 'risk')} by likelihood and impact"
    # A picture with links inside is not an image to assistive technology (axe: nested-interactive):
    # with links it is a labelled group whose links each name their cell; without, one image.
    role = "group" if link_pattern else "img"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="risk-heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="{role}" aria-label="{escape(label)}" font-family="{FONT}">',
        f"<title>{escape(label)}</title>",
        f'<text x="{LEFT + size / 2:g}" y="20" text-anchor="middle" font-size="14" font-weight="bold" fill="#1d2125">{escape(title)}</text>',
    ]
    for likelihood in LEVELS:
        y = TOP + (len(LEVELS) - likelihood) * CELL
        level = LIKELIHOOD[likelihood]
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + CELL / 2 - 3:g}" text-anchor="end" font-size="11" fill="#1d2125">{likelihood} {escape(level.label)}</text>'
        )
        for impact in LEVELS:
            x = LEFT + (impact - 1) * CELL
            value = likelihood * impact
            name = band(value)
            count = counts[likelihood - 1][impact - 1]
            over = appetite is not None and value > appetite
            is_selected = selected == (likelihood, impact)
            stroke, stroke_width = ("#1d2125", 3) if is_selected else (("#842029", 1.5) if over else ("#ffffff", 2))
            cell_label = (
                f"Likelihood {likelihood} ({LIKELIHOOD[likelihood].label}), impact {impact} ({IMPACT[impact].label}), "
                f"score {value} ({name}): {plural(count, 'risk')}"
            )
            cell = [
                f'<g class="heatmap-cell" data-likelihood="{likelihood}" data-impact="{impact}" data-count="{count}">',
                f"<title>{escape(cell_label)}</title>",
                f'<rect x="{x + 1}" y="{y + 1}" width="{CELL - 2}" height="{CELL - 2}" rx="4" fill="{FILL[name]}"'
                f' stroke="{stroke}" stroke-width="{stroke_width}"/>',
                f'<text x="{x + CELL / 2:g}" y="{y + CELL / 2 + 7:g}" text-anchor="middle" font-size="{20 if count else 14}"'
                f' font-weight="{"bold" if count else "normal"}" fill="{INK[name] if count else EMPTY_INK}">{count}</text>',
                "</g>",
            ]
            if link_pattern and count:
                href = escape(link_pattern.format(likelihood=likelihood, impact=impact))
                cell = [f'<a href="{href}" aria-label="{escape(cell_label)}">', *cell, "</a>"]
            parts.extend(cell)
    axis_y = TOP + size
    for impact in LEVELS:
        centre = LEFT + (impact - 1) * CELL + CELL / 2
        parts.append(f'<text x="{centre:g}" y="{axis_y + 16}" text-anchor="middle" font-size="11" fill="#1d2125">{impact}</text>')
        parts.append(
            f'<text x="{centre:g}" y="{axis_y + 29}" text-anchor="middle" font-size="9" fill="#57606a">{escape(IMPACT[impact].label)}</text>'
        )
    parts.append(
        f'<text x="{LEFT + size / 2:g}" y="{axis_y + 48}" text-anchor="middle" font-size="11" font-weight="bold" fill="#57606a">Impact →</text>'
    )
    parts.append(
        f'<text x="14" y="{TOP + size / 2:g}" text-anchor="middle" font-size="11" font-weight="bold" fill="#57606a"'
        f' transform="rotate(-90 14 {TOP + size / 2:g})">Likelihood →</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
