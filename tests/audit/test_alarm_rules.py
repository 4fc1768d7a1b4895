"""The alarm rules of DPP 2.6 with the clock moved: repeated failures and denials, download volume.

Rules run at once on each watched event (``record_event`` → ``rules.observe``) and every minute
(``evaluate_alarms``); the same condition never raises a second alarm while the first is open.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from grc.audit.alarms import alarm_notify, alarm_set_status
from grc.audit.models import Alarm, AuditEvent
from grc.audit.rules import evaluate
from grc.audit.services import record_download, record_event
from grc.audit.tasks import evaluate_alarms
from tests.accounts.conftest import post_password
from tests.audit.conftest import NOW, web_request
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def failed_sign_in(account=None, *, ip: str = "198.51.100.7"):
    return record_event(
        "accounts.login_failed",
        request=web_request(ip=ip, path="/accounts/login/"),
        outcome="failure",
        object_type="accounts.user" if account else "",
        object_id=account.pk if account else "",
        message="wrong password",
    )


def at(minutes: float):
    return time_machine.travel(NOW + timedelta(minutes=minutes), tick=False)


def test_five_wrong_passwords_for_one_account_raise_an_alarm_at_once(client, staff):
    for n in range(4):
        with at(n):
            post_password(client, staff.username, "Wrong-Password-1!")
    assert not Alarm.objects.exists()
    with at(4):
        post_password(client, staff.username, "Wrong-Password-1!")
    alarm = Alarm.objects.get()
    assert (alarm.rule, alarm.key, alarm.status) == ("failed_logins_user", f"user:{staff.pk}", "open")
    assert alarm.actor == staff and alarm.raised_at == NOW + timedelta(minutes=4)
    failures = list(AuditEvent.objects.filter(action="accounts.login_failed").order_by("id").values_list("id", flat=True))
    assert alarm.evidence == failures and alarm.event_count == 5
    assert alarm.summary == "5 failed sign-ins for one account within 15 minutes"
    raised = AuditEvent.objects.get(action="audit.alarm.raised")
    assert raised.object_id == str(alarm.pk) and raised.details["rule"] == "failed_logins_user"


def test_failures_spread_over_more_than_the_window_raise_nothing_until_five_fall_inside_it(staff):
    for n in range(4):
        with at(n):
            failed_sign_in(staff)
    with at(20):  # the first four are now outside the 15-minute window
        failed_sign_in(staff)
    assert not Alarm.objects.exists()
    for n in range(21, 24):
        with at(n):
            failed_sign_in(staff)
    assert not Alarm.objects.exists()  # 4 inside the window
    with at(24):
        failed_sign_in(staff)
    alarm = Alarm.objects.get()
    assert alarm.event_count == 5 and alarm.raised_at == NOW + timedelta(minutes=24)


def test_the_same_condition_raises_no_second_alarm_while_the_first_is_open(staff, lead):
    for n in range(5):
        with at(n):
            failed_sign_in(staff)
    alarm = Alarm.objects.get()
    for n in range(5, 12):
        with at(n):
            failed_sign_in(staff)
    with at(12):
        evaluate(now=NOW + timedelta(minutes=12))
    assert Alarm.objects.filter(rule="failed_logins_user").count() == 1
    alarm.refresh_from_db()
    assert alarm.event_count == 12 and len(alarm.evidence) == 12  # later failures are added as evidence
    alarm_set_status(alarm=alarm, status="investigating", note="", by=lead, now=NOW + timedelta(minutes=13))
    with at(13):
        failed_sign_in(staff)
    assert Alarm.objects.filter(rule="failed_logins_user").count() == 1  # investigating still counts as open


def test_after_closing_old_evidence_is_not_counted_again_but_new_failures_raise_a_new_alarm(settings, staff, lead):
    settings.AUDIT_ALARM_THRESHOLDS = {"FAILED_LOGINS_PER_IP": 100}  # this test is about the account rule
    for n in range(6):
        with at(n):
            failed_sign_in(staff)
    first = Alarm.objects.get()
    alarm_set_status(alarm=first, status="closed", note="User forgot the new password.", by=lead, now=NOW + timedelta(minutes=7))
    with at(8):
        assert evaluate(now=NOW + timedelta(minutes=8)) == []
        failed_sign_in(staff)
    assert Alarm.objects.count() == 1
    for n in range(9, 13):
        with at(n):
            failed_sign_in(staff)
    second = Alarm.objects.exclude(pk=first.pk).get()
    assert second.status == "open" and second.event_count == 5 and min(second.evidence) > first.last_event_id


def test_many_accounts_failing_from_one_address_raise_the_address_alarm(make_user):
    accounts = [make_user(f"user{n}.x") for n in range(10)]
    for n, account in enumerate(accounts):
        with at(n):
            failed_sign_in(account, ip="203.0.113.9")
    alarm = Alarm.objects.get(rule="failed_logins_ip")
    assert alarm.key == "ip:203.0.113.9" and alarm.source_ip == "203.0.113.9" and alarm.event_count == 10
    assert not Alarm.objects.filter(rule="failed_logins_user").exists()  # one failure per account


def test_unknown_usernames_count_for_the_address(client):
    for n in range(10):
        with at(n):
            post_password(client, f"nobody{n}", "Wrong-Password-1!", ip="203.0.113.10")
    assert Alarm.objects.get().rule == "failed_logins_ip"


def test_repeated_permission_denials_by_one_user_raise_an_alarm(client, staff):
    with at(0):
        staff_client = signed_in(client, staff)
    for n in range(4):
        with at(n):
            assert staff_client.get(reverse("audit:index")).status_code == 403
    assert not Alarm.objects.exists()
    with at(5):
        staff_client.get(reverse("audit:alarms"))
    alarm = Alarm.objects.get()
    assert alarm.rule == "denials_user" and alarm.actor == staff and alarm.event_count == 5


def test_denials_older_than_the_window_do_not_count(client, staff):
    with at(0):
        staff_client = signed_in(client, staff)
    for n in (0, 3, 6, 9):
        with at(n):
            staff_client.get(reverse("audit:index"))
    with at(25):
        staff_client.get(reverse("audit:index"))
    assert not Alarm.objects.exists()


def test_downloading_more_than_the_hourly_volume_raises_an_alarm(lead):
    with at(0):
        record_download(web_request(lead), what="csv", count=600)
    with at(30):
        record_download(web_request(lead), what="csv", count=400)
    assert not Alarm.objects.exists()  # 1000 is the limit, not yet more than it
    with at(50):
        record_download(web_request(lead), what="pdf")
    alarm = Alarm.objects.get()
    assert alarm.rule == "download_volume" and alarm.actor == lead and alarm.summary.startswith("1001 records or files")


def test_downloads_spread_over_hours_raise_nothing(lead):
    for hour in range(4):
        with at(hour * 61):
            record_download(web_request(lead), what="csv", count=900)
    assert not Alarm.objects.exists()


def test_thresholds_come_from_settings(settings, lead):
    settings.AUDIT_ALARM_THRESHOLDS = {"DOWNLOAD_ITEMS_PER_HOUR": 3}
    for n in range(4):
        with at(n):
            record_download(web_request(lead), what="evidence_file")
    assert Alarm.objects.get().rule == "download_volume"


def test_the_minute_task_catches_up_on_events_the_immediate_check_missed(monkeypatch, staff):
    monkeypatch.setattr("grc.audit.services.observe", lambda event: [])
    for n in range(6):
        with at(n):
            failed_sign_in(staff)
    assert not Alarm.objects.exists()
    with at(7):
        assert evaluate_alarms.delay().get() == 1
        assert evaluate_alarms.delay().get() == 0  # again: the alarm is open, nothing new
    assert Alarm.objects.get().event_count == 6


def test_a_failing_rule_never_breaks_the_event_that_triggered_it(monkeypatch, staff, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("rules down")

    monkeypatch.setattr("grc.audit.rules.condition_check", broken)
    event = failed_sign_in(staff)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert "alarm rules failed after audit event" in caplog.text


def test_each_alarm_is_emailed_once_to_every_active_security_lead(make_user, lead, staff, capture_on_commit):
    from grc.accounts.models import Role

    second = make_user("noor.haddad", Role.SECURITY_LEAD)
    make_user("old.lead", Role.SECURITY_LEAD, is_active=False)
    with capture_on_commit():
        for n in range(5):
            with at(n):
                failed_sign_in(staff)
    alarm = Alarm.objects.get()
    assert sorted(message.to[0] for message in mail.outbox) == sorted([lead.email, second.email])
    message = mail.outbox[0]
    assert f"Alarm #{alarm.pk}: Repeated failed sign-ins for one account" in message.subject
    assert reverse("audit:alarm_detail", args=[alarm.pk]) in message.body
    assert "198.51.100.7" not in message.body and staff.username not in message.body  # evidence stays behind the sign-in
    alarm.refresh_from_db()
    assert alarm.notified_at is not None
    assert alarm_notify(alarm_id=alarm.pk, now=NOW) is False  # claimed: never sent twice
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="audit.alarm.notified", object_id=str(alarm.pk)).count() == 1


def test_the_minute_task_sends_emails_that_never_went_out(lead, staff):
    for n in range(5):
        with at(n):
            failed_sign_in(staff)  # no on_commit here: the notification task was never queued
    assert mail.outbox == []
    evaluate_alarms.delay()
    assert len(mail.outbox) == 1 and Alarm.objects.get().notified_at is not None


def test_failures_for_an_account_id_that_no_longer_exists_still_raise_an_alarm():
    for n in range(5):
        with at(n):
            record_event("accounts.login_failed", outcome="failure", object_type="accounts.user", object_id="987654")
    alarm = Alarm.objects.get(rule="failed_logins_user")
    assert alarm.key == "user:987654" and alarm.actor is None
