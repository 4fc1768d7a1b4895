"""Books and records (DPP 3): kept "during the period of this agreement and for 12 months thereafter".

The rule itself is in ``grc.books`` (below both this app and the audit trail, whose daily purge
obeys it); this module keeps the evidence app's names for it:

* ``books_kept_until(ended_on, months)`` — the first day records may go (None: in force);
* ``purge_allowed(now, ...)`` — whether anything in scope may be purged at all now;
* ``books_purge_cutoff(before, now)`` — for a purge that wants to remove records older than
  ``before``: the cutoff it may use (None: nothing may go yet). A purge of books and records
  passes its cutoff through this function first (the audit purge uses ``grc.books`` directly).

The evidence app never deletes its own records (packs, grants, audits, findings, approvals,
letters): the models' files and rows have no delete path.
"""

from __future__ import annotations

from datetime import date, datetime

from grc.books import agreement_ended_on, books_cutoff, books_kept_until, retention_months

__all__ = ["agreement_ended_on", "books_kept_until", "books_purge_cutoff", "purge_allowed", "retention_months", "retention_words"]


def purge_allowed(now: datetime, *, ended_on: date | None = None, months: int | None = None, from_settings: bool = True) -> bool:
    if from_settings:
        ended_on, months = agreement_ended_on(), retention_months()
    return books_cutoff(now, ended_on=ended_on, months=months or 12) is not None


def books_purge_cutoff(before: datetime, now: datetime) -> datetime | None:
    """The cutoff a purge of books and records may use: ``before`` once the retention is over,
    None (purge nothing) while the agreement is in force or within the 12 months after it."""
    cutoff = books_cutoff(now, ended_on=agreement_ended_on(), months=retention_months())
    return None if cutoff is None else min(before, cutoff)


def retention_words(now: datetime) -> str:
    ended_on, months = agreement_ended_on(), retention_months()
    if ended_on is None:
        return f"kept for the whole agreement (in force) and {months} months after it ends; nothing in scope is purged"
    until = books_kept_until(ended_on, months)
    assert until is not None  # the agreement has ended: its retention has an end
    if now < until:
        return f"the agreement ended on {ended_on:%d %b %Y}: kept until {until:%d %b %Y} ({months} months after)"
    return f"the agreement ended on {ended_on:%d %b %Y}; the {months}-month retention ended on {until:%d %b %Y}"
