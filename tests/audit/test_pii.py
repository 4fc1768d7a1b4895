"""PII never reaches the audit trail or the application log (DPP 2.6: "Logs must not contain PII").

Known PII — a person's name, email, phone number, street address and incident free text — is fed
through every kind of event the portal records: sign-in success and failure, MFA, lockout and
unlock, permission denial, record changes with encrypted fields, invitations, downloads, a
settings change, canary views and alarms, and system errors in tasks and requests. Then every
column of every audit row, and every line the JSON log handler wrote, is searched for it.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest
from celery import shared_task
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from grc.accounts import lifecycle
from grc.accounts.lockout import account_unlock
from grc.accounts.models import Role
from grc.audit.alarms import alarm_set_status
from grc.audit.canaries import canary_mark
from grc.audit.models import Alarm, AuditEvent
from grc.audit.services import record_change, record_download, record_event, record_view
from grc.logging import JSONFormatter, RedactPIIFilter
from grc.oversight.log_reviews import log_review_record
from tests.accounts.conftest import post_code, post_password
from tests.conftest import signed_in, totp_now

pytestmark = pytest.mark.django_db(transaction=True)  # so on-commit work (alarm emails) runs and logs too

FIRST, LAST = "Quintessa", "Thorndyke"
EMAIL = "q.thorndyke@example.org"
PHONE = "+44 20 7946 0958"
STREET = "221B Baker Street"
INCIDENT_TEXT = f"{FIRST} said the laptop was stolen from her car outside {STREET}; call {PHONE}"
NEEDLES = [FIRST, LAST, EMAIL, PHONE, "7946 0958", "79460958", STREET, "Baker Street", "stolen from her car"]


@shared_task(name="tests.audit.explode")
def explode(record_id: int) -> None:
    raise ValueError(f"could not notify {FIRST} {LAST} <{EMAIL}> at {STREET}, {PHONE}")


@pytest.fixture(autouse=True)
def tasks_fail_like_in_a_worker(monkeypatch):
    """Eager tasks normally re-raise at once (CELERY_TASK_EAGER_PROPAGATES); a worker instead
    records the failure: sends ``task_failure`` and logs it. Run them the worker's way here."""
    from grc.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


@pytest.fixture
def json_log():
    """The portal's JSON handler (formatter and filter as in settings.LOGGING) on the root logger."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RedactPIIFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def person(make_user, manager):
    user = make_user("quintessa.thorndyke", Role.STAFF, manager=manager)  # username quintessathorndyke holds the name too
    user.email = EMAIL
    user.save(update_fields=["email"])
    return user


def everything_in_the_trail() -> str:
    """Every column of every audit row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")
        return "\n".join(" | ".join(str(value) for value in row) for row in cursor.fetchall())


