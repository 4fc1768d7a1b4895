"""Pure functions that say how long is left: "due in 3 h 12 min", "overdue by 2 days".

Every deadline in the portal is shown through ``time_left`` so the wording is the same on
pages, in emails and in PDFs. ``now`` is always an argument.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta


def span(delta: timedelta) -> str:
    """A short, human span: 45 s, 12 min, 3 h 12 min, 2 days 4 h, 5 days, 14 weeks."""
    seconds = int(abs(delta).total_seconds())
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        rest = minutes - hours * 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    if days < 3:
        rest = hours - days * 24
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {rest} h" if rest else f"{days} {unit}"
    if days < 100:
        return f"{days} days"
    return f"{days // 7} weeks"


def time_left(due: datetime, now: datetime) -> str:
    if due >= now:
        return f"due in {span(due - now)}"
    return f"overdue by {span(now - due)}"


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months: 30 Nov + 3 months = 28 Feb (29 Feb in a leap year), time kept."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
