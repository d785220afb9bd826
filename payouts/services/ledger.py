"""The commission ledger, computed set-based in PostgreSQL.

Guarantees (enforced by unique constraints and triggers, not only by this code):
- each revenue event yields at most one commission per plan (``ON CONFLICT DO NOTHING`` on
  ``(vendor, revenue_event, plan)``), so re-running any statement here changes nothing;
- a commission is ``rate * amount`` rounded half-even **once** (``payouts_round_half_even``);
- a refund or chargeback yields, per commission of the refunded invoice, a negative commission
  pointing at it (``reverses``) for the same share of the commission as the share of the
  invoice refunded; cumulative refunds are rounded cumulatively, so refunding an invoice in
  full reverses its commissions to the cent;
- every status move is audited in the same statement: one row per payout or release batch
  listing the commissions it moved (a full reversal, rare and small, one row per commission).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from partnerhub.core.actor import Actor
from partners.stages import STAGE_ORDER
from payouts.sql import NEW_ID, NOW

_STAGES = "ARRAY[" + ",".join(f"'{s}'" for s in STAGE_ORDER) + "]::varchar[]"


def _insert_from_capped(rows: str, conflict_target: str) -> str:
    """The invoice commissions' INSERT of the ``capped`` rows matching ``rows``."""
    return f"""
  INSERT INTO payouts_commission (
    vendor_id, public_id, created_at, updated_at, partnership_id, plan_id, revenue_event_id,
    customer_id, reverses_id, kind, amount, currency, rate, base_amount, occurred_at,
    available_at, status, payout_id)
  SELECT %(vendor)s, {NEW_ID.format(prefix="com")}, {NOW}, {NOW}, partnership_id, plan_id,
         id, customer_id, NULL,
         CASE WHEN plan_kind = 'percent' THEN 'percent' ELSE 'bounty' END, amt, currency,
         CASE WHEN plan_kind = 'percent' THEN eff_rate END, amount, occurred_at,
         occurred_at + make_interval(days => hold_period_days), 'pending', NULL
  FROM capped WHERE amt > 0 AND {rows}
  ON CONFLICT {conflict_target} DO NOTHING
  RETURNING id"""  # noqa: S608 -- only code constants are formatted in; values are bound


