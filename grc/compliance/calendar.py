"""Calendar arithmetic (pure) and the iCalendar feed of obligations.

Months are shown Monday first in the viewer's time zone; a due time belongs to the local day
it falls on. The feed is built from plain obligations so it is tested without HTTP.
"""

from __future__ import annotations

import calendar as pycalendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from datetime import tzinfo as TzInfo
from typing import TYPE_CHECKING, cast

from icalendar import Alarm, Calendar, Event

if TYPE_CHECKING:
    from grc.compliance.models import Obligation

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# The months the calendar shows. Obligations are due within decades, not millennia, and the grid
# of a month reaches into its neighbours: December 9999 needed days of the year 10000 (a 500).
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str | None, today: date) -> Month:
        """``2027-02`` → Month(2027, 2); anything else (or nothing) → the month of ``today``."""
        return cls.parse_or_none(value) or cls(today.year, today.month)

    @classmethod
    def parse_or_none(cls, value: str | None) -> Month | None:
        """``2027-02`` → Month(2027, 2); a month outside FIRST_YEAR..LAST_YEAR, or not a month → None."""
        match = MONTH_PATTERN.match(value or "")
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR:
                return cls(year, month)
        return None

    @property
    def in_range(self) -> bool:
        """Whether the calendar can show this month (a link one past LAST_YEAR is not offered)."""
        return FIRST_YEAR <= self.year <= LAST_YEAR

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, pycalendar.monthrange(self.year, self.month)[1])

    def weeks(self) -> list[list[date]]:
        """Whole weeks (Monday to Sunday) covering the month, days of the neighbours included."""
        return pycalendar.Calendar(firstweekday=0).monthdatescalendar(self.year, self.month)

    def bounds(self, zone: TzInfo) -> tuple[datetime, datetime]:
        """The instants (aware) where the displayed grid starts and ends in ``zone``."""
        weeks = self.weeks()
        start = datetime.combine(weeks[0][0], time.min, tzinfo=zone)
        end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def key(self) -> str:
        """The URL form, ``2027-02`` (templates cannot call ``str``)."""
        return str(self)

    @property
    def label(self) -> str:
        return self.first_day.strftime("%B %Y")


def group_by_local_day(obligations: Iterable[Obligation], zone: TzInfo) -> dict[date, list[Obligation]]:
    """Obligations by the local day of their due time, each day in due order."""
    days: dict[date, list[Obligation]] = {}
    for obligation in sorted(obligations, key=lambda o: (o.due_at, o.pk or 0)):
        days.setdefault(obligation.due_at.astimezone(zone).date(), []).append(obligation)
    return days


def build_feed(obligations: Iterable[Obligation], *, name: str, now: datetime, host: str, absolute: Callable[[str], str]) -> bytes:
    """An iCalendar (RFC 5545) document: one event per obligation at its due time.

    Open obligations carry a one-day alarm; done ones are marked as such, and waived ones as
    waived (never "done": a waiver is not a completion). ``absolute(path)`` turns a page path
    into a link. No free text beyond the obligation's title goes out: a waiver's reason stays in
    the portal (the link leads to it), since calendar apps copy feeds to third-party servers.
    """
    cal = Calendar()
    cal.add("prodid", "-//DPP compliance portal//obligations//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")
    for obligation in obligations:
        event = Event()
        done = obligation.completed_at is not None
        waived = done and bool(obligation.waived_reason)
        event.add("uid", f"obligation-{obligation.pk}@{host}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", obligation.due_at.astimezone(UTC))
        event.add("dtend", obligation.due_at.astimezone(UTC) + timedelta(minutes=30))
        prefix = "Waived: " if waived else "Done: " if done else "Due: "
        event.add("summary", f"{prefix}{obligation.title} (DPP {obligation.clause})")
        link = absolute(obligation.action_url())
        event.add("url", link)
        closed = ""
        if waived and obligation.completed_at is not None:  # waived implies done: completed_at is set
            closed = f" Waived on {obligation.completed_at.astimezone(UTC):%d %b %Y %H:%M} UTC (no longer applies; not completed)."
        event.add(
            "description",
            f"DPP clause {obligation.clause}: {obligation.title}. Due {obligation.due_at.astimezone(UTC):%d %b %Y %H:%M} UTC.{closed}\n{link}",
        )
        event.add("categories", ["DPP", obligation.kind.split(".")[0]])
        event.add("transp", "TRANSPARENT")
        event.add("status", "CONFIRMED")
        if not done:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Due soon: {obligation.title}")
            alarm.add("trigger", timedelta(days=-1))
            event.add_component(alarm)
        cal.add_component(event)
    return cast(bytes, cal.to_ical())
