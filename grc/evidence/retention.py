"""Books and records (DPP 3): kept "during the period of this agreement and for 12 months thereafter".

Two settings say how long: ``AGREEMENT_ENDED_ON`` (empty while the Amazon agreement is in force)
and ``BOOKS_RETENTION_MONTHS`` (12 at least). Pure functions of those values and ``now``:

* ``books_kept_until(ended_on, months)`` — the first day records may go (None: in force);
* ``purge_allowed(now, ...)`` — whether anything in scope may be purged at all now;
* ``books_purge_cutoff(before, now)`` — for a purge that wants to remove records older than
  ``before``: the cutoff it may use (None: nothing may go yet). A purge of books and records
  passes its cutoff through this function first.

The evidence app never deletes its own records (packs, grants, audits, findings, approvals,
letters): the models' files and rows have no delete path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from grc.timefmt import add_months


def agreement_ended_on() -> date | None:
    value = (getattr(settings, "AGREEMENT_ENDED_ON", "") or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"AGREEMENT_ENDED_ON must be a date (YYYY-MM-DD), not {value!r}") from None


def retention_months() -> int:
    return max(12, int(getattr(settings, "BOOKS_RETENTION_MONTHS", 12)))


def books_kept_until(ended_on: date | None, months: int) -> datetime | None:
    """The first moment books and records may be purged; None while the agreement is in force."""
    if ended_on is None:
        return None
    return add_months(datetime.combine(ended_on, time.min, tzinfo=UTC), months)


def purge_allowed(now: datetime, *, ended_on: date | None = None, months: int | None = None, from_settings: bool = True) -> bool:
    if from_settings:
        ended_on, months = agreement_ended_on(), retention_months()
    until = books_kept_until(ended_on, months or 12)
    return until is not None and now >= until


def books_purge_cutoff(before: datetime, now: datetime) -> datetime | None:
    """The cutoff a purge of books and records may use: ``before`` once the retention is over,
    None (purge nothing) while the agreement is in force or within the 12 months after it."""
    return before if purge_allowed(now) else None


def retention_words(now: datetime) -> str:
    ended_on, months = agreement_ended_on(), retention_months()
    if ended_on is None:
        return f"kept for the whole agreement (in force) and {months} months after it ends; nothing in scope is purged"
    until = books_kept_until(ended_on, months)
    if now < until:
        return f"the agreement ended on {ended_on:%d %b %Y}: kept until {until:%d %b %Y} ({months} months after)"
    return f"the agreement ended on {ended_on:%d %b %Y}; the {months}-month retention ended on {until:%d %b %Y}"