_INVOICE_COMMISSIONS_SQL = f"""
WITH ev AS (
  SELECT e.id, e.customer_id, e.partnership_id, e.amount, e.currency, e.occurred_at
  FROM payouts_revenueevent e
  WHERE e.vendor_id = %(vendor)s AND e.kind = 'invoice_paid' AND e.partnership_id IS NOT NULL
    AND (%(all)s AND e.id BETWEEN %(lo)s AND %(hi)s OR e.id = ANY(%(ids)s))
),
cand AS MATERIALIZED (
  SELECT ev.*, p.id AS plan_id, p.kind AS plan_kind, p.bounty_amount,
         p.cap_per_customer_amount AS cap, prg.hold_period_days,
         -- Tier look-ups only for plans with tiers: the IN list is one hashed scan of the
         -- vendor's tiers per statement, where the look-up costs an index scan per event.
         CASE WHEN p.id IN (SELECT t.plan_id FROM payouts_commissionplantier t
                            WHERE t.vendor_id = %(vendor)s)
              THEN COALESCE((SELECT t.rate FROM payouts_commissionplantier t
                             WHERE t.vendor_id = %(vendor)s AND t.plan_id = p.id
                               AND array_position({_STAGES}, t.from_stage)
                                   <= array_position({_STAGES}, ptn.stage)
                             ORDER BY array_position({_STAGES}, t.from_stage) DESC LIMIT 1),
                            p.rate)
              ELSE p.rate END AS eff_rate
  FROM ev
  JOIN partners_partnership ptn ON ptn.id = ev.partnership_id
  -- The vendor on the program too: the planner may join the events to the programs on
  -- the currency before the partnership narrows them (every vendor's programs in that
  -- currency: 17x the rows at the benchmark's size).
  JOIN programs_program prg ON prg.id = ptn.program_id AND prg.vendor_id = %(vendor)s
  JOIN payouts_commissionplan p
    ON p.vendor_id = %(vendor)s AND p.program_id = ptn.program_id AND p.is_active
   AND p.kind IN ('percent', 'bounty_customer')
  WHERE ptn.status = 'approved' AND ev.currency = prg.currency
    AND (p.persona_id = ptn.persona_id
         OR (p.persona_id IS NULL AND NOT EXISTS (
               SELECT 1 FROM payouts_commissionplan p2
               WHERE p2.vendor_id = %(vendor)s AND p2.program_id = p.program_id
                 AND p2.kind = p.kind AND p2.is_active AND p2.persona_id = ptn.persona_id)))
    -- The customer's first paid date only for plans that end: a probe per event of those
    -- plans, none for the others (a join read the customer of every event).
    AND (p.duration_months IS NULL OR NOT EXISTS (
           SELECT 1 FROM payouts_customer c
           WHERE c.id = ev.customer_id AND c.vendor_id = %(vendor)s
             AND ev.occurred_at >= c.first_paid_at + make_interval(months => p.duration_months)))
    AND (p.kind = 'percent' OR NOT EXISTS (
           SELECT 1 FROM payouts_revenueevent e2
           WHERE e2.vendor_id = %(vendor)s AND e2.customer_id = ev.customer_id
             AND e2.kind = 'invoice_paid' AND (e2.occurred_at, e2.id) < (ev.occurred_at, ev.id)))
    AND NOT EXISTS (SELECT 1 FROM payouts_commission x
                    WHERE x.vendor_id = %(vendor)s AND x.revenue_event_id = ev.id
                      AND x.plan_id = p.id)
),
raw AS (
  SELECT cand.*,
         CASE WHEN plan_kind = 'percent' THEN payouts_round_half_even(eff_rate * amount)
              ELSE bounty_amount END AS raw_amount
  FROM cand
),
-- The per-customer cap in its own branch: a partition (customer, plan) has one plan, so
-- either every row of it is capped or none is. Uncapped rows (most plans) skip the window's
-- sort and aggregate; without a capped plan that branch scans no row.
capped AS (
  SELECT raw.*, raw_amount AS amt FROM raw WHERE cap IS NULL
  UNION ALL
  SELECT raw.*,
         GREATEST(0, LEAST(raw_amount, cap - COALESCE((
           SELECT SUM(x.amount) FROM payouts_commission x
           WHERE x.vendor_id = %(vendor)s AND x.customer_id = raw.customer_id
             AND x.plan_id = raw.plan_id), 0) - (SUM(raw_amount) OVER w - raw_amount))) AS amt
  FROM raw WHERE cap IS NOT NULL
  WINDOW w AS (PARTITION BY customer_id, plan_id ORDER BY occurred_at, id)
),
-- Two inserts, for their conflict checks: ``ON CONFLICT DO NOTHING`` without a target probes
-- every unique index of the ledger before each row (the primary key and the random public
-- id too: ~180 ms of CPU per 18,000 rows, a third of the floor's whole insert). A percent
-- commission can only meet an existing one on (vendor, revenue event, plan); a bounty also
-- on (vendor, customer, plan), which no target names along with the first, so bounties
-- (one per new customer) keep the untargeted form.
percent_rows AS (
{_insert_from_capped("plan_kind = 'percent'", "(vendor_id, revenue_event_id, plan_id)")}
),
bounty_rows AS (
{_insert_from_capped("plan_kind <> 'percent'", "")}
)
SELECT id FROM percent_rows UNION ALL SELECT id FROM bounty_rows
"""  # noqa: S608 -- only code constants are formatted in; values are bound

# The events of an ingested batch come as an id array: the planner, estimating one row for
# the partnership/plan join, started from the vendor's approved partnerships and tested
# ``id = ANY(1,000 ids)`` on each of their events (~450 ms per 1,000 events); materialising
# the batch first makes it 1,000 primary-key lookups driving the joins (~60 ms). The
# ``id_range`` path (a month at once) keeps the inlined CTE.
_INVOICE_COMMISSIONS_BY_IDS_SQL = _INVOICE_COMMISSIONS_SQL.replace(
    "WITH ev AS (", "WITH ev AS MATERIALIZED (", 1
)

