"""The payouts app's raw SQL for ingestion, settlement and payout runs, in one place for a
reviewer (the ledger's own statements are in ``services/ledger.py``, the event payloads' SQL
twins beside their serializers in ``services/events.py``). Values are always bound
parameters; only code constants are formatted in."""

from __future__ import annotations

# Statement time, not transaction time: rows of one long transaction still sort in order.
NOW = "clock_timestamp()"
# A public id made by the database, like ``TenantModel.new_public_id`` (``.format(prefix=…)``).
NEW_ID = "'{prefix}_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 22)"

# --- revenue -------------------------------------------------------------------------------


# The look-ups take their keys as one JSON array (``orjson``), like the events INSERT: psycopg2
# sends a list as ``ARRAY['a', 'b', …]``, one expression per element, which took ~4 ms to
# evaluate for 500 references, and an ``IN (…)`` of 1,000 parameters ~3 ms more to plan and
# run than the same probes driven by ``json_array_elements_text``.
#
# One probe of the vendor's unique (external id) and (public id) indexes per reference: an
# ``IN`` list over both columns let PostgreSQL read all the vendor's customers (~20k) or start
# parallel workers, 8-20 ms per request. A reference matching twice (its external id and its
# ``cus_`` id were both sent) gives the same row twice, which the dict below absorbs.
CUSTOMERS_SQL = """
SELECT c.id, c.external_id, c.public_id, c.partnership_id, prg.currency,
       COALESCE(c.signed_up_at, c.created_at)
FROM json_array_elements_text(%(refs)s::json) AS r(ref)
JOIN payouts_customer c
  ON c.vendor_id = %(vendor)s AND (c.external_id = r.ref OR c.public_id = r.ref)
LEFT JOIN partners_partnership ptn ON ptn.id = c.partnership_id
LEFT JOIN programs_program prg ON prg.id = ptn.program_id
"""


KNOWN_EVENTS_SQL = """
SELECT e.id, e.public_id, e.external_id, e.customer_id, e.partnership_id, e.kind, e.amount,
       e.currency, e.occurred_at
FROM payouts_revenueevent e
WHERE e.vendor_id = %(vendor)s
  AND e.external_id IN (SELECT json_array_elements_text(%(ext_ids)s::json))
"""


# The rows arrive as one JSON document (``orjson`` writes the ``_Event`` rows as they are):
# twelve ``ARRAY[…]`` parameters of 1,000 elements each were 12,000 expressions for
# PostgreSQL to parse, coerce and plan (~14 ms of planning per request), where
# ``json_to_recordset`` reads one text value. The conflict target is the external id: that
# is the duplicate the API reports (a collision of the random public id is not one).
EVENTS_INSERT_SQL = """
INSERT INTO payouts_revenueevent (vendor_id, public_id, created_at, updated_at, external_id,
  customer_id, partnership_id, kind, amount, currency, occurred_at, period_start, period_end,
  mrr_amount, refunded_event_id, source)
SELECT %(vendor)s, e.public_id, now(), now(), e.external_id, e.customer_id, e.partnership_id,
       e.kind, e.amount, e.currency, e.occurred_at, e.period_start, e.period_end, e.mrr_amount,
       e.refunded_event_id, %(source)s
FROM json_to_recordset(%(events)s::json)
  AS e(public_id varchar, external_id varchar, customer_id bigint, partnership_id bigint,
       kind varchar, amount bigint, currency varchar, occurred_at timestamptz,
       period_start date, period_end date, mrr_amount bigint, refunded_event_id bigint)
ON CONFLICT (vendor_id, external_id) DO NOTHING
RETURNING external_id, id
"""


