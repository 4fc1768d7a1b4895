"""Month arithmetic of the calendar page and the iCalendar document (pure, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from grc.compliance.calendar import Month, build_feed, group_by_local_day
from grc.compliance.models import Obligation

LONDON = ZoneInfo("Europe/London")
TODAY = date(2027, 3, 10)


def test_a_month_is_parsed_from_the_url_or_defaults_to_today():
    assert Month.parse("2028-02", TODAY) == Month(2028, 2)
    for bad in (None, "", "2028-13", "2028-2", "02-2028", "abcd-ef", "0000-01"):
        assert Month.parse(bad, TODAY) == Month(2027, 3)


def test_months_shift_across_years():
    assert Month(2027, 12).shifted(1) == Month(2028, 1)
    assert Month(2027, 1).shifted(-1) == Month(2026, 12)
    assert Month(2027, 3).shifted(-15) == Month(2025, 12)
    assert str(Month(2027, 3)) == Month(2027, 3).key == "2027-03"


def test_february_of_a_leap_year_has_29_days_and_whole_weeks():
    month = Month(2028, 2)
    assert month.last_day == date(2028, 2, 29)
    weeks = month.weeks()
    assert weeks[0][0] == date(2028, 1, 31)  # a Monday: the grid starts on Monday
    assert weeks[-1][-1] == date(2028, 3, 5)
    assert all(len(week) == 7 for week in weeks)
    assert Month(2027, 2).last_day == date(2027, 2, 28)


def test_the_grid_bounds_are_local_midnights():
    start, end = Month(2027, 3).bounds(LONDON)
    assert start == datetime(2027, 3, 1, 0, 0, tzinfo=LONDON)  # 1 March 2027 is a Monday
    assert end == datetime(2027, 4, 5, 0, 0, tzinfo=LONDON)
    assert end.astimezone(UTC) == datetime(2027, 4, 4, 23, 0, tzinfo=UTC)  # summer time has begun


def test_a_due_time_belongs_to_its_local_day():
    late_evening_utc = Obligation(pk=1, due_at=datetime(2027, 6, 30, 23, 30, tzinfo=UTC))
    morning = Obligation(pk=2, due_at=datetime(2027, 6, 30, 8, 0, tzinfo=UTC))
    days = group_by_local_day([late_evening_utc, morning], LONDON)
    assert days[date(2027, 7, 1)] == [late_evening_utc]  # 00:30 in London
    assert days[date(2027, 6, 30)] == [morning]


def test_the_feed_is_valid_icalendar_with_one_event_per_obligation():
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    open_one = Obligation(
        pk=7,
        kind="incidents.amazon_notification",
        clause="1.6",
        title="Notify Amazon of a security incident",
        due_at=now + timedelta(hours=5),
        url="/incidents/3/",
    )
    done_one = Obligation(
        pk=8,
        kind="access_reviews.quarterly_review",
        clause="1.2",
        title="Quarterly access review",
        due_at=now - timedelta(days=3),
        completed_at=now - timedelta(days=4),
    )
    body = build_feed(
        [open_one, done_one],
        name="DPP deadlines",
        now=now,
        host="portal.example.com",
        absolute=lambda path: "https://portal.example.com" + path,
    )
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert calendar["X-WR-CALNAME"] == "DPP deadlines"
    assert [str(event["UID"]) for event in events] == ["obligation-7@portal.example.com", "obligation-8@portal.example.com"]
    assert events[0].decoded("DTSTART") == now + timedelta(hours=5)
    assert str(events[0]["SUMMARY"]) == "Due: Notify Amazon of a security incident (DPP 1.6)"
    assert str(events[0]["URL"]) == "https://portal.example.com/incidents/3/"
    assert len(list(events[0].walk("VALARM"))) == 1
    assert str(events[1]["SUMMARY"]).startswith("Done: ")
    assert str(events[1]["URL"]) == "https://portal.example.com/compliance/requirements/1.2/"  # no page given: the clause's page
    assert not list(events[1].walk("VALARM"))
