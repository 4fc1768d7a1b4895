"""A waiver is a waiver, never a completion (issue 20; DESIGN.md, "What a status means").

An obligation closed with a ``waived_reason`` (the person left, Amazon Information was not
involved, the risk was accepted …) is ``waived`` everywhere: the pure status, the clause status,
the calendar, the feed, the evidence pack. It never makes a clause met and is never reminded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from grc.compliance.cadences import cadence_for
from grc.compliance.models import Obligation, Reminder
from grc.compliance.posture import KindSummary, RequirementState, kind_finding, requirement_status
from grc.compliance.reminders import send_one_reminder, sweep
from grc.compliance.selectors import kind_summaries, requirement_row, status_q
from grc.compliance.services import calendar_feed_token_create, obligation_complete, obligation_open, obligation_waive
from grc.compliance.status import Status, obligation_status
from tests.compliance.conftest import NOW
from tests.conftest import signed_in

APPROVAL = "evidence.audit_approval"  # DPP 3, due within 30 days, not recurring
TRAINING = "access_reviews.training_initial"  # DPP 1.1, due within 30 days of joining
APPROVAL_TITLE = cadence_for(APPROVAL).title
REASON = "a new finding was recorded"


def waived_approval(*, anchor_at: datetime, when: datetime, by=None, reason: str = REASON) -> Obligation:
    """The programme's auditor-approval obligation, opened and then waived through the services."""
    obligation_open(kind=APPROVAL, subject=None, anchor_at=anchor_at, owner=by)
    return obligation_waive(kind=APPROVAL, subject=None, when=when, reason=reason, by=by)


# --- the rules, without a database ---------------------------------------------------------------------
def test_it_calls_a_closed_obligation_with_a_reason_waived_and_never_met():
    due = NOW + timedelta(days=3)
    warning = timedelta(days=7)
    assert obligation_status(due_at=due, completed_at=NOW, warning=warning, now=NOW, waived_reason="person terminated") == Status.WAIVED
    assert obligation_status(due_at=due, completed_at=NOW, warning=warning, now=NOW) == Status.MET
    late = due + timedelta(days=1)
    assert obligation_status(due_at=due, completed_at=late, warning=warning, now=late, waived_reason="left") == Status.WAIVED
    assert obligation_status(due_at=due, completed_at=late, warning=warning, now=late) == Status.MET_LATE


def test_a_kind_with_only_waivers_is_not_yet_recorded_and_says_so():
    summary = KindSummary(kind=APPROVAL, waived_count=1, last_waived_at=NOW - timedelta(days=3))
    finding = kind_finding(summary, cadence_for(APPROVAL), NOW)
    assert finding.status == RequirementState.NOT_TRACKED
    assert finding.reason == f"{APPROVAL_TITLE} waived once, 3 days ago (no completion recorded) (due within 30 days)"
    status = requirement_status([finding])
    assert status.status == RequirementState.NOT_TRACKED and "completed" not in status.reason.replace("no completion recorded", "")


def test_waivers_beside_real_completions_are_named_apart():
    summary = KindSummary(
        kind=TRAINING,
        completed_count=1,
        last_completed_at=NOW - timedelta(days=100),
        waived_count=2,
        last_waived_at=NOW - timedelta(minutes=5),
    )
    finding = kind_finding(summary, cadence_for(TRAINING), NOW)
    assert finding.status == RequirementState.MET
    assert finding.reason == (
        "Security training on joining completed on time (once) "
        "(last completed 100 days ago; waived 2 times, the last 5 min ago; due within 30 days)"
    )


# --- the records --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_waiver_is_not_counted_as_a_completion_nor_as_late(lead, make_user, time_machine):
    time_machine.move_to(NOW, tick=False)
    obligation_open(kind=TRAINING, subject=lead, anchor_at=NOW - timedelta(days=200))
    obligation_complete(kind=TRAINING, subject=lead, completed_at=NOW - timedelta(days=100))
    person = make_user("gone.person")
    obligation_open(kind=TRAINING, subject=person, anchor_at=NOW - timedelta(days=60))
    obligation_waive(kind=TRAINING, subject=person, when=NOW - timedelta(minutes=5), reason="person terminated")  # 30 days late

    (summary,) = kind_summaries(NOW)["1.1"]
    assert summary.completed_count == 1 and summary.last_completed_at == NOW - timedelta(days=100)
    assert summary.waived_count == 1 and summary.last_waived_at == NOW - timedelta(minutes=5)
    assert summary.late_recently == 0 and summary.late_count == 1  # the real completion was 70 days late, the waiver is not "late"


