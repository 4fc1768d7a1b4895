"""PostgreSQL refuses UPDATE and DELETE on the audit events table (DPP 2.6: logs protected from
tampering); on SQLite this migration does nothing and the application refuses instead
(``AuditEventQuerySet``, ``AuditEvent.save/delete``).

The one way past the trigger is ``grc.audit.retention.audit_unlock()``, i.e.
``SET LOCAL grc.audit_unlock = 'on'`` around the statement inside a transaction (switched off
again after it; ``SET LOCAL`` ends with the transaction anyway); the retention purge uses it and
writes an anchor and an audit event in the same transaction. (A database owner can still drop
the trigger: the hash chain and ``verify_audit_log`` detect what that would allow.)
"""

from django.db import migrations

CREATE = """
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

DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def run_on_postgresql(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: the % in the function body is literal

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_alarms_canaries_log_reviews"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP), elidable=False),
    ]
