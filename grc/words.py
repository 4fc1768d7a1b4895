"""Counts and lists in English, for every sentence the portal writes ("1 incident was notified",
"AWS production, Order DB and 2 more"). Shared core: any layer may use it."""

from __future__ import annotations

from collections.abc import Iterable


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb that agrees with ``count``: verb(1, "holds", "hold") → "holds"."""
    return singular if count == 1 else plural_form


def all_of(count: int) -> str:
    """ "All" before a count of several, "The" before a single one: "All 3 stores are" / "The 1 store is"."""
    return "The" if count == 1 else "All"


def listed(tags: Iterable[str], total: int | None = None, limit: int | None = 5) -> str:
    """``A, B and C`` — at most ``limit`` ids (None: all), then "and N more"."""
    tags = list(tags)
    total = len(tags) if total is None else total
    shown = tags if limit is None else tags[:limit]
    rest = total - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"
