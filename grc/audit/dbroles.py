"""The two PostgreSQL roles of a production install (README "Database roles"): the GRANTs that
give the serving role what the portal needs and nothing that lets it rewrite the audit trail.

* the **owner** role runs ``manage.py migrate`` (and ``restore``) and owns every table;
* the **app** role runs gunicorn, the Celery worker and beat. It does not own the audit tables, is
  not a member of the owner role and is no superuser, so it cannot ``ALTER TABLE … DISABLE
  TRIGGER``, drop the trigger, or ``SET session_replication_role = replica``; the trigger of audit
  migration 0004 ignores ``grc.audit_unlock`` for it. It may DELETE audit events only up to the
  newest retention anchor (the purge), and holds no UPDATE or TRUNCATE on the trail at all.

``db_roles_sql`` only prints; a DBA runs it as the owner (tests/audit/test_db_roles.py runs it).
"""

from __future__ import annotations

import re

from grc.audit.models import AuditAnchor, AuditEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quote(identifier: str) -> str:
    """A double-quoted identifier; role, database and schema names are checked, not escaped."""
    if not ROLE_NAME.match(identifier):
        raise ValueError(f"{identifier!r} is not a plain PostgreSQL name (lower-case letters, digits, underscores)")
    return f'"{identifier}"'


def db_roles_sql(*, app_role: str, owner_role: str, database: str, schema: str = "public") -> str:
    """The statements, run as ``owner_role`` in ``database`` after ``migrate``."""
    app, owner, db, ns = quote(app_role), quote(owner_role), quote(database), quote(schema)
    if app == owner:
        raise ValueError("the app role must not be the owner role")
    events, anchors = quote(AuditEvent._meta.db_table), quote(AuditAnchor._meta.db_table)
    # Every name interpolated below passed ROLE_NAME or is a model's table: no injection.
    return f"""\
-- Run as {owner} (the role that runs manage.py migrate and owns the tables) in database {db}.
-- Create the app role first, without superuser or ownership, e.g.:
--   CREATE ROLE {app} LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- and never GRANT {owner} TO {app}. Re-run after a migrate that adds tables if the default
-- privileges below were not in place when it ran.
REVOKE CREATE ON SCHEMA {ns} FROM PUBLIC;
GRANT CONNECT ON DATABASE {db} TO {app};
GRANT USAGE ON SCHEMA {ns} TO {app};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {ns} TO {app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {ns} TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {ns} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {ns} GRANT USAGE, SELECT ON SEQUENCES TO {app};
-- The audit trail is append-only for the app role. DELETE stays for the retention purge: the
-- trigger allows it only up to the newest anchor. Anchors are only ever inserted.
REVOKE UPDATE, TRUNCATE, TRIGGER, REFERENCES ON {ns}.{events} FROM {app};
REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {ns}.{anchors} FROM {app};
-- Only migrate (the owner) writes the migration history.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {ns}."django_migrations" FROM {app};
"""  # noqa: S608  # nosec B608
