"""Books and records (DPP 3) hold the audit trail back: the daily purge never deletes an event while
the Amazon agreement is in force or within BOOKS_RETENTION_MONTHS after it ended, and the portal's
sentences about how long the trail is kept (check, readiness, questionnaire) say what the purge does.

The rule: an event goes only when it is older than both cutoffs, AUDIT_RETENTION_DAYS (at least 90)
and books and records, which let nothing go before AGREEMENT_ENDED_ON + BOOKS_RETENTION_MONTHS
(midnight UTC, calendar months) and everything after.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from grc.audit.chain import chain_verify
from grc.audit.models import AuditAnchor, AuditEvent
from grc.audit.retention import events_purge, purge_expired
from grc.audit.tasks import purge_expired_events
from grc.books import audit_keep_policy, keep_policy
from grc.evidence.obligations import check_books_retention
from grc.kit.questionnaire.drafts import draft_for
from grc.kit.questionnaire.records import Records
from grc.kit.readiness import readiness_checklist
from tests.audit.conftest import NOW, events

ENDED = "2026-12-10"  # three months before NOW (10 Mar 2027)
BOOKS_UNTIL = datetime(2027, 12, 10, tzinfo=UTC)  # 12 calendar months after the end, midnight UTC
IN_FORCE = override_settings(AGREEMENT_ENDED_ON="", BOOKS_RETENTION_MONTHS=12, AUDIT_RETENTION_DAYS=90)
ENDED_90_DAYS = override_settings(AGREEMENT_ENDED_ON=ENDED, BOOKS_RETENTION_MONTHS=12, AUDIT_RETENTION_DAYS=90)
ENDED_365_DAYS = override_settings(AGREEMENT_ENDED_ON=ENDED, BOOKS_RETENTION_MONTHS=12, AUDIT_RETENTION_DAYS=365)


def event_at(moment: datetime, action: str) -> AuditEvent:
    with time_machine.travel(moment, tick=False):
        return events(1, action=action)[0]


def survives(action: str) -> bool:
    return AuditEvent.objects.filter(action=action).exists()


# --- the rule, without the database ---------------------------------------------------------------------
def test_it_keeps_every_event_while_the_agreement_is_in_force():
    policy = keep_policy(NOW + timedelta(days=3000), audit_days=90, ended_on=None, months=12)
    assert policy.cutoff is None and policy.keeps == "every event while the agreement is in force"
    assert policy.audit_words().startswith("every audit event is kept while the Amazon agreement is in force and for 12 months")


def test_it_keeps_every_event_until_the_books_months_after_the_end_then_applies_audit_retention_days():
    ended = date(2026, 12, 10)
    before = keep_policy(BOOKS_UNTIL - timedelta(seconds=1), audit_days=90, ended_on=ended, months=12)
    assert before.cutoff is None and before.keeps == "every event until 10 Dec 2027"
    at = keep_policy(BOOKS_UNTIL, audit_days=90, ended_on=ended, months=12)
    assert at.cutoff == BOOKS_UNTIL - timedelta(days=90) and at.keeps == "events from 11 Sep 2027"
    assert not at.disagrees  # books and records no longer hold anything back
    assert keep_policy(BOOKS_UNTIL, audit_days=30, ended_on=ended, months=12).cutoff == BOOKS_UNTIL - timedelta(days=90)  # the floor
    assert keep_policy(BOOKS_UNTIL, audit_days=90, ended_on=ended, months=24).cutoff is None


def test_settings_disagree_when_audit_retention_days_is_shorter_than_the_books_months():
    ended = date(2026, 12, 10)
    assert keep_policy(NOW, audit_days=90, ended_on=ended, months=12).disagrees
    assert keep_policy(NOW, audit_days=90, ended_on=None, months=12).disagrees
    assert not keep_policy(NOW, audit_days=365, ended_on=ended, months=12).disagrees
    assert keep_policy(NOW, audit_days=365, ended_on=ended, months=24).disagrees
    assert not keep_policy(NOW, audit_days=730, ended_on=ended, months=24).disagrees


# --- the purge ------------------------------------------------------------------------------------------
@pytest.mark.django_db
@IN_FORCE
def test_nothing_is_purged_while_the_agreement_is_in_force():
    event_at(NOW - timedelta(days=1000), "tests.old.changed")
    event_at(NOW - timedelta(days=100), "tests.recent.changed")
    assert purge_expired(now=NOW) == 0
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_events.delay().get() == 0
    assert survives("tests.old.changed") and survives("tests.recent.changed")
    assert not AuditAnchor.objects.exists()
    with pytest.raises(ValueError, match="books and records"):
        events_purge(before=NOW - timedelta(days=365), now=NOW)
    assert survives("tests.old.changed")


@pytest.mark.django_db
@ENDED_90_DAYS
def test_events_inside_the_books_window_survive_after_the_agreement_ended():
    event_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "tests.nine_months_before_end.changed")
    event_at(datetime(2024, 1, 1, tzinfo=UTC), "tests.years_before_end.changed")
    assert purge_expired(now=NOW) == 0  # ended 3 months ago: every event is kept, 90 days or not
    assert purge_expired(now=BOOKS_UNTIL - timedelta(seconds=1)) == 0
    assert survives("tests.nine_months_before_end.changed") and survives("tests.years_before_end.changed")


@pytest.mark.django_db
@ENDED_90_DAYS
def test_once_the_books_window_is_over_audit_retention_days_applies_on_both_sides_of_its_cutoff():
    cutoff = BOOKS_UNTIL - timedelta(days=90)
    event_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "tests.during_agreement.changed")
    gone = event_at(cutoff - timedelta(seconds=1), "tests.just_older.changed")
    event_at(cutoff, "tests.at_cutoff.changed")
    assert purge_expired(now=BOOKS_UNTIL) == 2
    assert not survives("tests.during_agreement.changed") and not survives("tests.just_older.changed")
    assert survives("tests.at_cutoff.changed")
    anchor = AuditAnchor.objects.get()
    assert anchor.purged_before == cutoff and anchor.last_purged_id == gone.pk
    report = chain_verify()
    assert report.ok and report.anchor_id == anchor.pk


# --- what the portal says -------------------------------------------------------------------------------
def readiness_item(clause: str, key: str, now: datetime):
    return next(item for item in readiness_checklist(clause, now).items if item.key == key)


@pytest.mark.django_db
def test_the_readiness_items_and_the_questionnaire_say_what_the_purge_keeps():
    with ENDED_365_DAYS:
        books = readiness_item("3", "books", NOW)
        assert books.status == "met" and books.detail.startswith("Every audit event is kept until 10 Dec 2027")
        assert readiness_item("2.6", "log_retention", NOW).detail == (
            "Every audit event is kept until 10 Dec 2027, 12 months after the Amazon agreement ended on 10 Dec 2026; "
            "only then are events older than 365 days purged."
        )
        logging = draft_for("logging", Records(NOW))
        assert "Every audit event is kept until 10 Dec 2027" in logging.text and "Audit events are kept 365 days" not in logging.text
        assert logging.facts["audit events kept"] == "every event until 10 Dec 2027"
        audit = draft_for("audit", Records(NOW)).text
        assert "kept in this portal until 10 Dec 2027, 12 months after the Amazon agreement ended on 10 Dec 2026" in audit
        assert "at least 12 months after it" not in audit
    with IN_FORCE:
        assert readiness_item("2.6", "log_retention", NOW).detail.startswith(
            "Every audit event is kept while the Amazon agreement is in force and for 12 months after it ends"
        )
        assert (
            "kept in this portal for the Amazon agreement (in force) and 12 months after it ends" in draft_for("audit", Records(NOW)).text
        )
    later = BOOKS_UNTIL + timedelta(days=10)
    with ENDED_365_DAYS:
        assert "Audit events from 20 Dec 2026 on are kept (365 days)" in draft_for("logging", Records(later)).text
        assert readiness_item("3", "books", later).status == "met"


@pytest.mark.django_db
def test_the_check_reports_when_the_settings_disagree():
    with ENDED_365_DAYS:
        assert check_books_retention(NOW).status == "met"
        assert audit_keep_policy(NOW).disagreement() == ""
    with ENDED_90_DAYS:
        result = check_books_retention(NOW)
        assert result.status == "at_risk"
        assert result.reason.startswith("AUDIT_RETENTION_DAYS (90 days) is shorter than the 12 months books and records are kept")
        assert "the purge keeps every audit event until 10 Dec 2027 regardless" in result.reason
        assert "set AUDIT_RETENTION_DAYS to at least 365" in result.reason
        books = readiness_item("3", "books", NOW)
        assert books.status == "at_risk" and books.detail.startswith("AUDIT_RETENTION_DAYS (90 days) is shorter")
        assert check_books_retention(BOOKS_UNTIL).status == "met"  # the window is over: 90 days is all that applies
    with IN_FORCE:
        result = check_books_retention(NOW)
        assert result.status == "at_risk" and "until 12 months after the agreement ends regardless" in result.reason
