"""Set up and read back a private portal database from a subprocess (tests/faults/conftest.py).

    python -m tests.faults.remote <command> '<json arguments>'

prints one JSON line. The fault tests use it because their web servers and workers run on a
database this test process has no ORM connection to.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta


def users(*, prefix: str, roles: list[str], password: str = "") -> dict:
    """One user per role, each with a confirmed TOTP device and a signed-in, MFA-verified session."""
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from grc.accounts.models import User

    made = {}
    for role in roles:
        user = User.objects.create_user(
            username=f"{prefix}{role.replace('_', '')}",
            email=f"{prefix}.{role}@example.test",
            first_name="Fault",
            last_name="Tester",
            role=role,
            is_staff=role == "security_lead",
            access_expires_at=timezone.now() + timedelta(days=30) if role == "auditor" else None,
            password=password or None,
        )
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        made[role] = {"id": user.pk, "username": user.username, "email": user.email, "session": session.session_key}
    return made


def obligation(*, owner: int, due_at: str, kind: str = "access_reviews.quarterly_review") -> dict:
    from grc.compliance.cadences import cadence_for
    from grc.compliance.models import Obligation

    due = datetime.fromisoformat(due_at)
    cadence = cadence_for(kind)
    row = Obligation.objects.create(
        kind=kind,
        clause=cadence.clause,
        title=cadence.title,
        owner_id=owner,
        subject_type="tests.faults",
        subject_id=due_at,
        anchor_at=due - timedelta(days=1),
        due_at=due,
    )
    return {"id": row.pk}


def reminders(*, obligation: int) -> list[dict]:
    from grc.compliance.models import Reminder

    rows = Reminder.objects.filter(obligation_id=obligation).order_by("pk")
    return [
        {"milestone": r.milestone, "status": r.status, "attempts": r.attempts, "delivered_to": r.delivered_to, "error": r.last_error}
        for r in rows
    ]


def sweep(*, now: str) -> dict:
    from grc.compliance.reminders import sweep as run

    report = run(now=datetime.fromisoformat(now))
    return {"sent": report.sent_count, "failed": len(report.failed)}


def outbox() -> dict:
    from grc.models import OutboxMessage

    rows = list(OutboxMessage.objects.order_by("pk").values("task", "attempts", "last_error", "sent_at"))
    return {
        "pending": sum(1 for row in rows if row["sent_at"] is None),
        "sent": sum(1 for row in rows if row["sent_at"] is not None),
        "rows": [{**row, "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None} for row in rows],
    }


def events(*, action: str = "", after: int = 0) -> dict:
    from grc.audit.models import AuditEvent

    rows = AuditEvent.objects.filter(id__gt=after)
    if action:
        rows = rows.filter(action=action)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return {"count": rows.count(), "last_id": last, "actions": sorted(set(rows.values_list("action", flat=True)))}


def chain() -> dict:
    from grc.audit.chain import chain_verify

    return chain_verify().as_dict()


def locked(*, username: str) -> dict:
    from axes.models import AccessAttempt

    return {"failures": sum(AccessAttempt.objects.filter(username=username).values_list("failures_since_start", flat=True))}


def values(*, model: str, pk: int, fields: list[str]) -> dict:
    """Some fields of one row, as text (times in ISO format to the microsecond)."""
    from django.apps import apps

    row = apps.get_model(model)._base_manager.get(pk=pk)
    return {
        name: getattr(row, name).isoformat() if hasattr(getattr(row, name), "isoformat") else str(getattr(row, name)) for name in fields
    }


COMMANDS = {f.__name__: f for f in (users, obligation, reminders, sweep, outbox, events, chain, locked, values)}


def main() -> None:
    import django

    django.setup()
    command, arguments = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    result = COMMANDS[command](**arguments)
    sys.stdout.write("\n" + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
