"""Reminder emails: milestones with the clock moved, exactly once, catch-up, recipients, digests, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from grc.audit.models import AuditEvent
from grc.compliance.models import DeliveryStatus, OverdueDigest, Reminder
from grc.compliance.reminders import BACKOFF_CAP, MAX_ATTEMPTS, backoff, send_one_digest, send_one_reminder, sweep
from tests.compliance.backends import RefuseSomeRecipientsBackend
from tests.compliance.conftest import make_obligation

pytestmark = pytest.mark.django_db
DUE = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
REFUSING = "tests.compliance.backends.RefusingEmailBackend"
REFUSING_SOME = "tests.compliance.backends.RefuseSomeRecipientsBackend"


@pytest.fixture(autouse=True)
def no_digests_unless_asked(settings):
    """Most tests look at milestone reminders only: the daily digest hour is moved past midnight."""
    settings.REMINDER_DIGEST_HOUR = 24


@pytest.fixture(autouse=True)
def no_app_providers(clean_registry):
    """The apps' own providers (who add recipients) are set aside; tests register their own."""
    clean_registry._providers.clear()
    return clean_registry


def sent_to() -> list[list[str]]:
    return [message.to for message in mail.outbox]


def test_nothing_is_sent_before_the_first_milestone(manager):
    obligation = make_obligation(due_at=DUE, owner=manager)
    assert send_one_reminder(obligation, DUE - timedelta(days=15)) is False
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_each_milestone_is_sent_once_as_the_clock_moves(manager, lead, time_machine):
    obligation = make_obligation(due_at=DUE, owner=manager)
    labels = []
    for moment in [
        DUE - timedelta(days=14),
        DUE - timedelta(days=13),
        DUE - timedelta(days=3),
        DUE - timedelta(hours=23),
        DUE - timedelta(hours=1),
        DUE,
    ]:
        time_machine.move_to(moment, tick=False)
        report = sweep(now=moment)
        labels.extend(line.split()[1] for line in report.sent)
    assert labels == ["-14d", "-3d", "-1d", "breach"]
    assert list(Reminder.objects.filter(obligation=obligation).order_by("created_at").values_list("milestone", "status")) == [
        ("-14d", "sent"),
        ("-3d", "sent"),
        ("-1d", "sent"),
        ("breach", "sent"),
    ]
    assert sent_to()[:3] == [[manager.email]] * 3
    assert sorted(address for message in mail.outbox[3:] for address in message.to) == sorted(
        [manager.email, lead.email]
    )  # breach: the lead too


def test_running_the_same_sweep_twice_sends_nothing_more(manager):
    make_obligation(due_at=DUE, owner=manager)
    assert sweep(now=DUE - timedelta(days=2)).sent_count == 1
    assert sweep(now=DUE - timedelta(days=2)).sent_count == 0
    assert sweep(now=DUE - timedelta(days=2, minutes=-5)).sent_count == 0
    assert len(mail.outbox) == 1


def test_after_a_day_of_downtime_only_the_latest_milestone_is_sent(manager, lead):
    obligation = make_obligation(due_at=DUE, owner=manager)
    sweep(now=DUE - timedelta(days=20))  # nothing yet
    report = sweep(now=DUE + timedelta(hours=2))  # the worker was down through -14d, -3d, -1d and the breach
    assert report.sent_count == 1 and "breach reminder" in report.sent[0]
    assert list(Reminder.objects.filter(obligation=obligation).values_list("milestone", flat=True)) == ["breach"]
    assert len(mail.outbox) == 2  # one email to the owner and one to the lead, not a burst


def test_the_incident_clock_reminds_at_detection_12_20_23_hours_and_breach(lead):
    detected = DUE - timedelta(hours=24)
    make_obligation("incidents.amazon_notification", anchor_at=detected, due_at=DUE, owner=lead)
    sent = []
    for hour in range(0, 25):
        sent.extend(line.split()[1] for line in sweep(now=detected + timedelta(hours=hour, minutes=1)).sent)
    assert sent == ["-1d", "-12h", "-4h", "-1h", "breach"]


