"""Pure rules of governed documents: completeness of a version and the review clock.

No database here, so the rules are tested on plain values (and ``now`` is always an argument).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from grc.timefmt import add_months


def parse_list(text: str) -> list[str]:
    """One item per line, stripped, blank lines and repeats dropped (order kept)."""
    items: list[str] = []
    for line in (text or "").splitlines():
        item = line.strip().lstrip("-•*").strip()
        if item and item not in items:
            items.append(item)
    return items


def missing_parts(
    *,
    sections: Iterable[Mapping],
    lists: Iterable[Mapping],
    section_text: Mapping,
    list_items: Mapping,
    fields: Iterable[Mapping] = (),
    field_values: Mapping | None = None,
) -> list[str]:
    """Titles of the required sections (lists, numeric fields) that are empty in a version.

    ``sections``/``lists``/``fields`` are the type's definitions; ``section_text``/``list_items``/
    ``field_values`` the version's content. Whitespace alone counts as empty: a plan "section" of
    spaces defines nothing; a numeric field is empty when it holds no number (0 is a number).
    """
    missing = [s["title"] for s in sections if s.get("required") and not str(section_text.get(s["key"], "") or "").strip()]
    missing += [
        entry["title"]
        for entry in lists
        if entry.get("required") and not [i for i in list_items.get(entry["key"], []) or [] if str(i).strip()]
    ]
    values = field_values or {}
    missing += [entry["title"] for entry in fields if entry.get("required") and parse_number(values.get(entry["key"])) is None]
    return missing


def parse_number(value) -> float | None:
    """A version's numeric value (RTO/RPO …): a finite, non-negative number, or None."""
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")) or number < 0:
        return None
    return number


def format_number(value) -> str:
    """4.0 → "4", 1.5 → "1.5"; empty for no number."""
    number = parse_number(value)
    if number is None:
        return ""
    return str(int(number)) if number == int(number) else f"{number:g}"


def acknowledgement_counts(states: Iterable[tuple[datetime | None, datetime | None, datetime]], now: datetime) -> dict[str, int]:
    """Counts of (acknowledged_at, waived_at, due_at) rows: asked, done, outstanding, overdue.

    Waived rows (superseded version, person left) are not counted at all.
    """
    counts = {"asked": 0, "done": 0, "outstanding": 0, "overdue": 0}
    for acknowledged_at, waived_at, due_at in states:
        if waived_at is not None:
            continue
        counts["asked"] += 1
        if acknowledged_at is not None:
            counts["done"] += 1
        else:
            counts["outstanding"] += 1
            counts["overdue"] += int(now >= due_at)
    return counts


def next_review_due(anchor: datetime, months: int) -> datetime:
    """The periodic review is due ``months`` calendar months after the last review (or approval)."""
    return add_months(anchor, months)


def major_change_review_due(changed_at: datetime, days: int) -> datetime:
    """A major change must be followed by a review within ``days`` days of the change."""
    return changed_at + timedelta(days=days)


def review_state(*, due_at: datetime | None, warning: timedelta, now: datetime) -> str:
    """``none`` (no clock), ``overdue``, ``due_soon`` (inside the warning window) or ``ok``."""
    if due_at is None:
        return "none"
    if now >= due_at:
        return "overdue"
    if now >= due_at - warning:
        return "due_soon"
    return "ok"
