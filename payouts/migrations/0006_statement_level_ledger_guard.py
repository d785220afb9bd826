"""The commission guard checks a whole UPDATE statement at once instead of row by row.

Same rules as ``0002_ledger_triggers`` (which it replaces for UPDATE on commissions): every
column but ``status``, ``payout`` and ``updated_at`` is frozen; ``status`` moves only
pending → available → in_payout → paid, pending|available → reversed, in_payout → available;
``payout`` changes only together with ``in_payout`` (set) or a failed payout (cleared).
One set-based check over the statement's transition tables (``old_rows`` / ``new_rows``)
replaces one PL/pgSQL call per row, which is what a payout run pays for each of the
thousands of commissions it moves. A violation still aborts the whole statement with the
same message and SQLSTATE, so nothing is written. The primary key is frozen too (a changed
``id`` leaves an unmatched row and is refused). DELETE stays refused row by row (it never
happens in bulk).
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION payouts_commission_guard_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT * INTO bad FROM (
    SELECT COALESCE(o.public_id, n.public_id) AS public_id, o.status AS old_status,
           n.status AS new_status,
           CASE
             WHEN o.id IS NULL OR n.id IS NULL
               OR n.amount IS DISTINCT FROM o.amount
               OR n.currency IS DISTINCT FROM o.currency
               OR n.vendor_id IS DISTINCT FROM o.vendor_id
               OR n.public_id IS DISTINCT FROM o.public_id
               OR n.partnership_id IS DISTINCT FROM o.partnership_id
               OR n.plan_id IS DISTINCT FROM o.plan_id
               OR n.revenue_event_id IS DISTINCT FROM o.revenue_event_id
               OR n.customer_id IS DISTINCT FROM o.customer_id
               OR n.reverses_id IS DISTINCT FROM o.reverses_id
               OR n.kind IS DISTINCT FROM o.kind
               OR n.rate IS DISTINCT FROM o.rate
               OR n.base_amount IS DISTINCT FROM o.base_amount
               OR n.occurred_at IS DISTINCT FROM o.occurred_at
               OR n.available_at IS DISTINCT FROM o.available_at THEN 'frozen'
             WHEN n.status IS DISTINCT FROM o.status AND NOT (
                  (o.status = 'pending' AND n.status IN ('available', 'reversed'))
               OR (o.status = 'available' AND n.status IN ('in_payout', 'reversed'))
               OR (o.status = 'in_payout' AND n.status IN ('paid', 'available'))) THEN 'status'
             WHEN n.payout_id IS DISTINCT FROM o.payout_id AND NOT (
                  (o.payout_id IS NULL AND n.status = 'in_payout')
               OR (n.payout_id IS NULL AND o.status = 'in_payout' AND n.status = 'available'))
               THEN 'payout'
           END AS problem
    FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
  ) AS checked
  WHERE checked.problem IS NOT NULL
  LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF bad.problem = 'frozen' THEN
    RAISE EXCEPTION 'payouts ledger: commission % amounts are append-only', bad.public_id
      USING ERRCODE = 'integrity_constraint_violation';
  ELSIF bad.problem = 'status' THEN
    RAISE EXCEPTION 'payouts ledger: commission % cannot move from % to %',
      bad.public_id, bad.old_status, bad.new_status
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RAISE EXCEPTION 'payouts ledger: commission % payout can only be set with in_payout',
    bad.public_id USING ERRCODE = 'integrity_constraint_violation';
END $$;

DROP TRIGGER IF EXISTS payouts_commission_guard ON payouts_commission;
CREATE TRIGGER payouts_commission_guard AFTER UPDATE ON payouts_commission
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION payouts_commission_guard_statement();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS payouts_commission_guard ON payouts_commission;
CREATE TRIGGER payouts_commission_guard BEFORE UPDATE ON payouts_commission
  FOR EACH ROW EXECUTE FUNCTION payouts_commission_guard();
DROP FUNCTION IF EXISTS payouts_commission_guard_statement();
"""


class Migration(migrations.Migration):
    dependencies = [("payouts", "0005_lean_ledger_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
