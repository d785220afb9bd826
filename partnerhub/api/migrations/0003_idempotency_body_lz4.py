"""Stored responses are compressed with lz4 instead of pglz.

A 1,000-event bulk response is ~110 KB of JSON; written into ``response_body`` at the end of
every keyed request, pglz took 2.7-5 ms to compress it and lz4 1.8-2 ms for the same stored
size (~34 KB). A server built without lz4 keeps pglz (the statement is skipped)."""

from django.db import migrations

_SET = """
DO $$
BEGIN
  ALTER TABLE api_idempotencyrecord ALTER COLUMN response_body SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0002_idempotencyrecord_vendorapisettings")]

    operations = [
        migrations.RunSQL(sql=_SET.format(method="lz4"), reverse_sql=_SET.format(method="pglz"))
    ]
