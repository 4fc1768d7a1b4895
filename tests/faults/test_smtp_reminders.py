"""SMTP failing: reminders are retried, none lost, none doubled (DESIGN: exactly-once reminders).

The mail server is real (tests/faults/smtp.py on loopback) and the portal talks to it through
Django's SMTP backend; the sweep (grc.compliance.reminders) is not mocked. Time is an argument
of the sweep, so "later" is a later ``now``, never a sleep.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from grc.compliance.models import DeliveryStatus, Reminder
from grc.compliance.reminders import LEASE, backoff, sweep
from tests.compliance.conftest import make_obligation
from tests.faults.smtp import SmtpServer

pytestmark = pytest.mark.django_db
DUE = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
BEFORE = DUE - timedelta(days=2)  # the -3d milestone is reached: one reminder to the owner


@pytest.fixture(autouse=True)
def owner_reminders_only(settings, clean_registry):
    """Only the obligations made here, and no daily digest in the way."""
    clean_registry._providers.clear()
    settings.REMINDER_DIGEST_HOUR = 24


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_a_mail_server_that_is_down_loses_no_reminder_and_sends_it_once_when_back(smtp, settings, manager):
    obligation = make_obligation(due_at=DUE, owner=manager)
    settings.EMAIL_PORT = closed_port()
    report = sweep(now=BEFORE)
    reminder = Reminder.objects.get(obligation=obligation)
    assert report.sent_count == 0 and report.failed
    assert (reminder.status, reminder.attempts, reminder.last_error) == (DeliveryStatus.FAILED, 1, "ConnectionRefusedError")
    assert sweep(now=BEFORE + timedelta(minutes=1)).sent_count == 0  # still inside the backoff: not hammered

    settings.EMAIL_PORT = smtp.port  # the server is back
    assert sweep(now=BEFORE + backoff(1)).sent_count == 1
    for minutes in (1, 60, 600):  # later sweeps send nothing more
        assert sweep(now=BEFORE + backoff(1) + timedelta(minutes=minutes)).sent_count == 0
    assert smtp.recipients() == [manager.email]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.SENT, 2)


@pytest.mark.parametrize("mode", ["drop", "tempfail"])
def test_a_server_that_hangs_up_or_defers_is_retried_until_the_reminder_goes(smtp, manager, mode):
    make_obligation(due_at=DUE, owner=manager)
    smtp.mode = mode
    moment = BEFORE
    for attempt in range(1, 4):  # three failed attempts, each after its backoff
        sweep(now=moment)
        assert Reminder.objects.get().attempts == attempt
        moment += backoff(attempt)
    assert smtp.recipients() == []
    smtp.mode = "ok"
    assert sweep(now=moment).sent_count == 1
    assert smtp.recipients() == [manager.email]
    assert Reminder.objects.count() == 1


def test_a_partly_refused_reminder_is_retried_only_to_whom_it_did_not_reach(smtp, manager, lead):
    """At breach the owner and the security lead are told; the server refuses the lead's mailbox."""
    obligation = make_obligation(due_at=DUE, owner=manager)
    smtp.mode, smtp.refused = "refuse", {lead.email.lower()}
    sweep(now=DUE)
    reminder = Reminder.objects.get(obligation=obligation, milestone="breach")
    assert reminder.status == DeliveryStatus.FAILED
    assert reminder.delivered_to == [manager.pk]
    smtp.refused = set()
    assert sweep(now=DUE + backoff(1)).sent_count == 1
    assert sorted(smtp.recipients()) == sorted([manager.email.lower(), lead.email.lower()])  # each once
    assert sweep(now=DUE + timedelta(hours=6)).sent_count == 0
    assert len(smtp.recipients()) == 2


def test_a_sender_that_died_mid_send_is_retried_after_its_lease_and_not_doubled(smtp, manager):
    """A claimed row left ``pending`` (the worker was killed while talking to the server) is taken
    up again only when its lease has passed; until then other sweeps leave it alone."""
    obligation = make_obligation(due_at=DUE, owner=manager)
    Reminder.objects.create(
        obligation=obligation, milestone="-3d", offset=timedelta(days=3), status=DeliveryStatus.PENDING, next_attempt_at=BEFORE + LEASE
    )
    assert sweep(now=BEFORE + timedelta(minutes=1)).sent_count == 0
    assert smtp.recipients() == []
    assert sweep(now=BEFORE + LEASE).sent_count == 1
    assert sweep(now=BEFORE + LEASE + timedelta(minutes=5)).sent_count == 0
    assert smtp.recipients() == [manager.email]
