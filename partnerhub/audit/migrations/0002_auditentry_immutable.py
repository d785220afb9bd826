"""Make audit rows immutable in the database itself, not only in the application.

A trigger refuses every UPDATE and DELETE of ``audit_auditentry`` with SQLSTATE 23001
(restrict_violation, which Django raises as ``IntegrityError``), whoever sends it: the ORM,
raw SQL, the Django admin or a psql session. Two narrow exceptions, both decided on purpose:

* deleting a *user* nulls ``actor_user_id`` (the FK is ``SET_NULL``): an UPDATE that changes
  nothing but ``actor_user_id`` to NULL is allowed, so people can still be deleted; the entry
  keeps ``actor_label`` and every other column;
* purging a whole vendor (``partnerhub.tenancy.services.vendor_delete``) sets the transaction
  setting ``partnerhub.audit_purge_vendor`` to that vendor's id with ``SET LOCAL``; only that
  vendor's rows may then be deleted, and only in that transaction.

TRUNCATE is not covered (it needs table ownership, which the application role does not have
in production, and the test runner flushes tables with it).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditentry_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.actor_user_id IS NOT NULL AND NEW.actor_user_id IS NULL
           AND (to_jsonb(NEW) - 'actor_user_id') = (to_jsonb(OLD) - 'actor_user_id') THEN
            RETURN NEW;  -- the actor's user account was deleted (FK SET NULL)
        END IF;
        RAISE EXCEPTION 'audit entries are immutable: UPDATE of % refused', OLD.public_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF current_setting('partnerhub.audit_purge_vendor', true) = OLD.vendor_id::text THEN
        RETURN OLD;  -- the whole vendor is being purged, in this transaction
    END IF;
    RAISE EXCEPTION 'audit entries are immutable: DELETE of % refused', OLD.public_id
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_auditentry_immutable
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditentry_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
