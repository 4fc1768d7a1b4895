"""Helpers for the audit trail's tests: events, tampering the documented way, requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from grc.audit.models import AuditEvent
from grc.audit.retention import audit_unlock
from grc.audit.services import record_event

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
TABLE = AuditEvent._meta.db_table


def events(count: int, action: str = "tests.thing.changed", **kwargs) -> list[AuditEvent]:
    return [record_event(action, system_actor="tests", object_type="tests.thing", object_id=str(i), **kwargs) for i in range(count)]


def tamper(sql: str, params: list) -> None:
    """Run an UPDATE/DELETE/INSERT on the events table past the append-only guards: on PostgreSQL
    the trigger is unlocked the one documented way (``audit_unlock``, SET LOCAL);
    on SQLite the guards are in the application, so raw SQL passes."""
    with transaction.atomic(), audit_unlock(), connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", TABLE), params)


def bump_id_sequence(by: int) -> None:
    """Leave a gap in the ids, so a forged row can be inserted between two real ones."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), (SELECT max(id) FROM {TABLE}) + %s)", [by])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [by, TABLE])


def web_request(user=None, *, ip: str = "198.51.100.20", path: str = "/incidents/1/"):
    request = RequestFactory().get(path, REMOTE_ADDR=ip)
    if user is not None:
        request.user = user
    return request


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def requirement(db):
    """A DPP clause to view (any record would do). Loaded here as well as by the migration: a
    transactional test elsewhere may have flushed the migration's rows."""
    from grc.compliance.models import Requirement
    from grc.compliance.requirements import load_requirements

    load_requirements(Requirement)
    return Requirement.objects.get(clause="1.1")