@pytest.mark.django_db
def test_a_clause_whose_only_closed_obligation_is_a_waiver_is_not_met_by_it(bare_registry, lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    waived_approval(anchor_at=NOW - timedelta(days=10), when=NOW - timedelta(days=3), by=lead)

    row = requirement_row("3", NOW)
    assert row.status.status == RequirementState.NOT_TRACKED
    assert f"{APPROVAL_TITLE} waived once, 3 days ago (no completion recorded)" in row.status.reason
    assert "completed on time" not in row.status.reason
    assert all(finding.status != RequirementState.MET for finding in row.status.findings)


@pytest.mark.django_db
def test_the_sql_status_filter_tells_waived_from_met(lead):
    waived = waived_approval(anchor_at=NOW - timedelta(days=10), when=NOW - timedelta(days=3))
    obligation_open(kind=TRAINING, subject=lead, anchor_at=NOW - timedelta(days=10))
    met = obligation_complete(kind=TRAINING, subject=lead, completed_at=NOW - timedelta(days=2))
    assert waived.status_at(NOW) == Status.WAIVED and met.status_at(NOW) == Status.MET
    assert list(Obligation.objects.filter(status_q(Status.WAIVED, NOW))) == [waived]
    assert list(Obligation.objects.filter(status_q(Status.MET, NOW))) == [met]
    assert not Obligation.objects.filter(status_q(Status.MET_LATE, NOW)).exists()


# --- the pages ----------------------------------------------------------------------------------------
@pytest.fixture
def moment(time_machine):
    """A frozen "now" close to the real one (sessions and password ages stay valid)."""
    now = timezone.now().replace(day=12, hour=9, minute=0, second=0, microsecond=0)
    time_machine.move_to(now, tick=False)
    return now


@pytest.mark.django_db
def test_the_clause_page_shows_the_waiver_as_waived_with_the_reason(client, lead, bare_registry, moment):
    waived_approval(anchor_at=moment - timedelta(days=10), when=moment - timedelta(days=3), by=lead)
    page = signed_in(client, lead).get(reverse("compliance:requirement", args=["3"])).content.decode()
    status = page.split('data-testid="requirement-status"')[1].split("</span>")[0]
    assert 'data-status="not_tracked"' in status
    assert "waived once, 3 days ago (no completion recorded)" in page
    row = page.split('id="obligations-heading"')[1]
    assert 'data-status="waived"' in row and f"waived: {REASON}" in row and "by Priya Shah" in row
    assert "met on time" not in row and 'data-status="met"' not in row


@pytest.mark.django_db
def test_the_calendar_shows_a_waiver_in_its_own_colour_with_the_reason(client, lead, moment):
    obligation = waived_approval(anchor_at=moment - timedelta(days=20), when=moment - timedelta(days=1), by=lead)
    signed_in(client, lead)
    listing = client.get(reverse("compliance:calendar_list")).content.decode()
    row = listing.split(f'data-obligation="{obligation.pk}"')[1].split("</tr>")[0]
    assert 'data-status="waived"' in row and "text-bg-dark" in row
    assert f"waived: {REASON}" in row and ">waived</span>" in row and "met on time" not in row

    month = client.get(reverse("compliance:calendar"), {"month": obligation.due_at.strftime("%Y-%m")}).content.decode()
    before, after = month.split(f'data-obligation="{obligation.pk}"')
    item = before.rsplit("<a ", 1)[1] + after.split("</a>")[0]
    assert "calendar-waived" in item and f"waived: {REASON}" in item and "calendar-met" not in item
    legend = month.split("calendar-legend")[1].split("</p>")[0]
    assert 'data-status="waived"' in legend and 'data-status="met"' in legend and 'data-status="met_late"' in legend

    met_only = client.get(reverse("compliance:calendar_list"), {"status": "met"})
    assert met_only.status_code == 200 and f'data-obligation="{obligation.pk}"' not in met_only.content.decode()


@pytest.mark.django_db
def test_the_calendar_feed_says_waived_not_done(client, lead, moment):
    waived_approval(anchor_at=moment - timedelta(days=20), when=moment - timedelta(days=1), by=lead)
    token = calendar_feed_token_create(user=lead, now=moment)
    feed = client.get(reverse("compliance:calendar_feed", args=[token]))
    (event,) = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Waived: {APPROVAL_TITLE} (DPP 3)"
    assert "not completed" in str(event["DESCRIPTION"]) and not event.walk("VALARM")


# --- the evidence pack --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_pack_block_lists_a_waiver_as_waived_with_its_reason_never_as_met(lead):
    from grc.evidence.collect import PackContext
    from grc.evidence.periods import Period
    from grc.evidence.sections.compliance import obligation_evidence

    now = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    waived_approval(anchor_at=datetime(2027, 3, 2, tzinfo=UTC), when=datetime(2027, 3, 5, tzinfo=UTC), by=lead)
    ctx = PackContext(period=Period(datetime(2027, 3, 1).date(), datetime(2027, 3, 31).date()), now=now, clauses=["3"], clause="3")
    evidence = obligation_evidence(ctx)

    facts = {label: value for label, value in evidence.facts}
    assert str(facts["Met on time"]) == "0" and str(facts["Met late"]) == "0"
    waived = next(value for label, value in facts.items() if label.startswith("Waived"))
    assert str(waived) == "1" and waived.status == "waived"
    by_kind = evidence.tables[0]
    assert by_kind.rows == [[APPROVAL_TITLE, "0", "0", "0", "0", "1"]]
    csv = ctx.attachments.items[0].data.decode()
    assert f"waived: {REASON}" in csv and ",met," not in csv


# --- reminders ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_waived_obligation_is_never_reminded(lead, settings, time_machine):
    settings.REMINDER_DIGEST_HOUR = 24
    anchor = NOW - timedelta(days=29)  # due tomorrow: the -1d milestone has been reached
    obligation_open(kind=APPROVAL, subject=None, anchor_at=anchor, owner=lead)
    settings.EMAIL_BACKEND = "tests.compliance.backends.RefusingEmailBackend"
    time_machine.move_to(NOW, tick=False)
    sweep(now=NOW)
    failed = Reminder.objects.get()
    assert failed.status == "failed"

    obligation = obligation_waive(kind=APPROVAL, subject=None, when=NOW + timedelta(hours=1), reason=REASON, by=lead)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for later in (NOW + timedelta(hours=2), NOW + timedelta(days=1), NOW + timedelta(days=5)):
        time_machine.move_to(later, tick=False)
        assert send_one_reminder(obligation, later) is False
        assert sweep(now=later).sent_count == 0
    failed.refresh_from_db()
    assert failed.status == "cancelled"  # the retry of the earlier milestone is dropped, not sent
    assert Reminder.objects.count() == 1