_CLAWBACKS_SQL = f"""
WITH touched AS (
  SELECT DISTINCT refunded_event_id FROM payouts_revenueevent
  WHERE vendor_id = %(vendor)s AND kind IN ('refund', 'chargeback')
    AND (%(all)s AND id BETWEEN %(lo)s AND %(hi)s OR id = ANY(%(ids)s))
),
r AS (
  SELECT e.id, e.refunded_event_id, e.amount, e.occurred_at,
         SUM(e.amount) OVER (PARTITION BY e.refunded_event_id ORDER BY e.id) AS cum_after
  FROM payouts_revenueevent e
  WHERE e.vendor_id = %(vendor)s AND e.kind IN ('refund', 'chargeback')
    AND e.refunded_event_id IN (SELECT refunded_event_id FROM touched)
),
cand AS (
  SELECT r.id AS event_id, r.amount AS refund_amount, r.occurred_at, c.id AS orig_id,
         c.plan_id, c.partnership_id, c.customer_id, c.currency, prg.hold_period_days,
         payouts_round_half_even(c.amount::numeric * LEAST(r.cum_after, i.amount) / i.amount)
         - payouts_round_half_even(
             c.amount::numeric * LEAST(r.cum_after - r.amount, i.amount) / i.amount) AS part
  FROM r
  JOIN payouts_revenueevent i ON i.id = r.refunded_event_id
  JOIN payouts_commission c
    ON c.vendor_id = %(vendor)s AND c.revenue_event_id = i.id AND c.kind <> 'clawback'
  JOIN partners_partnership ptn ON ptn.id = c.partnership_id
  JOIN programs_program prg ON prg.id = ptn.program_id
  WHERE NOT EXISTS (SELECT 1 FROM payouts_commission x
                    WHERE x.vendor_id = %(vendor)s AND x.revenue_event_id = r.id
                      AND x.plan_id = c.plan_id)
)
INSERT INTO payouts_commission (
  vendor_id, public_id, created_at, updated_at, partnership_id, plan_id, revenue_event_id,
  customer_id, reverses_id, kind, amount, currency, rate, base_amount, occurred_at,
  available_at, status, payout_id)
SELECT %(vendor)s, {NEW_ID.format(prefix="com")}, {NOW}, {NOW}, partnership_id, plan_id,
       event_id, customer_id, orig_id, 'clawback', -part, currency, NULL, refund_amount,
       occurred_at, occurred_at + make_interval(days => hold_period_days), 'pending', NULL
FROM cand WHERE part > 0
ON CONFLICT DO NOTHING
RETURNING id, reverses_id
"""  # noqa: S608 -- only code constants are formatted in; values are bound

# A commission reversed in full before it was paid cancels out with its clawbacks: both
# become ``reversed`` (their sum is zero, so no cent moves).
_CANCEL_SQL = f"""
WITH full_rev AS (
  -- The originals come as a bound array (from the clawbacks' RETURNING), not as a join:
  -- with the statistics of a ledger that just grew, a join was planned as one index scan
  -- of the vendor's open commissions per original (minutes); ``= ANY(array)`` is at worst
  -- one scan with a hashed filter.
  SELECT o.id FROM payouts_commission o
  WHERE o.id = ANY(%(originals)s) AND o.vendor_id = %(vendor)s AND o.kind <> 'clawback'
    AND o.status IN ('pending', 'available')
    AND o.amount + (SELECT COALESCE(SUM(x.amount), 0) FROM payouts_commission x
                    WHERE x.vendor_id = %(vendor)s AND x.reverses_id = o.id) = 0
    AND NOT EXISTS (SELECT 1 FROM payouts_commission x
                    WHERE x.vendor_id = %(vendor)s AND x.reverses_id = o.id
                      AND x.status NOT IN ('pending', 'available'))
  -- Lock the originals: one a payout run is linking right now is re-checked after its
  -- commit and, being in_payout then, left alone (its clawback nets in a later payout).
  FOR UPDATE OF o
),
targets AS (
  SELECT id FROM full_rev
  UNION
  SELECT x.id FROM full_rev JOIN payouts_commission x
    ON x.vendor_id = %(vendor)s AND x.reverses_id = full_rev.id
),
moved AS (
  UPDATE payouts_commission c SET status = 'reversed', updated_at = now()
  FROM targets t, payouts_commission before
  WHERE c.id = t.id AND before.id = t.id AND c.vendor_id = %(vendor)s
  RETURNING c.public_id, before.status AS old_status
)
INSERT INTO audit_auditentry (vendor_id, public_id, created_at, updated_at, actor_user_id,
  actor_label, action, target_type, target_id, before, after, reason)
SELECT %(vendor)s, {NEW_ID.format(prefix="aud")}, {NOW}, {NOW}, NULL, 'ledger',
       'commission.status_changed', 'commission', public_id,
       jsonb_build_object('status', old_status), jsonb_build_object('status', 'reversed'),
       'Reversed in full by a refund before it was paid.'
FROM moved
"""  # noqa: S608 -- only code constants are formatted in; values are bound


