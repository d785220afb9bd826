"""``payouts_ledgermonth``: the ledger summed per vendor, month and currency, maintained by
the ledger writes themselves (see ``LedgerMonth``).

Statement-level ``AFTER`` triggers on ``payouts_revenueevent`` and ``payouts_commission``
read the statement's transition tables, group its rows by vendor, month (in the vendor's time
zone) and currency, and add the integer sums to the month's row in one ``INSERT … ON CONFLICT
DO UPDATE`` (``old`` rows subtract, ``new`` rows add): one set-based statement per write
statement, in the writer's transaction, so a rolled-back write leaves no trace and a
committed one is counted exactly once.

- revenue events: the attributed MRR of paid invoices (``kind = 'invoice_paid'`` with a
  partnership); insert, update (a late attribution sets ``partnership_id``) and delete;
- commissions: every commission but the reversed ones. Amount, currency and ``occurred_at``
  are frozen by the ledger guard, so an update changes the sum only when a commission moves
  into ``reversed``: payout-run status moves add nothing and touch no rollup row
  (``HAVING`` drops zero sums);
- a vendor's ``time_zone`` change recomputes its rows (``payouts_ledgermonth_rebuild``),
  the function ``manage.py ledger_months_rebuild`` calls. It locks the rollup table against
  the triggers' writes (SHARE ROW EXCLUSIVE) while it recomputes, so no concurrent write is
  lost or counted twice: a writer that already added waits to commit before the rebuild
  reads, one that has not yet added waits for the rebuild and then adds to the new rows.

Writes made with ``session_replication_role = replica`` (``bench_seed``, which skips every
trigger) are not counted: the seed rebuilds its vendors' rows at its end.
"""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

# Rows of one statement as (vendor_id, occurred_at, currency, mrr, commission) deltas.
_REVENUE = """SELECT vendor_id, occurred_at, currency, {sign} mrr_amount AS mrr, 0::bigint AS com
  FROM {rows} WHERE kind = 'invoice_paid' AND partnership_id IS NOT NULL"""
_COMMISSION = """SELECT vendor_id, occurred_at, currency, 0::bigint AS mrr, {sign} amount AS com
  FROM {rows} WHERE status <> 'reversed'"""
# The month a timestamp falls in, in its vendor's time zone (what the home page shows).
_MONTH = (
    "date_trunc('month', d.occurred_at AT TIME ZONE COALESCE(NULLIF(v.time_zone, ''), 'UTC'))::date"
)
_NEW_ID = "'lmo_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 22)"


def _add(deltas: str, slot: str, conflict: str) -> str:
    """Sum the deltas per vendor, month and currency into the rollup (sorted, so concurrent
    statements take the row locks in the same order)."""
    return f"""
INSERT INTO payouts_ledgermonth AS m (vendor_id, public_id, created_at, updated_at, month,
  currency, slot, mrr_amount, commission_amount)
SELECT d.vendor_id, {_NEW_ID}, now(), now(), {_MONTH}, d.currency, {slot},
       sum(d.mrr), sum(d.com)
FROM ({deltas}) d JOIN tenancy_vendor v ON v.id = d.vendor_id
GROUP BY d.vendor_id, {_MONTH}, d.currency
HAVING sum(d.mrr) <> 0 OR sum(d.com) <> 0
ORDER BY 1, 5, 6
{conflict}"""  # noqa: S608 -- constants only


_UPSERT = """ON CONFLICT (vendor_id, month, currency, slot) DO UPDATE
SET mrr_amount = m.mrr_amount + EXCLUDED.mrr_amount,
    commission_amount = m.commission_amount + EXCLUDED.commission_amount,
    updated_at = now()"""
# Concurrent writers of one vendor spread over 8 rows per month (see LedgerMonth).
_SLOT = "pg_backend_pid() % 8"


def _function(name: str, deltas: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_add(deltas, _SLOT, _UPSERT)};
  RETURN NULL;