def test_a_completed_obligation_gets_no_reminder(manager):
    obligation = make_obligation(due_at=DUE, owner=manager, completed_at=DUE - timedelta(days=5))
    assert send_one_reminder(obligation, DUE) is False
    assert sweep(now=DUE).sent_count == 0


def test_the_email_says_what_is_due_the_clause_when_in_the_recipients_zone_time_left_and_where(manager):
    manager.timezone = "America/New_York"
    manager.save(update_fields=["timezone"])
    make_obligation(due_at=DUE, owner=manager, url="/access/reviews/7/", title="Sign off the Q1 access review")
    sweep(now=DUE - timedelta(days=3))
    message = mail.outbox[0]
    assert message.subject == "[DPP 1.2] Sign off the Q1 access review – due in 3 days"
    body = message.body
    assert "Sign off the Q1 access review" in body
    assert "DPP clause: 1.2" in body
    assert "Sat 20 Mar 2027 08:00 (America/New_York)" in body  # 12:00 UTC is 08:00 in New York (summer time)
    assert "Time left:  due in 3 days" in body
    assert "Do it here: http://127.0.0.1:8000/access/reviews/7/" in body
    assert "because you own this task" in body
    html = message.alternatives[0][0]
    assert 'href="http://127.0.0.1:8000/access/reviews/7/"' in html and "due in 3 days" in html


def test_at_breach_every_active_security_lead_is_told_unless_the_kind_does_not_escalate(manager, lead, make_user):
    second_lead = make_user("sam.reyes", "security_lead")
    make_user("old.lead", "security_lead", is_active=False)
    make_obligation(due_at=DUE, owner=manager)
    sweep(now=DUE)
    assert sorted(a for m in mail.outbox for a in m.to) == sorted([manager.email, lead.email, second_lead.email])
    mail.outbox.clear()
    make_obligation("accounts.password_expiry", due_at=DUE, owner=manager)  # escalate_to_leads=False
    sweep(now=DUE + timedelta(minutes=5))
    assert sent_to() == [[manager.email]]


def test_a_provider_names_extra_recipients(manager, staff, clean_registry):
    class Provider:
        def recipients(self, obligation):
            return [staff]

        def resync(self, *, now):
            return 0

    clean_registry.register_provider("assets.finding_fix", Provider())
    make_obligation("assets.finding_fix", due_at=DUE, owner=manager)
    sweep(now=DUE - timedelta(days=3))
    assert sorted(a for m in mail.outbox for a in m.to) == sorted([manager.email, staff.email])
    assert "the portal names you" in next(m for m in mail.outbox if m.to == [staff.email]).body


def test_an_obligation_without_an_owner_reminds_the_security_leads(lead):
    make_obligation(due_at=DUE, owner=None)
    sweep(now=DUE - timedelta(days=3))
    assert sent_to() == [[lead.email]]
    assert "because you are a security lead" in mail.outbox[0].body


def test_people_who_may_no_longer_sign_in_are_not_emailed(manager, lead):
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    make_obligation(due_at=DUE, owner=manager)
    sweep(now=DUE - timedelta(days=3))
    assert sent_to() == [[lead.email]]


