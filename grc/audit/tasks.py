"""Celery entry points of the audit trail: alarm rules, alarm emails, retention and verification.

Each task is thin: it calls one service with ``now`` and returns a count.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from grc.audit.alarms import alarm_notify, alarms_notify_missed
from grc.audit.chain import chain_verify_record
from grc.audit.checkpoints import audit_checkpoint_write
from grc.audit.hooks import housekeeping_done
from grc.audit.retention import purge_expired
from grc.audit.rules import evaluate
from grc.audit.witness import witness_configured


@shared_task(name="grc.audit.tasks.evaluate_alarms")
def evaluate_alarms() -> int:
    """Every minute: evaluate the rate rules over their windows and send missed alarm emails;
    returns how many alarms were raised (the same rules also run at once on each watched event)."""
    now = timezone.now()
    raised = len(evaluate(now=now))
    alarms_notify_missed(now=now)
    return raised


@shared_task(name="grc.audit.tasks.notify_alarm", autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def notify_alarm(alarm_id: int) -> bool:
    """Email the security leads about one alarm (queued after the alarm's transaction commits)."""
    return alarm_notify(alarm_id=alarm_id, now=timezone.now())


@shared_task(name="grc.audit.tasks.purge_expired_events")
def purge_expired_events() -> int:
    """Daily: purge events past ``AUDIT_RETENTION_DAYS`` that books and records (DPP 3) no longer
    keep, through the audited path (``grc.audit.retention``), then verify the whole chain (the purge must leave it whole;
    the hourly checkpoints verify only what is new) and tell ``housekeeping_done``'s receivers (the
    log-review obligation is made sure of there, ``grc.oversight``). Returns how many events were purged."""
    now = timezone.now()
    purged = purge_expired(now=now)
    chain_verify_record(now=timezone.now(), system_actor="task:purge_expired_events", full=True)  # a full walk daily
    housekeeping_done.send(sender=purge_expired_events, now=now)
    return purged


@shared_task(name="grc.audit.tasks.verify_chain")
def verify_chain(requested_by: int | None = None) -> bool:
    """Verify the chain now (the viewer's "Verify now" button); the result is an audit event."""
    actor = f"task:verify_chain:user-{requested_by}" if requested_by else "task:verify_chain"
    return chain_verify_record(now=timezone.now(), system_actor=actor).ok


@shared_task(name="grc.audit.tasks.write_checkpoint")
def write_checkpoint() -> int | None:
    """Hourly: verify the events since the last checkpoint and append the chain head to the witness
    outside the database (``AUDIT_CHECKPOINT_DIR``); returns the head id written. Without a witness
    configured it does nothing."""
    if witness_configured() is None:
        return None
    return audit_checkpoint_write(now=timezone.now()).head_id
