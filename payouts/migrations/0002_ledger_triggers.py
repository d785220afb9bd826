"""The ledger is append-only in the database, not only in code.

- ``payouts_round_half_even(numeric)``: banker's rounding to an integer (PostgreSQL's
  ``round()`` rounds halves away from zero), used by the set-based commission computation.
- Commissions: any DELETE is refused; an UPDATE may only move ``status`` along
  pending → available → in_payout → paid (or pending/available → reversed, and
  in_payout → available when a payout fails) and set ``payout`` with it; every other column
  (amount, currency, partnership, plan, event, reverses, …) is frozen.
- Revenue events and payouts: DELETE refused; amount, currency and the references they were
  computed from are frozen.
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION payouts_round_half_even(x numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (CASE
    WHEN x - floor(x) = 0.5 THEN
      CASE WHEN mod(floor(x), 2) = 0 THEN floor(x) ELSE floor(x) + 1 END
    ELSE round(x)
  END)::bigint
$$;

CREATE OR REPLACE FUNCTION payouts_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payouts ledger: % rows are append-only and cannot be deleted', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION payouts_commission_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount IS DISTINCT FROM OLD.amount
     OR NEW.currency IS DISTINCT FROM OLD.currency
     OR NEW.vendor_id IS DISTINCT FROM OLD.vendor_id
     OR NEW.public_id IS DISTINCT FROM OLD.public_id
     OR NEW.partnership_id IS DISTINCT FROM OLD.partnership_id
     OR NEW.plan_id IS DISTINCT FROM OLD.plan_id
     OR NEW.revenue_event_id IS DISTINCT FROM OLD.revenue_event_id
     OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
     OR NEW.reverses_id IS DISTINCT FROM OLD.reverses_id
     OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.rate IS DISTINCT FROM OLD.rate
     OR NEW.base_amount IS DISTINCT FROM OLD.base_amount
     OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
     OR NEW.available_at IS DISTINCT FROM OLD.available_at THEN
    RAISE EXCEPTION 'payouts ledger: commission % amounts are append-only', OLD.public_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('available', 'reversed'))
    OR (OLD.status = 'available' AND NEW.status IN ('in_payout', 'reversed'))
    OR (OLD.status = 'in_payout' AND NEW.status IN ('paid', 'available'))
  ) THEN
    RAISE EXCEPTION 'payouts ledger: commission % cannot move from % to %',
      OLD.public_id, OLD.status, NEW.status
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.payout_id IS DISTINCT FROM OLD.payout_id AND NOT (
       (OLD.payout_id IS NULL AND NEW.status = 'in_payout')
    OR (NEW.payout_id IS NULL AND OLD.status = 'in_payout' AND NEW.status = 'available')
  ) THEN
    RAISE EXCEPTION 'payouts ledger: commission % payout can only be set with in_payout',
      OLD.public_id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION payouts_revenueevent_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount IS DISTINCT FROM OLD.amount OR NEW.currency IS DISTINCT FROM OLD.currency
     OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
     OR NEW.external_id IS DISTINCT FROM OLD.external_id
     OR NEW.vendor_id IS DISTINCT FROM OLD.vendor_id THEN
    RAISE EXCEPTION 'payouts ledger: revenue event % is append-only', OLD.public_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION payouts_payout_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount IS DISTINCT FROM OLD.amount OR NEW.currency IS DISTINCT FROM OLD.currency
     OR NEW.partnership_id IS DISTINCT FROM OLD.partnership_id
     OR NEW.run_id IS DISTINCT FROM OLD.run_id
     OR NEW.vendor_id IS DISTINCT FROM OLD.vendor_id THEN
    RAISE EXCEPTION 'payouts ledger: payout % amount is frozen', OLD.public_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status = 'paid' AND NEW.status IS DISTINCT FROM OLD.status THEN
    RAISE EXCEPTION 'payouts ledger: payout % is paid', OLD.public_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER payouts_commission_no_delete BEFORE DELETE ON payouts_commission
  FOR EACH ROW EXECUTE FUNCTION payouts_refuse_delete();
CREATE TRIGGER payouts_commission_guard BEFORE UPDATE ON payouts_commission
  FOR EACH ROW EXECUTE FUNCTION payouts_commission_guard();
CREATE TRIGGER payouts_revenueevent_no_delete BEFORE DELETE ON payouts_revenueevent
  FOR EACH ROW EXECUTE FUNCTION payouts_refuse_delete();
CREATE TRIGGER payouts_revenueevent_guard BEFORE UPDATE ON payouts_revenueevent
  FOR EACH ROW EXECUTE FUNCTION payouts_revenueevent_guard();
CREATE TRIGGER payouts_payout_no_delete BEFORE DELETE ON payouts_payout
  FOR EACH ROW EXECUTE FUNCTION payouts_refuse_delete();
CREATE TRIGGER payouts_payout_guard BEFORE UPDATE ON payouts_payout
  FOR EACH ROW EXECUTE FUNCTION payouts_payout_guard();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS payouts_commission_no_delete ON payouts_commission;
DROP TRIGGER IF EXISTS payouts_commission_guard ON payouts_commission;
DROP TRIGGER IF EXISTS payouts_revenueevent_no_delete ON payouts_revenueevent;
DROP TRIGGER IF EXISTS payouts_revenueevent_guard ON payouts_revenueevent;
DROP TRIGGER IF EXISTS payouts_payout_no_delete ON payouts_payout;
DROP TRIGGER IF EXISTS payouts_payout_guard ON payouts_payout;
DROP FUNCTION IF EXISTS payouts_payout_guard();
DROP FUNCTION IF EXISTS payouts_revenueevent_guard();
DROP FUNCTION IF EXISTS payouts_commission_guard();
DROP FUNCTION IF EXISTS payouts_refuse_delete();
DROP FUNCTION IF EXISTS payouts_round_half_even(numeric);
"""


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