def _run(sql: str, params: dict[str, Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if cursor.description else []


def commissions_compute(
    *,
    vendor_id: int,
    event_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    with_clawbacks: bool = True,
) -> list[int]:
    """Create the missing commissions (invoices first, then clawbacks) of the given revenue
    events, or of the vendor's events with ids in ``id_range``. Returns the new commission
    ids. Re-run safe; runs in the caller's transaction. ``with_clawbacks=False`` skips the refund
    statement: for a caller that knows the events hold no refund or chargeback (ingestion of
    a batch of invoices), where it would find nothing."""
    lo, hi = id_range or (0, -1)
    params: dict[str, Any] = {
        "vendor": vendor_id,
        "all": id_range is not None,
        "lo": lo,
        "hi": hi,
        "ids": list(event_ids or []),
    }
    by_ids = id_range is None
    created = _run(_INVOICE_COMMISSIONS_BY_IDS_SQL if by_ids else _INVOICE_COMMISSIONS_SQL, params)
    if not with_clawbacks:
        return created
    with connection.cursor() as cursor:
        cursor.execute(_CLAWBACKS_SQL, params)
        rows = cursor.fetchall()
        clawbacks = [row[0] for row in rows]
        if clawbacks:
            originals = sorted({row[1] for row in rows})
            cursor.execute(_CANCEL_SQL, {"vendor": vendor_id, "originals": originals})
    return created + clawbacks


def commissions_compute_all(*, vendor_id: int, batch_size: int = 50_000) -> Iterator[list[int]]:
    """Every missing commission of the vendor, a batch of event ids at a time, so memory does
    not grow with the number of events. Yields the new commission ids of each batch
    (invoices always precede their refunds, so a refund's invoice is in an earlier batch or
    the same one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(id), MAX(id) FROM payouts_revenueevent WHERE vendor_id = %s", [vendor_id]
        )
        row = cursor.fetchone()
    if not row or row[0] is None:
        return
    lo, hi = int(row[0]), int(row[1])
    for start in range(lo, hi + 1, batch_size):
        yield commissions_compute(vendor_id=vendor_id, id_range=(start, start + batch_size - 1))


def commission_status_move(
    *,
    vendor_id: int,
    from_status: str | Sequence[str],
    to_status: str,
    where_sql: str,
    params: dict[str, Any],
    target_type: str,
    target_sql: str = "%(target)s",
    old_status_sql: str = "",
    actor: Actor,
    reason: str = "",
    set_sql: str = "",
    from_sql: str = "",
) -> int:
    """Move every commission of the vendor in ``from_status`` matching ``where_sql`` to
    ``to_status`` in one statement, and audit the moves in the same statement: one audit row
    per target (``target_sql``: a payout, a run, a release batch) listing the commissions it
    moved (``after.commissions``, ``after.count``) and each one's previous status
    (``before.status``: commission id → status). Returns how many commissions moved.

    One row per target instead of one per commission: a payout run moves tens of thousands
    of commissions, and per-commission rows were as costly as the moves themselves.
    ``commission_history`` answers "when and why did this commission change status" from
    both kinds of row."""
    statuses = [from_status] if isinstance(from_status, str) else list(from_status)
    if not old_status_sql and len(statuses) != 1:
        raise ValueError("Moves from several statuses must say each row's old status.")
    old_status = old_status_sql or "%(from_first)s"
    sql = f"""
    WITH moved AS (
      UPDATE payouts_commission c SET status = %(to_status)s, updated_at = now() {set_sql}
      {"FROM " + from_sql if from_sql else ""}
      WHERE c.vendor_id = %(vendor)s AND c.status = ANY(%(from_statuses)s) AND ({where_sql})
      RETURNING c.public_id, ({old_status})::text AS old_status, ({target_sql})::text AS target
    )
    INSERT INTO audit_auditentry (vendor_id, public_id, created_at, updated_at, actor_user_id,
      actor_label, actor_type, actor_id, action, target_type, target_id, before, after, reason)
    SELECT %(vendor)s, {NEW_ID.format(prefix="aud")}, {NOW}, {NOW}, %(actor_user)s,
           %(actor_label)s, %(actor_type)s, %(actor_id)s, 'commission.status_changed',
           %(target_type)s, target,
           jsonb_build_object('status', jsonb_object_agg(public_id, old_status)),
           jsonb_build_object('status', %(to_status)s::text, 'count', COUNT(*),
                              'commissions', jsonb_agg(public_id ORDER BY public_id)),
           %(reason)s
    FROM moved GROUP BY target
    RETURNING (after ->> 'count')::int
    """  # noqa: S608 -- only code constants are formatted in; values are bound
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                **params,
                "vendor": vendor_id,
                "from_statuses": statuses,
                "from_first": statuses[0],
                "to_status": to_status,
                "target_type": target_type,
                "actor_user": actor.user.pk if actor.user is not None else None,
                "actor_label": actor.label,
                "actor_type": actor.kind,
                "actor_id": actor.id,
                "reason": reason,
            },
        )
        return sum(row[0] for row in cursor.fetchall())


def commissions_release(*, vendor_id: int, actor: Actor, now: Any = None, batch: str = "") -> int:
    """pending → available for every commission whose hold period is over, audited as one
    row for the batch (target ``commission_release``, id ``batch`` or the release time)."""
    now = now or timezone.now()
    return commission_status_move(
        vendor_id=vendor_id,
        from_status="pending",
        to_status="available",
        where_sql="c.available_at <= %(now)s",
        params={"now": now, "target": batch or now.strftime("%Y-%m-%dT%H:%M:%S%z")},
        target_type="commission_release",
        actor=actor,
        reason="Hold period over.",
    )