END $$;"""


def _trigger(table: str, op: str, function: str, rows: str) -> str:
    name = f"{table}_ledgermonth_{op.lower()}"
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {rows}\n"
        f"  FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    )


def _both(template: str) -> str:
    return (
        template.format(sign="", rows="new_rows")
        + "\nUNION ALL\n"
        + template.format(sign="-", rows="old_rows")
    )


_REBUILD_DELTAS = (
    _REVENUE.format(sign="", rows="payouts_revenueevent").replace(
        "WHERE", "WHERE vendor_id = target AND"
    )
    + "\nUNION ALL\n"
    + _COMMISSION.format(sign="", rows="payouts_commission").replace(
        "WHERE", "WHERE vendor_id = target AND"
    )
)

SQL = "\n".join(
    [
        _function("payouts_ledgermonth_revenue_in", _REVENUE.format(sign="", rows="new_rows")),
        _function("payouts_ledgermonth_revenue_out", _REVENUE.format(sign="-", rows="old_rows")),
        _function("payouts_ledgermonth_revenue_update", _both(_REVENUE)),
        _function(
            "payouts_ledgermonth_commission_in", _COMMISSION.format(sign="", rows="new_rows")
        ),
        _function(
            "payouts_ledgermonth_commission_out", _COMMISSION.format(sign="-", rows="old_rows")
        ),
        # Only the commissions whose status moved into or out of ``reversed`` (the frozen
        # amount, currency and date cannot change): a payout run's moves cost one join of
        # the statement's rows and no rollup write.
        _function(
            "payouts_ledgermonth_commission_update",
            """SELECT n.vendor_id, n.occurred_at, n.currency, 0::bigint AS mrr,
       CASE WHEN n.status = 'reversed' THEN -o.amount ELSE n.amount END AS com
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE (o.status = 'reversed') <> (n.status = 'reversed')""",
        ),
        _trigger(
            "payouts_revenueevent",
            "INSERT",
            "payouts_ledgermonth_revenue_in",
            "NEW TABLE AS new_rows",
        ),
        _trigger(
            "payouts_revenueevent",
            "UPDATE",
            "payouts_ledgermonth_revenue_update",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        _trigger(
            "payouts_revenueevent",
            "DELETE",
            "payouts_ledgermonth_revenue_out",
            "OLD TABLE AS old_rows",
        ),
        _trigger(
            "payouts_commission",
            "INSERT",
            "payouts_ledgermonth_commission_in",
            "NEW TABLE AS new_rows",
        ),
        _trigger(
            "payouts_commission",
            "UPDATE",
            "payouts_ledgermonth_commission_update",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        _trigger(
            "payouts_commission",
            "DELETE",
            "payouts_ledgermonth_commission_out",
            "OLD TABLE AS old_rows",
        ),
        f"""
CREATE OR REPLACE FUNCTION payouts_ledgermonth_rebuild(target bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE payouts_ledgermonth IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM payouts_ledgermonth WHERE vendor_id = target;
{_add(_REBUILD_DELTAS, "0", "")};
END $$;

CREATE OR REPLACE FUNCTION payouts_ledgermonth_time_zone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM payouts_ledgermonth_rebuild(NEW.id);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS tenancy_vendor_ledgermonth_time_zone ON tenancy_vendor;
CREATE TRIGGER tenancy_vendor_ledgermonth_time_zone AFTER UPDATE OF time_zone ON tenancy_vendor
  FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
  EXECUTE FUNCTION payouts_ledgermonth_time_zone();
""",  # noqa: S608 -- constants only
    ]
)

REVERSE_SQL = (
    """
DROP TRIGGER IF EXISTS tenancy_vendor_ledgermonth_time_zone ON tenancy_vendor;
"""
    + "".join(
        f"DROP TRIGGER IF EXISTS {table}_ledgermonth_{op} ON {table};\n"
        for table in ("payouts_revenueevent", "payouts_commission")
        for op in ("insert", "update", "delete")
    )
    + "".join(
        f"DROP FUNCTION IF EXISTS payouts_ledgermonth_{name};\n"
        for name in (
            "revenue_in()",
            "revenue_out()",
            "revenue_update()",
            "commission_in()",
            "commission_out()",
            "commission_update()",
            "rebuild(bigint)",
            "time_zone()",
        )
    )
)


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0008_pending_straight_to_payout"),
        ("tenancy", "0002_vendor_require_mfa_for_owners"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.CharField(editable=False, max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("month", models.DateField()),
                ("currency", models.CharField(max_length=3)),
                ("slot", models.PositiveSmallIntegerField(default=0)),
                ("mrr_amount", models.BigIntegerField(default=0)),
                ("commission_amount", models.BigIntegerField(default=0)),
                (
                    "vendor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.vendor",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "base_manager_name": "objects_unscoped",
                "default_manager_name": "objects_unscoped",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("vendor", "public_id"),
                        name="payouts_ledgermonth_vendor_public_id_uniq",
                    ),
                    models.UniqueConstraint(
                        fields=("vendor", "month", "currency", "slot"),
                        name="payouts_ledgermonth_vendor_month_uniq",
                    ),
                ],
            },
            managers=[
                ("objects_unscoped", django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
