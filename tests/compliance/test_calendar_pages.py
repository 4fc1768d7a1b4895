"""The calendar (month and list, filtered by app, owner and status) and the secret iCalendar feed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from grc.audit.models import AuditEvent
from grc.compliance.models import CalendarFeedToken, Obligation
from grc.compliance.selectors import status_q
from grc.compliance.services import calendar_feed_token_create, calendar_feed_token_revoke
from grc.compliance.status import Status
from tests.compliance.conftest import make_obligation
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def feed_titles(response) -> list[str]:
    assert response["Content-Type"].startswith("text/calendar")
    return sorted(str(event["SUMMARY"]) for event in Calendar.from_ical(response.content).walk("VEVENT"))


def test_the_month_view_puts_each_obligation_on_its_due_day(lead_client, lead):
    make_obligation("assets.finding_fix", due_at=timezone.now().replace(day=15, hour=10, minute=0), title="Fix the TLS finding", owner=lead)
    response = lead_client.get(reverse("compliance:calendar"))
    assert response.status_code == 200
    page = response.content.decode()
    day = timezone.now().replace(day=15).strftime("%Y-%m-%d")
    cell = page.split(f'data-date="{day}"')[1].split("</td>")[0]
    assert "Fix the TLS finding" in cell
    assert response.context["count"] == 1


def test_the_month_view_moves_between_months(lead_client, lead):
    make_obligation("assets.penetration_test", due_at=datetime(2031, 2, 14, 12, 0, tzinfo=UTC), title="Pen test 2031", owner=lead)
    page = lead_client.get(reverse("compliance:calendar"), {"month": "2031-02"}).content.decode()
    assert "February 2031" in page and "Pen test 2031" in page
    assert "month=2031-01" in page and "month=2031-03" in page
    assert "Pen test 2031" not in lead_client.get(reverse("compliance:calendar"), {"month": "2031-03"}).content.decode()


def test_the_month_view_shows_a_few_items_per_day_and_counts_the_rest(lead_client, lead):
    due = timezone.now().replace(day=20, hour=9, minute=0)
    for i in range(7):
        make_obligation("assets.finding_fix", due_at=due + timedelta(minutes=i), title=f"Finding {i}", owner=lead)
    page = lead_client.get(reverse("compliance:calendar")).content.decode()
    assert "+3 more" in page


def test_the_list_filters_by_app_owner_and_status(lead_client, lead, manager):
    now = timezone.now()
    incident = make_obligation(
        "incidents.amazon_notification",
        due_at=now + timedelta(hours=3),
        anchor_at=now - timedelta(hours=21),
        title="Incident clock",
        owner=lead,
    )
    review = make_obligation("access_reviews.quarterly_review", due_at=now - timedelta(days=1), title="Overdue review", owner=manager)
    done = make_obligation(
        "access_reviews.quarterly_review",
        due_at=now - timedelta(days=100),
        completed_at=now - timedelta(days=101),
        title="Old review",
        owner=manager,
    )
    url = reverse("compliance:calendar_list")

    def titles(**params):
        return [o.title for o in lead_client.get(url, params).context["rows"]]

    assert set(titles()) == {"Incident clock", "Overdue review", "Old review"}
    assert titles(app="incidents") == ["Incident clock"]
    assert set(titles(owner=manager.pk)) == {"Overdue review", "Old review"}
    assert titles(status="overdue") == ["Overdue review"]
    assert titles(status="due_soon") == ["Incident clock"]
    assert titles(status="met") == ["Old review"]
    assert titles(app="access_reviews", status="overdue", owner=manager.pk) == ["Overdue review"]
    assert {incident.pk, review.pk, done.pk} == set(Obligation.objects.values_list("pk", flat=True))


def test_a_bad_filter_value_is_refused_not_a_crash(lead_client):
    for url in (reverse("compliance:calendar_list"), reverse("compliance:calendar")):
        response = lead_client.get(url, {"status": "sideways", "month": "2027-99"})
        assert response.status_code == 200
        filterset = response.context["table"].filterset if "table" in response.context else response.context["filterset"]
        assert "status" in filterset.form.errors


def test_the_sql_status_filter_agrees_with_the_pure_status_function():
    now = timezone.now()
    cases = [
        ("incidents.amazon_notification", now + timedelta(hours=11), None),  # due soon (12 h window)
        ("incidents.amazon_notification", now + timedelta(hours=13), None),  # open
        ("access_reviews.quarterly_review", now + timedelta(days=13), None),  # due soon (14 days)
        ("access_reviews.quarterly_review", now + timedelta(days=15), None),  # open
        ("audit.log_review", now + timedelta(days=4), None),  # open (3-day window)
        ("audit.log_review", now - timedelta(seconds=1), None),  # overdue
        ("assets.finding_fix", now - timedelta(days=5), now - timedelta(days=6)),  # met
        ("assets.finding_fix", now - timedelta(days=5), now - timedelta(days=4)),  # met late
    ]
    for kind, due, completed in cases:
        make_obligation(kind, due_at=due, completed_at=completed)
    for status in Status:
        expected = {o.pk for o in Obligation.objects.all() if o.status_at(now) == status}
        assert set(Obligation.objects.filter(status_q(status, now)).values_list("pk", flat=True)) == expected, status


def test_staff_see_only_their_own_obligations_in_the_calendar(staff_client, staff, lead):
    now = timezone.now()
    make_obligation("access_reviews.training_annual", due_at=now + timedelta(days=1), title="My training", owner=staff)
    make_obligation("assets.finding_fix", due_at=now + timedelta(days=1), title="Lead's finding", owner=lead)
    assert [o.title for o in staff_client.get(reverse("compliance:calendar_list")).context["rows"]] == ["My training"]
    response = staff_client.get(reverse("compliance:calendar_list"), {"owner": lead.pk})
    assert "owner" in response.context["table"].filterset.form.errors  # other people are not even offered
    assert [o.title for o in response.context["rows"]] == ["My training"]


def test_a_feed_link_is_made_once_and_only_its_hash_is_stored(lead_client, lead):
    response = lead_client.post(reverse("compliance:feed_token_create"), follow=True)
    feed_url = response.context["feed_url"]
    assert feed_url.startswith("http://127.0.0.1:8000/compliance/calendar/feed/") and feed_url.endswith(".ics")
    token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarFeedToken.objects.get(user=lead)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert lead_client.get(reverse("compliance:calendar")).context["feed_url"] == ""  # shown once only
    assert AuditEvent.objects.filter(action="compliance.calendar_feed.created", actor_id=lead.pk).exists()


def test_the_feed_needs_no_session_and_shows_what_its_user_may_see(client, staff, lead):
    now = timezone.now()
    make_obligation("access_reviews.training_annual", due_at=now + timedelta(days=3), title="My training", owner=staff)
    make_obligation("assets.finding_fix", due_at=now + timedelta(days=3), title="Lead's finding", owner=lead)
    staff_token = calendar_feed_token_create(user=staff, now=now)
    lead_token = calendar_feed_token_create(user=lead, now=now)
    client.logout()
    staff_feed = client.get(reverse("compliance:calendar_feed", args=[staff_token]))
    assert staff_feed.status_code == 200
    assert feed_titles(staff_feed) == ["Due: My training (DPP 1.1)"]
    assert feed_titles(client.get(reverse("compliance:calendar_feed", args=[lead_token]))) == [
        "Due: Lead's finding (DPP 2.7)",
        "Due: My training (DPP 1.1)",
    ]
    read = AuditEvent.objects.filter(action="compliance.calendar_feed.read", actor_id=staff.pk).first()
    assert read is not None and read.details["events"] == 1
    assert CalendarFeedToken.objects.get(user=staff).last_used_at is not None


def test_a_regenerated_link_replaces_the_old_one_and_a_revoked_link_is_404(client, lead):
    now = timezone.now()
    old = calendar_feed_token_create(user=lead, now=now)
    new = calendar_feed_token_create(user=lead, now=now)
    assert client.get(reverse("compliance:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("compliance:calendar_feed", args=[new])).status_code == 200
    assert CalendarFeedToken.objects.filter(user=lead, revoked_at__isnull=True).count() == 1
    assert calendar_feed_token_revoke(user=lead, now=now) == 1
    assert client.get(reverse("compliance:calendar_feed", args=[new])).status_code == 404
    refused = AuditEvent.objects.filter(action="compliance.calendar_feed.refused")
    assert refused.count() == 2 and all(event.outcome == "failure" for event in refused)


def test_an_unknown_token_or_an_expired_user_gets_404(client, auditor):
    assert client.get(reverse("compliance:calendar_feed", args=["not-a-token"])).status_code == 404
    token = calendar_feed_token_create(user=auditor, now=timezone.now())
    auditor.access_expires_at = timezone.now() - timedelta(minutes=1)
    auditor.save(update_fields=["access_expires_at"])
    assert client.get(reverse("compliance:calendar_feed", args=[token])).status_code == 404


def test_the_feed_link_is_revoked_from_the_calendar_page(lead_client, lead):
    lead_client.post(reverse("compliance:feed_token_create"))
    response = lead_client.post(reverse("compliance:feed_token_revoke"), {"view": "list"})
    assert response.status_code == 302 and response["Location"] == reverse("compliance:calendar_list")
    assert not CalendarFeedToken.objects.filter(user=lead, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="compliance.calendar_feed.revoked").count() == 1


def test_feed_links_are_made_only_by_post(lead_client):
    assert lead_client.get(reverse("compliance:feed_token_create")).status_code == 405


def test_every_role_reads_the_calendar(client, lead, manager, staff, auditor):
    for user in (lead, manager, staff, auditor):
        signed_in(client, user)
        assert client.get(reverse("compliance:calendar")).status_code == 200
        assert client.get(reverse("compliance:calendar_list")).status_code == 200
