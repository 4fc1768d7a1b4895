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


def missing_parts(*, sections: Iterable[Mapping], lists: Iterable[Mapping], section_text: Mapping, list_items: Mapping) -> list[str]:
    """Titles of the required sections (and lists) that are empty in a version.

    ``sections``/``lists`` are the type's definitions; ``section_text``/``list_items`` the version's
    content. Whitespace alone counts as empty: a plan "section" of spaces defines nothing.
    """
    missing = [s["title"] for s in sections if s.get("required") and not str(section_text.get(s["key"], "") or "").strip()]
    missing += [
        entry["title"]
        for entry in lists
        if entry.get("required") and not [i for i in list_items.get(entry["key"], []) or [] if str(i).strip()]
    ]
    return missing


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