def feed_pii_through_every_event_type(person, lead, settings, requirement):
    settings.AUDIT_ALARM_THRESHOLDS = {"DOWNLOAD_ITEMS_PER_HOUR": 10}
    browser = Client()
    # sign-in success, MFA success, a settings change by the user, logout
    post_password(browser, person.username)
    post_code(browser, totp_now(person))
    lifecycle.profile_update(user=person, timezone_name="Europe/London", request=None)
    browser.post(reverse("accounts:logout"))
    # sign-in failures: an email as the username, a wrong code, then a lockout and its alarm
    post_password(Client(), EMAIL, "Wrong-Password-1!")
    mfa = Client()
    post_password(mfa, person.username)
    post_code(mfa, "000000")
    for _ in range(5):
        post_password(Client(), person.username, f"{STREET} {PHONE}")
    account_unlock(username=person.username, by=lead, now=timezone.now())
    # permission denials
    staff_browser = signed_in(Client(), person)
    staff_browser.get(reverse("audit:index"))
    staff_browser.get(reverse("audit:alarms"))
    # record changes with encrypted (PII) fields, made through the services
    lead_browser = signed_in(Client(), lead)
    lead_browser.post(
        reverse("accounts:invite"),
        {"first_name": FIRST, "last_name": f"{LAST}-Jones", "email": "quintessa.tj@example.org", "role": Role.STAFF},
    )
    alarm = Alarm.objects.exclude(status="closed").first()
    alarm_set_status(alarm=alarm, status="closed", note=INCIDENT_TEXT, by=lead, now=timezone.now())
    log_review_record(
        by=lead, period_start=timezone.now() - timedelta(days=14), period_end=timezone.now(), note=INCIDENT_TEXT, now=timezone.now()
    )
    canary_mark(subject_type="compliance.requirement", subject_id=str(requirement.pk), note=INCIDENT_TEXT, by=lead, now=timezone.now())
    record_change("updated", person, actor=lead, changed_fields=["first_name", "last_name", "email"])
    # views (a canary, so an alarm and its email), downloads and exports
    record_view(RequestFactory().get("/compliance/requirements/1.1/", REMOTE_ADDR="198.51.100.9"), requirement)
    for _ in range(3):
        record_download(RequestFactory().get("/x"), what="pdf", count=5, object_type="incidents.incident", object_id="4")
    lead_browser.get(reverse("audit:export"))
    # system errors: a failed task and an unhandled exception in a request
    assert explode.delay(person.pk).failed()
    request = RequestFactory().get("/incidents/4/", REMOTE_ADDR="198.51.100.9")
    try:
        raise RuntimeError(f"template for {FIRST} {LAST} at {STREET} failed")
    except RuntimeError:
        got_request_exception.send(sender=None, request=request)
    logging.getLogger("grc.tests").warning("notify %s failed", EMAIL)  # the filter's safety net
    # a message given PII by mistake is masked by record_event's safety net
    record_event("tests.careless", system_actor="tests", message=f"mail {EMAIL} or {PHONE}")


def test_pii_never_reaches_the_audit_trail_or_the_log(person, lead, settings, json_log, caplog, requirement):
    caplog.set_level(logging.INFO)
    feed_pii_through_every_event_type(person, lead, settings, requirement)

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    expected = {
        "accounts.login",
        "accounts.mfa_verified",
        "accounts.user.updated",
        "accounts.logout",
        "accounts.login_failed",
        "accounts.mfa_failed",
        "accounts.locked_out",
        "accounts.unlocked",
        "accounts.permission_denied",
        "accounts.invitation_created",
        "audit.alarm.raised",
        "audit.alarm.notified",
        "audit.alarm.updated",
        "audit.logreview.created",
        "audit.canary.marked",
        "compliance.requirement.viewed",
        "download",
        "system.task_failed",
        "system.request_failed",
    }
    assert expected <= actions, expected - actions  # every kind of event really happened

    trail = everything_in_the_trail().lower()
    for needle in NEEDLES:
        assert needle.lower() not in trail, f"{needle!r} is in the audit trail"

    log_text = json_log.getvalue()
    assert log_text, "the JSON handler wrote nothing: the test would prove nothing"
    lines = [json.loads(line) for line in log_text.splitlines()]
    assert any(line["logger"] == "celery.app.trace" and "exception" in line for line in lines)  # the task failure was logged …
    for needle in NEEDLES:
        assert needle.lower() not in log_text.lower(), f"{needle!r} is in the JSON log"  # … without its message
        assert needle.lower() not in caplog.text.lower(), f"{needle!r} is in the captured log records"


def test_a_failed_task_is_recorded_with_its_name_and_exception_class_only(person):
    assert explode.delay(person.pk).failed()
    event = AuditEvent.objects.get(action="system.task_failed")
    assert (event.outcome, event.channel, event.actor_name) == ("failure", "task", "task:tests.audit.explode")
    assert event.message == "ValueError in tests.audit.explode"
    assert event.details["exception"] == "ValueError" and event.details["task"] == "tests.audit.explode"
    assert FIRST not in event.message + json.dumps(event.details)
