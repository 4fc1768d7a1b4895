"""Packs that finish or say why (issue 21): the lease rules of ``grc.jobs`` under time_machine,
and the claim, heartbeat, fencing, sweep and retry of ``grc.evidence.services.packs`` on the
database. A real worker killed mid-build is tests/faults/test_pack_worker_killed.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.models import EvidencePack, PackStatus
from grc.evidence.services import packs as services
from grc.jobs import LeasePolicy, attempts_exhausted, claimable, lease_expired, seconds_left

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = LeasePolicy(seconds=300, max_attempts=3, waiting="queued", running="building")


# --- pure rules ---------------------------------------------------------------------------------
def test_a_lease_holds_until_its_end_and_not_a_moment_longer():
    with time_machine.travel(T0, tick=False):
        expires = POLICY.expires(timezone.now())
        assert expires == T0 + timedelta(seconds=300)
        assert not lease_expired(expires, timezone.now())
        assert seconds_left(expires, timezone.now()) == 300
    with time_machine.travel(T0 + timedelta(seconds=299), tick=False):
        assert not lease_expired(expires, timezone.now()) and seconds_left(expires, timezone.now()) == 1
    with time_machine.travel(T0 + timedelta(seconds=300), tick=False):
        assert lease_expired(expires, timezone.now()) and seconds_left(expires, timezone.now()) == 0


def test_who_may_claim_a_job():
    live, dead = T0 + timedelta(seconds=1), T0 - timedelta(seconds=1)
    assert claimable("queued", None, T0, POLICY)
    assert not claimable("building", live, T0, POLICY)  # a worker holds it
    assert claimable("building", dead, T0, POLICY)  # its worker stopped renewing
    assert claimable("building", None, T0, POLICY)  # a row from before leases: abandoned
    assert not claimable("ready", dead, T0, POLICY) and not claimable("failed", None, T0, POLICY)
    assert [attempts_exhausted(n, POLICY) for n in (0, 2, 3, 4)] == [False, False, True, True]


# --- on the database ------------------------------------------------------------------------------
def queued_pack(lead) -> EvidencePack:
    today = T0.date()
    return services.pack_request(
        period_start=today - timedelta(days=5), period_end=today, clauses=["3"], include_zip=False, by=lead, now=T0, queue=False
    )


def row(pack) -> EvidencePack:
    return EvidencePack.objects.get(pk=pack.pk)


@pytest.fixture
def lease(settings):
    settings.EVIDENCE_PACK_LEASE_SECONDS = 300
    settings.EVIDENCE_PACK_MAX_ATTEMPTS = 3


@pytest.mark.django_db
def test_a_claim_is_taken_once_and_taken_again_only_after_the_lease_ran_out(lead, lease):
    with time_machine.travel(T0, tick=False):
        pack = queued_pack(lead)
        assert services.pack_claim(pack.pk, timezone.now()) == 1
        assert services.pack_claim(pack.pk, timezone.now()) is None  # the second worker loses
        claimed = row(pack)
        assert (claimed.status, claimed.attempts, claimed.lease_expires_at) == (PackStatus.BUILDING, 1, T0 + timedelta(seconds=300))
    with time_machine.travel(T0 + timedelta(seconds=299), tick=False):
        assert services.pack_claim(pack.pk, timezone.now()) is None
        assert services.pack_lease_wait(pack.pk, timezone.now()) == 2  # the redelivered task comes back then
    with time_machine.travel(T0 + timedelta(seconds=300), tick=False):
        assert services.pack_claim(pack.pk, timezone.now()) == 2  # the worker died: rebuilt from the start
        again = row(pack)
        assert (again.attempts, again.progress, again.step) == (2, 1, "Starting (attempt 2 of 3)")


@pytest.mark.django_db
def test_each_progress_report_renews_the_lease_and_a_fenced_worker_stops(lead, lease):
    with time_machine.travel(T0, tick=False) as clock:
        pack = queued_pack(lead)
        attempt = services.pack_claim(pack.pk, timezone.now())
        write = services._progress_writer(pack.pk, attempt)
        clock.shift(240)
        write(40, "Collecting DPP 3")
        renewed = row(pack)
        assert (renewed.progress, renewed.step, renewed.heartbeat_at) == (40, "Collecting DPP 3", T0 + timedelta(seconds=240))
        assert renewed.lease_expires_at == T0 + timedelta(seconds=540)
        clock.shift(600)  # the worker hung: no report, the lease ran out, another worker took it
        assert services.pack_claim(pack.pk, timezone.now()) == attempt + 1
        with pytest.raises(services.LeaseLost):
            write(62, "Rendering the PDF")
        assert row(pack).progress == 1  # the old worker wrote nothing


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_while_rendering_stores_nothing(lead, lease, monkeypatch):
    real_assemble = services.assemble

    def slow_assemble(**kwargs):
        built = real_assemble(**kwargs)
        # while this worker rendered, its lease ran out and the sweep queued the pack again
        EvidencePack.objects.filter(pk=pack.pk).update(status=PackStatus.QUEUED, lease_expires_at=None)
        return built

    monkeypatch.setattr(services, "assemble", slow_assemble)
    pack = queued_pack(lead)
    result = services.pack_build(pack_id=pack.pk)
    assert result.status == PackStatus.QUEUED and not result.pdf and not result.pdf_sha256
    assert not AuditEvent.objects.filter(action__in=["evidence.pack.built", "evidence.pack.failed"], object_id=str(pack.pk)).exists()
    monkeypatch.setattr(services, "assemble", real_assemble)
    built = services.pack_build(pack_id=pack.pk)  # the next worker builds it, once
    assert (built.status, built.attempts, built.progress) == (PackStatus.READY, 2, 100) and built.lease_expires_at is None
    assert AuditEvent.objects.filter(action="evidence.pack.built", object_id=str(pack.pk)).count() == 1


@pytest.mark.django_db
def test_the_sweep_queues_an_abandoned_pack_again_and_it_is_built_once(lead, lease, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        pack = queued_pack(lead)
        services.pack_claim(pack.pk, timezone.now())  # ... and the worker was SIGKILLed
        clock.shift(299)
        assert services.packs_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert services.packs_sweep(timezone.now()) == {"requeued": 1, "failed": 0}
        waiting = row(pack)
        assert (waiting.status, waiting.attempts, waiting.lease_expires_at) == (PackStatus.QUEUED, 1, None)
        assert waiting.step == "Waiting for a worker: the last one stopped (attempt 2 of 3)"
        assert AuditEvent.objects.filter(action="evidence.pack.requeued", object_id=str(pack.pk)).count() == 1
        assert len(callbacks) == 1  # the build task is published after the commit
        for callback in callbacks:
            callback()  # eager in tests: the task runs here
    built = row(pack)
    assert (built.status, built.attempts) == (PackStatus.READY, 2) and built.pdf_sha256
    assert services.packs_sweep(timezone.now()) == {"requeued": 0, "failed": 0}
    assert AuditEvent.objects.filter(action="evidence.pack.built", object_id=str(pack.pk)).count() == 1


@pytest.mark.django_db
def test_after_the_last_attempt_the_pack_fails_with_the_reason(lead, lease):
    with time_machine.travel(T0, tick=False) as clock:
        pack = queued_pack(lead)
        for attempt in (1, 2, 3):
            assert services.pack_claim(pack.pk, timezone.now()) == attempt
            clock.shift(301)  # each worker dies
        assert services.pack_claim(pack.pk, timezone.now()) is None  # the redelivered task gives up …
        failed = row(pack)
    assert failed.status == PackStatus.FAILED and failed.attempts == 3
    assert failed.failure.startswith("The worker building it stopped 3 times before it finished")
    assert "Retry it" in failed.failure
    event = AuditEvent.objects.get(action="evidence.pack.failed", object_id=str(pack.pk))
    assert event.details == {"attempts": 3, "reason": "worker_lost"} and event.outcome == "failure"
    assert services.packs_sweep(T0 + timedelta(days=1)) == {"requeued": 0, "failed": 0}  # … once


@pytest.mark.django_db
def test_the_sweep_fails_a_pack_whose_last_worker_died(lead, lease):
    with time_machine.travel(T0, tick=False) as clock:
        pack = queued_pack(lead)
        EvidencePack.objects.filter(pk=pack.pk).update(attempts=2)
        services.pack_claim(pack.pk, timezone.now())
        clock.shift(301)
        assert services.packs_sweep(timezone.now()) == {"requeued": 0, "failed": 1}
    assert row(pack).status == PackStatus.FAILED


@pytest.mark.django_db
def test_an_error_fails_the_pack_at_once_with_words(lead, lease, monkeypatch):
    def broken(**kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(services, "assemble", broken)
    pack = services.pack_build(pack_id=queued_pack(lead).pk)
    assert pack.status == PackStatus.FAILED and pack.attempts == 1
    assert (
        pack.failure == "The build stopped with an error (ZeroDivisionError). Retry it; if it fails again, tell the portal's administrator."
    )
    assert "boom" not in pack.failure


@pytest.mark.django_db
def test_retry_is_for_the_lead_or_the_requester_and_is_audited(lead, auditor, make_user, lease, django_capture_on_commit_callbacks):
    from grc.accounts.models import Role

    pack = queued_pack(lead)
    EvidencePack.objects.filter(pk=pack.pk).update(status=PackStatus.FAILED, attempts=3, failure="The worker building it stopped 3 times")
    pack.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.pack_retry(pack=pack, by=auditor, now=timezone.now())
    other_lead = make_user("sam.okafor", Role.SECURITY_LEAD)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.pack_retry(pack=pack, by=other_lead, now=timezone.now())
    assert (queued.status, queued.attempts, queued.failure) == (PackStatus.QUEUED, 0, "")  # a fresh count of attempts
    again = row(pack)
    assert (again.status, again.attempts) == (PackStatus.READY, 1)  # eager in tests: built once committed
    event = AuditEvent.objects.get(action="evidence.pack.retried", object_id=str(pack.pk))
    assert event.actor_id == other_lead.pk and event.details["previous_attempts"] == 3
    with pytest.raises(ValidationError):
        services.pack_retry(pack=again, by=lead, now=timezone.now())  # only a failed pack


def test_beat_runs_the_sweep_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["pack-leases"]
    assert entry == {"task": "grc.evidence.tasks.sweep_pack_leases", "schedule": 60.0}
    assert django_settings.CELERY_TASK_ACKS_LATE and django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST
