"""Two database roles: the app role that serves the portal cannot rewrite the audit trail.

The PostgreSQL tests create a real LOGIN role, give it exactly what ``manage.py db_roles
--print-sql`` prints (run as the test database's owner), connect as it and try every bypass:
TRUNCATE, deleting the newest events (also with the old ``grc.audit_unlock`` setting), disabling
the trigger, ``session_replication_role``, and shadowing the anchors with a temporary table. The
retention purge still runs as that role. Roles are cluster-wide, so each test's name is random.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from grc.audit.chain import chain_verify
from grc.audit.dbroles import db_roles_sql
from grc.audit.models import AuditAnchor, AuditEvent
from grc.audit.retention import events_purge
from grc.audit.services import record_event
from tests.audit.conftest import NOW, TABLE, events

postgresql_only = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),  # the role's own connection must see committed rows and grants
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database roles and the trigger need PostgreSQL (DATABASE_URL=postgres://...)"
    ),
]
ANCHORS = AuditAnchor._meta.db_table


def test_the_command_prints_the_grants_for_the_app_role():
    out = StringIO()
    call_command("db_roles", "--print-sql", "--app-role", "dpp_app", "--owner-role", "dpp_owner", "--database", "dpp", stdout=out)
    sql = out.getvalue()
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "dpp_app";' in sql
    assert f'REVOKE UPDATE, TRUNCATE, TRIGGER, REFERENCES ON "public"."{TABLE}" FROM "dpp_app";' in sql
    assert f'REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON "public"."{ANCHORS}" FROM "dpp_app";' in sql
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "dpp_owner"' in sql


@pytest.mark.parametrize("name", ["dpp_app; DROP TABLE x", 'a"b', "Upper"])
def test_the_command_refuses_names_that_would_need_escaping(name):
    with pytest.raises(CommandError, match="not a plain PostgreSQL name"):
        call_command("db_roles", "--print-sql", "--app-role", name, "--owner-role", "dpp_owner", "--database", "dpp", stdout=StringIO())
    with pytest.raises(ValueError, match="must not be the owner"):
        db_roles_sql(app_role="same", owner_role="same", database="dpp")


@pytest.fixture
def app_role():
    """A LOGIN role with the printed privileges and a connection as it (autocommit)."""
    import psycopg

    name, password = f"test_dpp_app_{secrets.token_hex(4)}", secrets.token_hex(16)
    database = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB NOCREATEROLE")
        cursor.execute(db_roles_sql(app_role=name, owner_role=database["USER"], database=database["NAME"]))
    role = psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        dbname=database["NAME"],
        user=name,
        password=password,
        autocommit=True,
    )
    role.name = name
    try:
        yield role
    finally:
        role.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def refused(role, sql: str, params=(), *, match: str) -> None:
    import psycopg

    with pytest.raises(psycopg.Error, match=match):
        with role.transaction():
            role.execute(sql, params)


class TestTheAppRole:
    pytestmark = postgresql_only

    def test_it_cannot_truncate_the_trail_not_even_with_the_privilege_granted(self, app_role):
        made = events(3)
        refused(app_role, f"TRUNCATE {TABLE}", match="permission denied")
        with connection.cursor() as cursor:  # a too-broad GRANT ALL: the trigger still refuses
            cursor.execute(f"GRANT TRUNCATE ON {TABLE}, {ANCHORS} TO {app_role.name}")
        refused(app_role, f"TRUNCATE {TABLE}", match="append-only: TRUNCATE")
        refused(app_role, f"TRUNCATE {ANCHORS}", match="append-only: TRUNCATE")
        assert AuditEvent.objects.count() == 3 and chain_verify().head_id == made[-1].pk

    def test_it_cannot_delete_the_newest_events_even_with_the_unlock_setting(self, app_role):
        made = events(3)
        refused(app_role, f"DELETE FROM {TABLE} WHERE id = %s", [made[-1].pk], match="append-only")
        import psycopg

        with pytest.raises(psycopg.Error, match="append-only"), app_role.transaction():
            app_role.execute("SET LOCAL grc.audit_unlock = 'on'")  # accepted: any role may set a custom setting …
            app_role.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [made[1].pk])  # … and it no longer unlocks anything
        refused(app_role, f"UPDATE {TABLE} SET message = 'x' WHERE id = %s", [made[0].pk], match="permission denied")
        assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == [e.pk for e in made]

    def test_it_cannot_disable_the_trigger_or_replication(self, app_role):
        events(1)
        refused(app_role, f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL", match="must be owner")
        refused(app_role, f"DROP TRIGGER audit_event_append_only ON {TABLE}", match="must be owner")
        refused(app_role, "SET session_replication_role = replica", match="permission denied")
        refused(
            app_role,
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS 'BEGIN RETURN OLD; END' LANGUAGE plpgsql",
            match="permission denied for schema|must be owner",
        )

    def test_a_temporary_table_cannot_stand_in_for_the_anchors(self, app_role):
        made = events(2)
        import psycopg

        with pytest.raises(psycopg.Error, match="append-only"), app_role.transaction():
            app_role.execute(f"CREATE TEMP TABLE {ANCHORS} (id bigint, last_purged_id bigint)")
            app_role.execute(f"INSERT INTO {ANCHORS} VALUES (1, 1000000000)")  # pg_temp comes first on the search path
            app_role.execute(f"DELETE FROM {TABLE} WHERE id = %s", [made[-1].pk])
        assert AuditEvent.objects.count() == 2

    def test_it_cannot_change_or_remove_an_anchor(self, app_role, settings):
        settings.AGREEMENT_ENDED_ON = "2020-01-01"
        record_event("tests.old.changed", system_actor="tests", occurred_at=NOW - timedelta(days=400))
        events(1)
        anchor = events_purge(before=NOW - timedelta(days=300), now=NOW)
        refused(app_role, f"UPDATE {ANCHORS} SET last_purged_id = 1000000000 WHERE id = %s", [anchor.pk], match="permission denied")
        refused(app_role, f"DELETE FROM {ANCHORS} WHERE id = %s", [anchor.pk], match="permission denied")
        with connection.cursor() as cursor:
            cursor.execute(f"GRANT UPDATE, DELETE ON {ANCHORS} TO {app_role.name}")
        refused(app_role, f"UPDATE {ANCHORS} SET last_purged_id = 1000000000 WHERE id = %s", [anchor.pk], match="append-only")
        refused(app_role, f"DELETE FROM {ANCHORS} WHERE id = %s", [anchor.pk], match="append-only")

    def test_the_retention_purge_still_runs_as_the_app_role(self, app_role, settings):
        settings.AGREEMENT_ENDED_ON = "2020-01-01"
        old = [record_event("tests.old.changed", system_actor="tests", occurred_at=NOW - timedelta(days=400)) for _ in range(3)]
        kept = events(2)
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {app_role.name}")
        try:
            anchor = events_purge(before=NOW - timedelta(days=300), now=NOW)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
        assert (anchor.purged_count, anchor.last_purged_id) == (3, old[-1].pk)
        assert not AuditEvent.objects.filter(action="tests.old.changed").exists()
        assert chain_verify(now=NOW).ok
        refused(app_role, f"DELETE FROM {TABLE} WHERE id = %s", [kept[-1].pk], match="append-only")  # only up to the anchor
