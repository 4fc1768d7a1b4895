"""The obligation engine's pages in Chromium: dashboard, catalogue, calendar and the feed link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grc.compliance.services import obligation_open
from tests.compliance.conftest import make_obligation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(lead, manager, staff):
    """A small programme: an incident clock running, an overdue attestation, reviews due soon, done work."""
    now = timezone.now()
    make_obligation(
        "incidents.amazon_notification",
        anchor_at=now - timedelta(hours=17),
        due_at=now + timedelta(hours=7),
        title="Notify Amazon: suspicious export from the orders DB",
        owner=lead,
    )
    make_obligation("assets.inventory_attestation", due_at=now - timedelta(days=3), anchor_at=now - timedelta(days=95), owner=lead)
    make_obligation(
        "access_reviews.quarterly_review",
        due_at=now + timedelta(days=6),
        anchor_at=now - timedelta(days=84),
        owner=manager,
        title="Sign off the Q1 access review (Finance)",
    )
    make_obligation("audit.log_review", due_at=now + timedelta(days=9), anchor_at=now - timedelta(days=5), owner=lead)
    make_obligation(
        "access_reviews.training_annual",
        due_at=now + timedelta(days=2),
        anchor_at=now - timedelta(days=363),
        owner=staff,
        title="Yearly security training",
    )
    make_obligation(
        "assets.deletion_30d",
        due_at=now - timedelta(days=2),
        completed_at=now - timedelta(days=5),
        anchor_at=now - timedelta(days=32),
        owner=lead,
    )
    obligation_open(kind="risks.annual_review", subject=None, anchor_at=now - timedelta(days=100), owner=lead)
    return now


def test_the_lead_sees_posture_deadlines_and_the_incident_clock(visitor, lead, programme):
    page = visitor.login(lead)
    assert page.url.endswith("/compliance/")
    cards = page.locator("[data-posture]")
    assert cards.count() == 4
    total = sum(int(cards.nth(i).locator(".stat-value").inner_text()) for i in range(4))
    assert total == 17
    deadlines = page.locator("[data-testid=deadlines] tbody tr")
    assert deadlines.count() == 5
    assert "overdue by 3 days" in deadlines.first.inner_text()
    clock = page.locator("[data-testid=incident-clocks] [data-clock-panel]")
    assert "suspicious export" in clock.inner_text()
    assert "due in 6 h" in clock.inner_text() or "due in 7 h" in clock.inner_text()
    visitor.shot("dashboard-lead")
    page.locator("[data-posture=not_met]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-clause='2.3']").is_visible()
    visitor.shot("catalogue-not-met")
    page.get_by_role("link", name="show all").click()
    page.locator("[data-clause='1.6'] a").first.click()
    page.wait_for_load_state("networkidle")
    assert "risk assessment" in page.locator(".requirement-text").inner_text()
    visitor.shot("clause-1-6")


def test_a_manager_sees_their_tasks_first(visitor, manager, programme):
    page = visitor.login(manager)
    tasks = page.locator("[data-testid=my-tasks]")
    assert "Sign off the Q1 access review (Finance)" in tasks.inner_text()
    assert tasks.bounding_box()["y"] < page.locator("[data-testid=posture]").bounding_box()["y"]
    visitor.shot("dashboard-manager")


def test_the_calendar_month_list_filters_and_feed_link(visitor, lead, programme):
    page = visitor.login(lead)
    page.goto(visitor.base_url + "/compliance/calendar/")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=calendar-grid] .calendar-item").count() >= 1
    visitor.shot("calendar-month")
    page.select_option("#id_status", "overdue")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="List", exact=True).click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=calendar-list] tbody tr")
    assert rows.count() == 1 and "Quarterly asset inventory attestation" in rows.first.inner_text()
    visitor.shot("calendar-list-overdue")
    page.get_by_role("button", name="Create my feed link").click()
    page.wait_for_load_state("networkidle")
    feed_url = page.locator("[data-testid=feed-url]").input_value()
    assert feed_url.endswith(".ics")
    visitor.shot("calendar-feed-link")
    path = feed_url.split("127.0.0.1:8000", 1)[1]
    response = page.request.get(visitor.base_url + path)
    assert response.status == 200 and "BEGIN:VCALENDAR" in response.text()
    assert "Quarterly asset inventory attestation" in response.text()


def test_staff_see_only_their_own_training_on_the_dashboard_and_calendar(visitor, staff, programme):
    page = visitor.login(staff)
    assert "Yearly security training" in page.locator("[data-testid=my-tasks]").inner_text()
    assert page.locator("[data-testid=incident-clocks]").count() == 0
    visitor.shot("dashboard-staff")
    page.goto(visitor.base_url + "/compliance/calendar/list/")
    assert page.locator("[data-testid=calendar-list] tbody tr").count() == 1


def test_the_empty_dashboard_says_what_to_do_next(visitor, lead):
    page = visitor.login(lead)
    assert page.get_by_text("Nothing is overdue or due in the next 14 days").is_visible()
    visitor.shot("dashboard-empty")


def test_the_lead_sees_failed_reminders_with_their_error(visitor, lead, manager):
    from grc.compliance.models import Reminder

    now = timezone.now()
    obligation = make_obligation(
        "assets.finding_fix", due_at=now + timedelta(days=2), owner=manager, title="Fix the critical OpenSSL finding"
    )
    Reminder.objects.create(
        obligation=obligation,
        milestone="-3d",
        offset=timedelta(days=3),
        status="failed",
        attempts=3,
        last_error="SMTPServerDisconnected",
        next_attempt_at=now + timedelta(minutes=20),
    )
    page = visitor.login(lead)
    page.goto(visitor.base_url + "/compliance/reminders/")
    problems = page.locator("[data-testid=reminder-problems]")
    assert "Fix the critical OpenSSL finding" in problems.inner_text() and "SMTPServerDisconnected" in problems.inner_text()
    visitor.shot("reminders-failed")
    page.goto(visitor.base_url + "/compliance/requirements/")
    assert page.locator("[data-clause]").count() == 17
    visitor.shot("catalogue")
