"""PostgreSQL: the audit trail refuses TRUNCATE too, its anchors are append-only, and the app role
can no longer unlock it with a setting it may set freely.

Migration 0003 let any session past the trigger with ``SET LOCAL grc.audit_unlock = 'on'`` — and
any role may set a custom setting, so the app's own role could delete the newest events. Now:

* **DELETE** of an event is allowed only up to the newest ``AuditAnchor``'s ``last_purged_id``:
  the retention purge writes the anchor first (grc.audit.retention), so deleting leaves an
  append-only record that ``verify_audit_log`` and the checkpoints judge. Any other DELETE and
  every UPDATE is refused.
* **TRUNCATE** (which fires no row trigger) is refused by a statement trigger, on both tables.
* **Anchors** cannot be updated, deleted or truncated (the DELETE rule reads them).
* ``grc.audit_unlock`` is honoured only for a role with the table owner's rights (the owner, a
  member of it, a superuser) — who could ``ALTER TABLE … DISABLE TRIGGER`` anyway. Tests tamper
  that way; the app role (README "Database roles") gets nothing from it. TRUNCATE by such a role
  passes too: Django's ``flush`` (test teardown, ``manage.py restore``) truncates every table in
  one statement and cannot set the setting; the checkpoints detect an emptied trail.

The anchors table is named with the trigger's own schema, never looked up on the search path:
otherwise the app role could shadow it with a temporary table of its own.

On SQLite this migration does nothing: the application refuses instead (``AuditEventQuerySet``).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
DECLARE
    privileged boolean := pg_catalog.pg_has_role(
        current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER');
    boundary bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF privileged THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit trail is append-only: TRUNCATE of % refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF privileged AND coalesce(current_setting('grc.audit_unlock', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent' THEN
        EXECUTE format('SELECT last_purged_id FROM %I.audit_auditanchor ORDER BY id DESC LIMIT 1', TG_TABLE_SCHEMA)
            INTO boundary;
        IF boundary IS NOT NULL AND OLD.id <= boundary THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused (audit events are append-only; use the audited retention purge)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_anchor_append_only
    BEFORE UPDATE OR DELETE ON audit_auditanchor
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_anchor_no_truncate
    BEFORE TRUNCATE ON audit_auditanchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""

# Back to migration 0003's trigger (the setting unlocks for every role; TRUNCATE passes).
DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_anchor_append_only ON audit_auditanchor;
DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON audit_auditanchor;
DROP FUNCTION IF EXISTS audit_append_only();

CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('grc.audit_unlock', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused (use the audited retention purge)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def run_on_postgresql(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: the % in the function body is literal

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_trigger"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP), elidable=False),
    ]