# The events and the batch recording them in one statement (no batch when every item lost
# to a concurrent insert): one round trip instead of two per request.
EVENTS_AND_BATCH_INSERT_SQL = f"""
WITH ins AS ({EVENTS_INSERT_SQL}),
batch AS (
  INSERT INTO payouts_revenuebatch (vendor_id, public_id, created_at, updated_at, event_ids,
    status, source, settled_at)
  SELECT %(vendor)s, %(batch)s, now(), now(), array_agg(id ORDER BY id),
         CASE WHEN %(settled)s THEN 'settled' ELSE 'pending' END, %(source)s,
         CASE WHEN %(settled)s THEN now() END
  FROM ins HAVING count(*) > 0
)
SELECT external_id, id FROM ins
"""  # noqa: S608 -- only code constants are formatted in; values are bound


# --- settlement ----------------------------------------------------------------------------


# What phase 2 needs of stored events, derived from their ids.
PHASE2_INPUTS_SQL = """
SELECT COALESCE(array_agg(DISTINCT customer_id) FILTER (WHERE kind = 'invoice_paid'), '{}'),
       COALESCE(bool_or(kind <> 'invoice_paid'), false)
FROM payouts_revenueevent WHERE vendor_id = %(vendor)s AND id = ANY(%(ids)s)
"""


# Settlement of a vendor's pending batches is serialised per vendor (a worker, the sweeper's
# task and a synchronous ingestion may meet): ordering matters, a refund's clawback reads the
# commissions of its invoice, stored in an earlier batch.
SETTLE_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"


# Claimed and marked in one statement, in the caller's transaction: a failure later rolls the
# mark back with everything else, and the batches are pending again.
# The claimed ids are materialised once, then updated: with the LIMIT in the UPDATE's
# ``FROM (subquery … FOR UPDATE)`` a test saw all 3 of 3 pending batches claimed under
# ``LIMIT 2`` (tests/payouts/test_async_ingestion.py, "at most n batches").
CLAIM_SQL = """
WITH p AS MATERIALIZED (
  SELECT id FROM payouts_revenuebatch
  WHERE vendor_id = %(vendor)s AND status = 'pending' ORDER BY id LIMIT %(limit)s FOR UPDATE
)
UPDATE payouts_revenuebatch b SET status = 'settled', settled_at = now(), updated_at = now()
FROM p WHERE b.id = p.id AND b.vendor_id = %(vendor)s
RETURNING b.id, b.event_ids
"""


FIRST_EARNERS_SQL = """
WITH new AS (
  SELECT partnership_id, bool_or(kind <> 'clawback') AS earning
  FROM payouts_commission WHERE vendor_id = %(vendor)s AND id = ANY(%(ids)s)
  GROUP BY partnership_id
)
SELECT new.partnership_id FROM new
WHERE new.earning
  AND NOT EXISTS (SELECT 1 FROM payouts_commission x
                  WHERE x.vendor_id = %(vendor)s AND x.partnership_id = new.partnership_id
                    AND x.id <> ALL(%(ids)s))
"""


# Per customer, two probes of the ``(vendor, customer, occurred_at)`` index (its first and its
# latest invoice) instead of reading and sorting all its invoices, and the customers found
# by primary key (``c.id = ANY``) instead of hashing the vendor's whole customer table.
# A churned customer pays again (status back to active, churn cleared) only with an invoice
# paid after its churn: a last invoice that arrives late stays history.
CUSTOMERS_TOUCH_SQL = """
UPDATE payouts_customer c SET
  first_paid_at = LEAST(COALESCE(c.first_paid_at, t.first_at), t.first_at),
  status = CASE WHEN c.churned_at >= t.last_at THEN c.status ELSE 'active' END,
  churned_at = CASE WHEN c.churned_at >= t.last_at THEN c.churned_at END,
  mrr_amount = t.mrr, mrr_currency = t.currency, updated_at = now()
FROM (
  SELECT b.customer_id, f.occurred_at AS first_at, l.occurred_at AS last_at,
         l.mrr_amount AS mrr, l.currency
  FROM unnest(%(customers)s::bigint[]) AS b(customer_id)
  CROSS JOIN LATERAL (
    SELECT e.occurred_at FROM payouts_revenueevent e
    WHERE e.vendor_id = %(vendor)s AND e.customer_id = b.customer_id
      AND e.kind = 'invoice_paid'
    ORDER BY e.occurred_at LIMIT 1) f
  CROSS JOIN LATERAL (
    SELECT e.occurred_at, e.mrr_amount, e.currency FROM payouts_revenueevent e
    WHERE e.vendor_id = %(vendor)s AND e.customer_id = b.customer_id
      AND e.kind = 'invoice_paid'
    ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) l
) t
WHERE c.id = t.customer_id AND c.vendor_id = %(vendor)s AND c.id = ANY(%(customers)s)
"""