def test_a_refused_send_is_recorded_and_retried_by_the_next_sweep_not_lost_and_not_doubled(manager, settings):
    obligation = make_obligation(due_at=DUE, owner=manager)
    now = DUE - timedelta(days=3)
    settings.EMAIL_BACKEND = REFUSING
    report = sweep(now=now)
    assert report.sent_count == 0 and len(report.failed) == 1
    reminder = Reminder.objects.get(obligation=obligation)
    assert (reminder.status, reminder.attempts, reminder.last_error) == ("failed", 1, "SMTPServerDisconnected")
    assert reminder.next_attempt_at == now + timedelta(minutes=5)
    assert AuditEvent.objects.filter(action="compliance.reminder.failed", outcome="failure").count() == 1
    sweep(now=now + timedelta(minutes=5))  # the server is still down: backoff grows
    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.next_attempt_at) == (2, now + timedelta(minutes=15))
    assert sweep(now=now + timedelta(minutes=10)).sent_count == 0  # not due for a retry yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = sweep(now=now + timedelta(minutes=15))
    assert report.sent_count == 1 and "retry" in report.sent[0]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.next_attempt_at) == ("sent", 3, None)
    assert len(mail.outbox) == 1
    assert sweep(now=now + timedelta(hours=1)).sent_count == 0
    assert len(mail.outbox) == 1


def test_a_partly_failed_send_never_emails_anyone_twice(manager, lead, settings):
    settings.EMAIL_BACKEND = REFUSING_SOME
    RefuseSomeRecipientsBackend.REFUSED = {lead.email}
    obligation = make_obligation(due_at=DUE, owner=manager)
    sweep(now=DUE)  # breach: owner first (delivered), then the lead (refused)
    reminder = Reminder.objects.get(obligation=obligation)
    assert reminder.status == "failed" and reminder.delivered_to == [manager.pk]
    assert reminder.last_error == "SMTPRecipientsRefused"
    RefuseSomeRecipientsBackend.REFUSED = set()
    sweep(now=DUE + timedelta(minutes=5))
    reminder.refresh_from_db()
    assert reminder.status == "sent" and sorted(reminder.delivered_to) == sorted([manager.pk, lead.pk])
    assert sorted(a for m in mail.outbox for a in m.to) == sorted([manager.email, lead.email])


def test_a_failed_reminder_is_dropped_once_a_later_milestone_or_completion_supersedes_it(manager, settings):
    obligation = make_obligation(due_at=DUE, owner=manager)
    settings.EMAIL_BACKEND = REFUSING
    sweep(now=DUE - timedelta(days=3))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sweep(now=DUE - timedelta(hours=20))  # the -1d milestone is now the one to send
    assert dict(Reminder.objects.filter(obligation=obligation).values_list("milestone", "status")) == {"-3d": "cancelled", "-1d": "sent"}
    assert len(mail.outbox) == 1


def test_backoff_doubles_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert backoff(30) == BACKOFF_CAP


def test_it_gives_up_after_the_maximum_attempts_and_stays_visible(manager, settings):
    settings.EMAIL_BACKEND = REFUSING
    obligation = make_obligation(due_at=DUE + timedelta(days=30), owner=manager, anchor_at=DUE - timedelta(days=60))
    now = DUE + timedelta(days=30) - timedelta(days=13)
    for _ in range(MAX_ATTEMPTS + 3):
        sweep(now=now)
        now += BACKOFF_CAP
    reminder = Reminder.objects.get(obligation=obligation)
    assert reminder.attempts == MAX_ATTEMPTS
    assert reminder.status == "failed" and reminder.next_attempt_at is None


def test_the_daily_overdue_digest_goes_once_per_user_per_day(manager, lead):
    for days in (1, 5):
        make_obligation(due_at=DUE - timedelta(days=days), owner=manager)
    morning = DUE.replace(hour=7, minute=5)
    assert send_one_digest(manager, morning) is True
    assert send_one_digest(manager, morning + timedelta(hours=3)) is False
    digest = OverdueDigest.objects.get(user=manager)
    assert (digest.day.isoformat(), digest.item_count, digest.status) == ("2027-03-20", 2, "sent")
    message = mail.outbox[-1]
    assert message.to == [manager.email]
    assert message.subject.startswith("[DPP] 2 overdue deadlines")
    assert "overdue by 4 days" in message.body  # 5 days before noon, seen at 07:05
    assert send_one_digest(manager, morning + timedelta(days=1)) is True  # the next day, again


