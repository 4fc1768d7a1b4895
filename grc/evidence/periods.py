"""Evidence periods as pure functions: quarters, years and any dates, as UTC half-open ranges.

A pack covers whole days from ``start`` to ``end`` inclusive; records count when their moment is
in ``[start 00:00 UTC, end + 1 day 00:00 UTC)``. Everything in a pack is shown in UTC so an
auditor in another country reads the same times as the security lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("a period cannot end before it starts")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start_at <= moment < self.end_at

    @property
    def label(self) -> str:
        quarter = quarter_of(self.start)
        if quarter == self:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    @property
    def running(self) -> str:
        """For running headers: the label, with the dates when the label is not already them."""
        label = self.label
        if label.startswith(f"{self.start:%d %b %Y}"):
            return label
        return f"{label} ({self.start:%d %b %Y} – {self.end:%d %b %Y})"

    @property
    def words(self) -> str:
        return f"{self.start:%d %B %Y} to {self.end:%d %B %Y} (UTC)"


def quarter_of(day: date) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return Period(start, next_start - timedelta(days=1))


def last_quarter(today: date) -> Period:
    """The last complete quarter before ``today``'s quarter."""
    return quarter_of(quarter_of(today).start - timedelta(days=1))


def year_of(day: date) -> Period:
    return Period(date(day.year, 1, 1), date(day.year, 12, 31))


def preset_periods(today: date) -> dict[str, Period]:
    """The choices the pack form offers besides any dates."""
    previous = last_quarter(today)
    return {
        "last_quarter": previous,
        "this_quarter": Period(quarter_of(today).start, today),
        "last_year": year_of(date(today.year - 1, 1, 1)),
        "last_12_months": Period(today - timedelta(days=364), today),
    }
