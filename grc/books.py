"""Books and records (DPP 3): kept "during the period of this agreement and for 12 months thereafter".

The rule lives here, below both the audit trail (``grc.audit``, whose purge must obey it) and the
evidence app (``grc.evidence``, which reports it), so the lower audit layer never imports the
evidence app. Three settings:
``AGREEMENT_ENDED_ON`` (empty while the Amazon agreement is in force), ``BOOKS_RETENTION_MONTHS``
(12 at least) and ``AUDIT_RETENTION_DAYS`` (DPP 2.6, 90 at least). Pure functions of their values
and ``now``:

* ``books_kept_until(ended_on, months)`` — the first moment books and records may go (None: in force);
* ``books_cutoff(now, ended_on=, months=)`` — records before the returned moment may go as far as
  DPP 3 is concerned: None (nothing may go) until ``books_kept_until``, then ``now``;
* ``audit_purge_cutoff(now, audit_days=, ended_on=, months=)`` — what the daily audit purge uses:
  only events older than both cutoffs go, so the purge never deletes inside the books window;
* ``keep_policy(now, ...)`` — the same rule in words (``KeepPolicy``), with whether the settings
  disagree; ``audit_keep_policy(now)`` reads the settings. The portal's sentences about how long
  the audit trail is kept (the DPP 3 check, the readiness checklist, the questionnaire) come from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from grc.timefmt import add_months

AUDIT_MINIMUM_DAYS = 90  # DPP 2.6: logs kept at least 90 days
BOOKS_MINIMUM_MONTHS = 12  # DPP 3: 12 months after the agreement


# --- the settings --------------------------------------------------------------------------------------
def agreement_ended_on() -> date | None:
    value = (getattr(settings, "AGREEMENT_ENDED_ON", "") or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"AGREEMENT_ENDED_ON must be a date (YYYY-MM-DD), not {value!r}") from None


def retention_months() -> int:
    return max(BOOKS_MINIMUM_MONTHS, int(getattr(settings, "BOOKS_RETENTION_MONTHS", BOOKS_MINIMUM_MONTHS)))


def audit_retention_days() -> int:
    """``AUDIT_RETENTION_DAYS`` as the purge applies it: never less than 90."""
    return max(AUDIT_MINIMUM_DAYS, int(getattr(settings, "AUDIT_RETENTION_DAYS", 0) or 0))


# --- the rule --------------------------------------------------------------------------------------------
def books_kept_until(ended_on: date | None, months: int) -> datetime | None:
    """The first moment books and records may be purged; None while the agreement is in force."""
    if ended_on is None:
        return None
    return add_months(datetime.combine(ended_on, time.min, tzinfo=UTC), months)


def books_cutoff(now: datetime, *, ended_on: date | None, months: int) -> datetime | None:
    """Records from before this moment may go as far as DPP 3 is concerned: None (nothing may go)
    while the agreement is in force and for ``months`` after it ended; ``now`` once that is over."""
    until = books_kept_until(ended_on, months)
    return now if until is not None and now >= until else None


def audit_cutoff(now: datetime, *, audit_days: int) -> datetime:
    """DPP 2.6 alone: events before this moment may go (never less than 90 days ago)."""
    return now - timedelta(days=max(int(audit_days), AUDIT_MINIMUM_DAYS))


def audit_purge_cutoff(now: datetime, *, audit_days: int, ended_on: date | None, months: int) -> datetime | None:
    """What the audit purge may delete: events older than both cutoffs; None: nothing."""
    books = books_cutoff(now, ended_on=ended_on, months=months)
    return None if books is None else min(books, audit_cutoff(now, audit_days=audit_days))


def months_in_days(months: int) -> int:
    """The fewest whole days that cover ``months`` nominal months (12 months = 365 days)."""
    return -(-months * 365 // 12)


def _day(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%b %Y}"


# --- the rule in words -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeepPolicy:
    """What the audit purge keeps at ``now``, and how to say it. Sentences start in lower case."""

    now: datetime
    audit_days: int  # AUDIT_RETENTION_DAYS as applied (at least 90)
    ended_on: date | None  # None: the Amazon agreement is in force
    months: int  # BOOKS_RETENTION_MONTHS

    @property
    def books_until(self) -> datetime | None:
        return books_kept_until(self.ended_on, self.months)

    @property
    def cutoff(self) -> datetime | None:
        """Events before this moment are purged; None: every event is kept."""
        return audit_purge_cutoff(self.now, audit_days=self.audit_days, ended_on=self.ended_on, months=self.months)

    @property
    def _ended_until(self) -> datetime:
        """``books_until`` where the agreement has ended (the callers check ``ended_on`` first)."""
        until = self.books_until
        assert until is not None  # ended_on is set
        return until

    @property
    def _purge_from(self) -> datetime:
        """``cutoff`` where the books window is over (the callers check ``books_running`` first)."""
        cutoff = self.cutoff
        assert cutoff is not None  # not books_running
        return cutoff

    @property
    def books_running(self) -> bool:
        """Books and records still hold the trail: the agreement is in force or ended less than ``months`` ago."""
        return self.cutoff is None

    @property
    def disagrees(self) -> bool:
        """``AUDIT_RETENTION_DAYS`` is shorter than the months books and records are kept after the
        agreement, while those still hold the trail: on its own it would purge events DPP 3 keeps
        (the purge keeps them)."""
        return self.books_running and self.audit_days < months_in_days(self.months)

    @property
    def keeps(self) -> str:
        """In a few words: "every event while the agreement is in force", "events from 1 Mar 2027"."""
        if self.ended_on is None:
            return "every event while the agreement is in force"
        if self.books_running:
            return f"every event until {_day(self._ended_until)}"
        return f"events from {_day(self._purge_from)}"

    def audit_words(self) -> str:
        """How long the audit trail is kept, as the purge applies it."""
        after = f"only then are events older than {self.audit_days} days purged"
        if self.ended_on is None:
            return f"every audit event is kept while the Amazon agreement is in force and for {self.months} months after it ends; {after}"
        if self.books_running:
            return (
                f"every audit event is kept until {_day(self._ended_until)}, {self.months} months after the Amazon agreement "
                f"ended on {_day(self.ended_on)}; {after}"
            )
        return (
            f"audit events from {_day(self._purge_from)} on are kept ({self.audit_days} days); the {self.months} months of books and "
            f"records after the Amazon agreement (ended {_day(self.ended_on)}) ran to {_day(self._ended_until)}"
        )

    def audit_sentence(self) -> str:
        """``audit_words`` as a sentence of its own."""
        words = self.audit_words()
        return words[:1].upper() + words[1:] + "."

    def books_words(self) -> str:
        """How long books and records are kept, to follow "kept in this portal"."""
        if self.ended_on is None:
            return f"for the Amazon agreement (in force) and {self.months} months after it ends"
        if self.books_running:
            return f"until {_day(self._ended_until)}, {self.months} months after the Amazon agreement ended on {_day(self.ended_on)}"
        return (
            f"(the {self.months} months after the Amazon agreement, which ended on {_day(self.ended_on)}, ran to {_day(self._ended_until)})"
        )

    def disagreement(self) -> str:
        """Empty when the settings agree; otherwise what the purge does about it and the fix."""
        if not self.disagrees:
            return ""
        until = _day(self.books_until) if self.books_until else f"{self.months} months after the agreement ends"
        return (
            f"AUDIT_RETENTION_DAYS ({self.audit_days} days) is shorter than the {self.months} months books and records are kept "
            f"after the agreement (BOOKS_RETENTION_MONTHS): the purge keeps every audit event until {until} regardless; "
            f"set AUDIT_RETENTION_DAYS to at least {months_in_days(self.months)} for the settings to agree"
        )


def keep_policy(now: datetime, *, audit_days: int, ended_on: date | None, months: int) -> KeepPolicy:
    return KeepPolicy(now=now, audit_days=max(int(audit_days), AUDIT_MINIMUM_DAYS), ended_on=ended_on, months=months)


def audit_keep_policy(now: datetime) -> KeepPolicy:
    """What the audit purge keeps at ``now`` under the current settings."""
    return keep_policy(now, audit_days=audit_retention_days(), ended_on=agreement_ended_on(), months=retention_months())