def test_the_sweep_sends_digests_to_owners_and_leads_after_the_digest_hour(manager, lead, staff, settings):
    settings.REMINDER_DIGEST_HOUR = 7  # UTC
    make_obligation(due_at=DUE - timedelta(days=3), owner=manager)
    early = DUE.replace(hour=6, minute=0)
    sweep(now=early)  # the breach reminder was sent long ago in real life; here it goes now
    mail.outbox.clear()
    assert not OverdueDigest.objects.exists()
    report = sweep(now=DUE.replace(hour=7, minute=1))
    assert sorted(line for line in report.sent if "digest" in line) == sorted(
        [f"sent the overdue digest of user {manager.pk}", f"sent the overdue digest of user {lead.pk}"]
    )
    assert not OverdueDigest.objects.filter(user=staff).exists()
    assert sweep(now=DUE.replace(hour=9)).sent_count == 0


def test_a_failed_digest_is_retried_the_same_day_and_dropped_the_next(manager, settings):
    settings.REMINDER_DIGEST_HOUR = 7
    make_obligation(due_at=DUE - timedelta(days=3), owner=manager)
    settings.EMAIL_BACKEND = REFUSING
    morning = DUE.replace(hour=7, minute=0)
    assert send_one_digest(manager, morning) is False
    digest = OverdueDigest.objects.get(user=manager)
    assert digest.status == "failed" and digest.last_error == "SMTPServerDisconnected"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sweep(now=morning + timedelta(minutes=5))
    digest.refresh_from_db()
    assert digest.status == "sent" and digest.attempts == 2
    assert sum(1 for m in mail.outbox if "overdue deadline" in m.subject and m.to == [manager.email]) == 1
    assert send_one_digest(manager, morning + timedelta(hours=1)) is False
    OverdueDigest.objects.filter(pk=digest.pk).update(status="failed", next_attempt_at=morning)
    sweep(now=morning + timedelta(days=1, minutes=-1))  # next day: yesterday's failed digest is dropped, not sent late
    digest.refresh_from_db()
    assert digest.status == "cancelled"


def test_send_reminders_runs_one_sweep_at_a_given_moment_and_prints_what_it_sent(manager):
    obligation = make_obligation(due_at=DUE, owner=manager, title="Quarterly access review")
    out = StringIO()
    call_command("send_reminders", "--now", "2027-03-17T12:00:00+00:00", stdout=out)
    text = out.getvalue()
    assert f"sent -3d reminder of obligation {obligation.pk} (DPP 1.2 Quarterly access review, due 2027-03-20 12:00 UTC)" in text
    assert "sent 1 reminder(s)" in text
    assert len(mail.outbox) == 1


def test_send_reminders_dry_run_sends_and_records_nothing(manager):
    make_obligation(due_at=DUE, owner=manager)
    out = StringIO()
    call_command("send_reminders", "--now", "2027-03-20T12:00", "--dry-run", stdout=out)
    assert "would send breach reminder" in out.getvalue()
    assert "would send 1 reminder(s)" in out.getvalue()
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_send_reminders_refuses_a_bad_moment_and_exits_1_when_sends_fail(manager, settings):
    with pytest.raises(CommandError, match="ISO-8601"):
        call_command("send_reminders", "--now", "next tuesday")
    make_obligation(due_at=DUE, owner=manager)
    settings.EMAIL_BACKEND = REFUSING
    with pytest.raises(CommandError, match="1 reminder"):
        call_command("send_reminders", "--now", "2027-03-20T12:00", stdout=StringIO(), stderr=StringIO())


def test_the_celery_task_runs_the_sweep(manager, time_machine):
    from grc.compliance.tasks import sweep_reminders

    make_obligation(due_at=DUE, owner=manager)
    time_machine.move_to(DUE - timedelta(hours=1), tick=False)
    assert sweep_reminders() == 1  # called in-process: the real-worker test is test_celery_sweep.py
    assert Reminder.objects.get().status == DeliveryStatus.SENT