# --- runs ----------------------------------------------------------------------------------


# 1. Lock the chunk's unpaid commissions that can be paid (available, or pending with the
#    hold over: those go straight to the payout, one write instead of a release and a link)
#    and sum them per partnership and currency, keeping the sums that reach the threshold
#    (the program's or the partner's higher one).
CHUNK_SUMS_SQL = """
WITH eligible AS (
  SELECT c.id, c.partnership_id, c.currency, c.amount, c.status
  FROM payouts_commission c
  WHERE c.vendor_id = %(vendor)s AND c.partnership_id = ANY(%(ptns)s)
    AND c.status IN ('pending', 'available') AND c.payout_id IS NULL
    AND c.available_at < %(cutoff)s AND c.available_at <= %(now)s
  FOR UPDATE OF c
)
SELECT e.partnership_id, e.currency, SUM(e.amount), COUNT(*), array_agg(e.id ORDER BY e.id),
       array_agg(e.status::text ORDER BY e.id), ptn.partner_id
FROM eligible e
JOIN partners_partnership ptn ON ptn.id = e.partnership_id
LEFT JOIN payouts_partnerpayoutdetails d
  ON d.vendor_id = %(vendor)s AND d.partner_id = ptn.partner_id
GROUP BY e.partnership_id, e.currency, d.minimum_payout_amount, ptn.partner_id
HAVING SUM(e.amount) > 0
   AND SUM(e.amount) >= GREATEST(%(threshold)s, COALESCE(d.minimum_payout_amount, 0))
"""


# 2. One payout per sum (a payout that exists already for this run keeps its commissions),
#    held with the reason when the partner's payout details are incomplete.
CHUNK_PAYOUTS_SQL = f"""
INSERT INTO payouts_payout (vendor_id, public_id, created_at, updated_at, run_id, program_id,
  partnership_id, amount, currency, commissions_count, status, held_reason, provider,
  provider_reference, failure_reason)
SELECT %(vendor)s, {NEW_ID.format(prefix="po")}, {NOW}, {NOW},
       %(run)s, %(program)s, s.partnership_id, s.total, s.currency, s.n, s.status,
       s.held_reason, '', '', ''
FROM unnest(%(ptns)s::bigint[], %(currencies)s::varchar[], %(totals)s::bigint[],
            %(counts)s::int[], %(statuses)s::varchar[], %(reasons)s::varchar[])
     AS s(partnership_id, currency, total, n, status, held_reason)
ON CONFLICT DO NOTHING
RETURNING id, public_id, partnership_id, currency
"""  # noqa: S608 -- only code constants are formatted in; values are bound


# Partnerships of the program left with available commissions of the period (carried
# forward), counted over the vendor's own rows.
CARRIED_FORWARD_SQL = """
SELECT COUNT(DISTINCT c.partnership_id)
FROM payouts_commission c JOIN partners_partnership ptn ON ptn.id = c.partnership_id
WHERE c.vendor_id = %(vendor)s AND c.status = 'available' AND c.available_at < %(cutoff)s
  AND ptn.vendor_id = %(vendor)s AND ptn.program_id = %(program)s
"""
