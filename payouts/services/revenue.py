"""Revenue events: ingestion (single, bulk and CSV), validation per item, acceptance into
batches, and settlement of batches into commissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from payouts import selectors
from payouts.models import (
    RevenueBatch,
    RevenueEvent,
)
from payouts.services import ledger
from payouts.services.events import _announce_commissions

MAX_BULK_ITEMS = 1000
# Amounts are stored in 64-bit integers; a larger one would fail at the database (a 500).
MAX_AMOUNT = 2**63 - 1


# --- revenue events -------------------------------------------------------------------------


@dataclass
class ItemResult:
    index: int
    outcome: str  # stored | duplicate | refused
    external_id: str = ""
    id: str = ""
    reason: str = ""
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "outcome": self.outcome}
        if self.external_id:
            data["external_id"] = self.external_id
        if self.id:
            data["id"] = self.id
        if self.outcome == "refused":
            data["reason"] = self.reason
            data["field"] = self.field
        return data


@dataclass
class IngestReport:
    results: list[ItemResult] = field(default_factory=list)
    commission_ids: list[int] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


class _Refused(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _months_covered(start: dt.date, end: dt.date) -> int:
    """Whole months between two dates (at least one): an annual invoice covers 12."""
    days = (end - start).days
    return max(1, round(days / 30.4375))


_KINDS = frozenset(RevenueEvent.Kind.values)


def _storable(text: str) -> bool:
    """Whether PostgreSQL can store the string: a lone surrogate (valid in JSON as
    ``"\\ud800"``) has no UTF-8 form and would fail the statement (a 500) instead of the item."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _parse_item(raw: Any, latest: dt.datetime) -> dict[str, Any]:
    """One raw item → clean values, or ``_Refused``; ``latest`` is the latest acceptable
    occurred-at (now + 5 minutes, computed once per request)."""
    if not isinstance(raw, dict):
        raise _Refused("item", "Each item must be an object.")
    external_id = raw.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > 200:
        raise _Refused("external_id", "external_id is required (a string of 1-200 characters).")
    if not _storable(external_id):
        raise _Refused("external_id", "external_id holds an unpaired surrogate (not text).")
    kind = raw.get("kind", RevenueEvent.Kind.INVOICE_PAID)
    if kind not in _KINDS:
        raise _Refused("kind", f"kind must be one of {', '.join(RevenueEvent.Kind.values)}.")
    customer = raw.get("customer")
    if not isinstance(customer, str) or not customer:
        raise _Refused("customer", "customer is required (the customer's external id or cus_ id).")
    if not _storable(customer):
        raise _Refused("customer", "customer holds an unpaired surrogate (not text).")
    amount = raw.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        if isinstance(amount, float | Decimal | str):
            raise _Refused(
                "amount",
                "amount must be an integer number of minor units (e.g. 4999 for 49.99), "
                "without decimals.",
            )
        raise _Refused("amount", "amount is required (integer minor units).")
    if amount <= 0:
        raise _Refused("amount", "amount must be positive; the kind says the direction.")
    if amount > MAX_AMOUNT:
        raise _Refused("amount", f"amount must be at most {MAX_AMOUNT} minor units.")
    currency = raw.get("currency")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise _Refused("currency", "currency must be a three-letter ISO-4217 code, e.g. USD.")
    occurred = raw.get("occurred_at")
    occurred_at = parse_datetime(occurred) if isinstance(occurred, str) else None
    if occurred_at is None:
        raise _Refused("occurred_at", "occurred_at must be an ISO-8601 date-time.")
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, dt.UTC)
    if occurred_at > latest:
        raise _Refused("occurred_at", "occurred_at is in the future.")
    period: list[dt.date | None] = []
    for name in ("period_start", "period_end"):
        value = raw.get(name)
        parsed = parse_date(value) if isinstance(value, str) else None
        if value not in (None, "") and parsed is None:
            raise _Refused(name, f"{name} must be a date like 2026-11-01.")
        period.append(parsed)
    if (period[0] is None) != (period[1] is None):
        raise _Refused("period_end", "Give both period_start and period_end, or neither.")
    if period[0] and period[1] and period[1] <= period[0]:
        raise _Refused("period_end", "period_end must be after period_start.")
    refunds = raw.get("refunds") or ""
    if not isinstance(refunds, str) or not _storable(refunds):
        raise _Refused("refunds", "refunds is the external id (a string) of the refunded invoice.")
    if kind != RevenueEvent.Kind.INVOICE_PAID and not refunds:
        raise _Refused("refunds", "A refund or chargeback names the invoice event it refunds.")
    if kind == RevenueEvent.Kind.INVOICE_PAID and refunds:
        raise _Refused("refunds", "Only refunds and chargebacks refund an invoice.")
    return {
        "external_id": external_id.strip(),
        "kind": kind,
        "customer": customer,
        "amount": amount,
        "currency": currency.upper(),
        "occurred_at": occurred_at,
        "period_start": period[0],
        "period_end": period[1],
        "refunds": refunds,
    }


@dataclass(slots=True)
class _Cust:
    """What ingestion needs of a customer (one ``.values_list`` row, no model instance)."""

    pk: int
    partnership_id: int | None
    program_currency: str | None
    since: dt.datetime


@dataclass(slots=True)
class _Event:
    """A revenue event as ingestion sees it: a stored one (``pk`` set) or one of this batch
    (``pk`` None until inserted). Plain rows: building 1,000 model instances cost ~150 ms."""

    public_id: str
    external_id: str
    customer_id: int
    partnership_id: int | None
    kind: str
    amount: int
    currency: str
    occurred_at: dt.datetime
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    mrr_amount: int = 0
    refunded_event_id: int | None = None
    pk: int | None = None


# The look-ups take their keys as one JSON array (``orjson``), like the events INSERT: psycopg2
# sends a list as ``ARRAY['a', 'b', …]``, one expression per element, which took ~4 ms to
# evaluate for 500 references, and an ``IN (…)`` of 1,000 parameters ~3 ms more to plan and
# run than the same probes driven by ``json_array_elements_text``.
#
# One probe of the vendor's unique (external id) and (public id) indexes per reference: an
# ``IN`` list over both columns let PostgreSQL read all the vendor's customers (~20k) or start
# parallel workers, 8-20 ms per request. A reference matching twice (its external id and its
# ``cus_`` id were both sent) gives the same row twice, which the dict below absorbs.
_CUSTOMERS_SQL = """
SELECT c.id, c.external_id, c.public_id, c.partnership_id, prg.currency,
       COALESCE(c.signed_up_at, c.created_at)
FROM json_array_elements_text(%(refs)s::json) AS r(ref)
JOIN payouts_customer c
  ON c.vendor_id = %(vendor)s AND (c.external_id = r.ref OR c.public_id = r.ref)
LEFT JOIN partners_partnership ptn ON ptn.id = c.partnership_id
LEFT JOIN programs_program prg ON prg.id = ptn.program_id
"""


def _lookup(items: Iterable[dict[str, Any]], vendor: Vendor) -> dict[str, _Cust]:
    """The customers the items name, by external id and by ``cus_`` id (one query)."""
    refs = list({i["customer"] for i in items})
    customers: dict[str, _Cust] = {}
    with connection.cursor() as cursor:
        cursor.execute(_CUSTOMERS_SQL, {"vendor": vendor.pk, "refs": orjson.dumps(refs).decode()})
        rows = cursor.fetchall()
    for pk, ext, pid, partnership_id, currency, since in rows:
        c = _Cust(pk, partnership_id, currency, since)
        customers[ext] = c
        customers[pid] = c
    return customers


_KNOWN_EVENTS_SQL = """
SELECT e.id, e.public_id, e.external_id, e.customer_id, e.partnership_id, e.kind, e.amount,
       e.currency, e.occurred_at
FROM payouts_revenueevent e
WHERE e.vendor_id = %(vendor)s
  AND e.external_id IN (SELECT json_array_elements_text(%(ext_ids)s::json))
"""


def _known_events(vendor: Vendor, ext_ids: set[str]) -> dict[str, _Event]:
    """The vendor's stored events with these external ids (duplicates, refunded invoices)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _KNOWN_EVENTS_SQL,
            {"vendor": vendor.pk, "ext_ids": orjson.dumps(list(ext_ids)).decode()},
        )
        rows = cursor.fetchall()
    return {
        ext: _Event(pid, ext, customer_id, partnership_id, kind, amount, currency, at, pk=pk)
        for pk, pid, ext, customer_id, partnership_id, kind, amount, currency, at in rows
    }


@dataclass
class _Accepted:
    """Phase 1 of an ingestion: the per-item results and the events it stored (ids in order),
    with what phase 2 needs of them when known already (customers of new invoices, whether
    any is a refund or chargeback)."""

    report: IngestReport
    event_ids: list[int]
    invoiced: set[int]
    refunds: bool
    batch: str = ""  # public id of the RevenueBatch written with the events (none: "")


@transaction.atomic
def revenue_events_ingest(*, vendor: Vendor, items: list[Any], source: str = "api") -> IngestReport:
    """Store revenue events and compute their commissions, each item independently.

    Guarantees: an item is *stored* once per ``(vendor, external_id)`` (a resend is a
    *duplicate*, also under concurrency: ``ON CONFLICT DO NOTHING``); an invalid item is
    *refused* with the field and reason, and the valid ones are kept; every stored event gets
    its commissions in the same transaction (one per plan, ``commission.created`` /
    ``commission.reversed`` events). At most ``MAX_BULK_ITEMS`` items.

    The vendor's pending bulk batches are settled first, in this transaction: a refund's
    clawback needs the commissions of its invoice, which may still be in one of them.
    """
    # Pending bulk batches are settled before this transaction writes anything: waiting for
    # the settlement lock while holding rows a settling worker needs (the ledger's monthly
    # rollup rows) would be a deadlock. A batch committed while this one accepts its items
    # (it may hold the invoice a refund here names) is settled after, in the rare case there
    # is one.
    _settle_pending(vendor=vendor, only_if_pending=True)
    # Its batch is written settled: its commissions are computed below, in this transaction.
    accepted = _accept(vendor=vendor, items=items, source=source, settled=True)
    _settle_pending(vendor=vendor, only_if_pending=True)
    if accepted.event_ids:
        accepted.report.commission_ids = _settle_events(
            vendor=vendor,
            event_ids=accepted.event_ids,
            invoiced=accepted.invoiced,
            refunds=accepted.refunds,
        )
    return accepted.report


@transaction.atomic
def revenue_events_accept(
    *, vendor: Vendor, items: list[Any], source: str = "api"
) -> tuple[IngestReport, str]:
    """Store revenue events now and compute their commissions after the commit (bulk API).

    Same per-item guarantees and results as ``revenue_events_ingest``; the stored events are
    recorded in a *pending* ``RevenueBatch`` and ``revenue_events_settle_task`` is enqueued
    when the transaction commits (the beat sweeper enqueues it again for a batch still
    pending: a lost message, a killed worker). Returns the report and the batch's public id
    ("" when nothing was stored)."""
    accepted = _accept(vendor=vendor, items=items, source=source, settled=False)
    if accepted.batch:
        from payouts.tasks import revenue_events_settle_task

        vendor_id = vendor.pk
        transaction.on_commit(lambda: revenue_events_settle_task.delay(vendor_id))  # type: ignore[arg-type]
    return accepted.report, accepted.batch


def _accept(*, vendor: Vendor, items: list[Any], source: str, settled: bool) -> _Accepted:
    """Phase 1: parse and check the items, look up customers and stored events, insert the
    new events (``ON CONFLICT DO NOTHING``) and their batch, pending or ``settled`` (the
    caller then computes the commissions in this transaction). No commission, customer or
    outbox write."""
    if len(items) > MAX_BULK_ITEMS:
        raise ValidationError({"items": f"At most {MAX_BULK_ITEMS} items per request."})
    report = IngestReport()
    parsed: list[tuple[int, dict[str, Any]]] = []
    latest = timezone.now() + dt.timedelta(minutes=5)
    for index, raw in enumerate(items):
        try:
            parsed.append((index, _parse_item(raw, latest)))
        except _Refused as exc:
            ext = str(raw.get("external_id", "")) if isinstance(raw, dict) else ""
            # Echoed in the response: not when it cannot be written as text either.
            ext = ext[:200] if _storable(ext) else ""
            report.results.append(
                ItemResult(index, "refused", ext, reason=exc.reason, field=exc.field)
            )
    ext_ids = {p["external_id"] for _, p in parsed} | {p["refunds"] for _, p in parsed}
    known = _known_events(vendor, ext_ids)
    fresh = [p for _, p in parsed if p["external_id"] not in known]
    customers = _lookup(fresh, vendor) if fresh else {}
    refunded_so_far: dict[int, int] = {}
    refunding = {p["refunds"] for p in fresh if p["refunds"]}
    invoice_ids = [e.pk for ext, e in known.items() if ext in refunding]
    if invoice_ids:
        for e in RevenueEvent.objects.for_vendor(vendor).filter(refunded_event_id__in=invoice_ids):
            key = int(e.refunded_event_id or 0)
            refunded_so_far[key] = refunded_so_far.get(key, 0) + e.amount
    batch: dict[str, _Event] = {}
    to_create: list[tuple[int, _Event]] = []
    public_ids = iter(RevenueEvent.new_public_ids(len(parsed)))
    for index, item in parsed:
        ext = item["external_id"]
        if ext in known or ext in batch:
            existing = known.get(ext) or batch[ext]
            report.results.append(ItemResult(index, "duplicate", ext, id=existing.public_id))
            continue
        try:
            event = _build_event(item, customers, known, batch, refunded_so_far, public_ids)
        except _Refused as exc:
            report.results.append(
                ItemResult(index, "refused", ext, reason=exc.reason, field=exc.field)
            )
            continue
        batch[ext] = event
        to_create.append((index, event))
    batch_id = RevenueBatch.new_public_id()
    inserted = _events_insert(
        vendor=vendor,
        events=[e for _, e in to_create],
        source=source,
        batch=batch_id,
        settled=settled,
    )
    # A concurrent request may have stored the same external id first: ours is a duplicate.
    lost = [e.external_id for _, e in to_create if e.external_id not in inserted]
    winners = dict(
        RevenueEvent.objects.for_vendor(vendor)
        .filter(external_id__in=lost)
        .values_list("external_id", "public_id")
        if lost
        else []
    )
    accepted = _Accepted(
        report=report,
        event_ids=[],
        invoiced=set(),
        refunds=False,
        batch=batch_id if inserted else "",
    )
    for index, event in to_create:
        pk = inserted.get(event.external_id)
        if pk is not None:
            accepted.event_ids.append(pk)
            if event.kind == RevenueEvent.Kind.INVOICE_PAID:
                accepted.invoiced.add(event.customer_id)
            else:
                accepted.refunds = True
            report.results.append(
                ItemResult(index, "stored", event.external_id, id=event.public_id)
            )
        else:
            report.results.append(
                ItemResult(index, "duplicate", event.external_id, id=winners[event.external_id])
            )
    report.results.sort(key=lambda r: r.index)
    return accepted


def _settle_events(
    *, vendor: Vendor, event_ids: list[int], invoiced: set[int], refunds: bool
) -> list[int]:
    """Phase 2 for stored events: their customers' paid status and MRR, their commissions
    (invoices, then clawbacks when any is a refund), the outbox events of exactly the
    commissions inserted, the journey evaluation of first earners. Re-run safe: commissions
    are unique per (event, plan) and inserted ``ON CONFLICT DO NOTHING``."""
    _customers_touch(vendor=vendor, customer_ids=invoiced)
    commission_ids = ledger.commissions_compute(
        vendor_id=vendor.pk, event_ids=event_ids, with_clawbacks=refunds
    )
    _announce_commissions(vendor=vendor, ids=commission_ids)
    _evaluate_first_earners(vendor=vendor, commission_ids=commission_ids)
    return commission_ids


# Settlement of a vendor's pending batches is serialised per vendor (a worker, the sweeper's
# task and a synchronous ingestion may meet): ordering matters, a refund's clawback reads the
# commissions of its invoice, stored in an earlier batch.
_SETTLE_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
# Claimed and marked in one statement, in the caller's transaction: a failure later rolls the
# mark back with everything else, and the batches are pending again.
# The claimed ids are materialised once, then updated: with the LIMIT in the UPDATE's
# ``FROM (subquery … FOR UPDATE)`` a test saw all 3 of 3 pending batches claimed under
# ``LIMIT 2`` (tests/payouts/test_async_ingestion.py, "at most n batches").
_CLAIM_SQL = """
WITH p AS MATERIALIZED (
  SELECT id FROM payouts_revenuebatch
  WHERE vendor_id = %(vendor)s AND status = 'pending' ORDER BY id LIMIT %(limit)s FOR UPDATE
)
UPDATE payouts_revenuebatch b SET status = 'settled', settled_at = now(), updated_at = now()
FROM p WHERE b.id = p.id AND b.vendor_id = %(vendor)s
RETURNING b.id, b.event_ids
"""
# What phase 2 needs of stored events, derived from their ids.
_PHASE2_INPUTS_SQL = """
SELECT COALESCE(array_agg(DISTINCT customer_id) FILTER (WHERE kind = 'invoice_paid'), '{}'),
       COALESCE(bool_or(kind <> 'invoice_paid'), false)
FROM payouts_revenueevent WHERE vendor_id = %(vendor)s AND id = ANY(%(ids)s)
"""
# Events per phase-2 round when many batches are pending (one statement set per round keeps
# the arrays and each statement's memory bounded).
SETTLE_CHUNK_EVENTS = 10_000


def _settle_pending(
    *, vendor: Vendor, only_if_pending: bool = False, max_batches: int | None = None
) -> list[int]:
    """Phase 2 of the vendor's pending batches (the oldest ``max_batches``, or all), in batch
    id order, marked settled; in the caller's transaction, under the vendor's settlement lock.
    Returns the new commissions.

    ``only_if_pending``: take the lock only when a pending batch is visible (synchronous
    ingestion, so that concurrent ones of a vendor do not queue on the lock when no bulk
    batch is waiting). A batch being settled by another transaction still reads as pending
    until that one commits, so the caller then waits for it, as it must."""
    if only_if_pending and not selectors.revenue_batches_pending(vendor=vendor):
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_LOCK_SQL, [f"revenue_settle:{vendor.pk}"])
        cursor.execute(_CLAIM_SQL, {"vendor": vendor.pk, "limit": max_batches})
        claimed = sorted(cursor.fetchall())
    created: list[int] = []
    chunk: list[int] = []
    for index, (_, event_ids) in enumerate(claimed):
        chunk.extend(event_ids)
        if len(chunk) >= SETTLE_CHUNK_EVENTS or index == len(claimed) - 1:
            with connection.cursor() as cursor:
                cursor.execute(_PHASE2_INPUTS_SQL, {"vendor": vendor.pk, "ids": chunk})
                customers, refunds = cursor.fetchone()
            created += _settle_events(
                vendor=vendor, event_ids=chunk, invoiced=set(customers), refunds=refunds
            )
            chunk = []
    return created


@transaction.atomic
def revenue_events_settle(*, vendor: Vendor, max_batches: int | None = None) -> int:
    """Compute the commissions of the vendor's pending revenue batches (bulk API), the oldest
    ``max_batches`` of them or all, and mark them settled, in one transaction; returns how
    many commissions were created. Re-run safe: a second run finds nothing pending, and a
    run that fails leaves them pending."""
    return len(_settle_pending(vendor=vendor, max_batches=max_batches))


_FIRST_EARNERS_SQL = """
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


def _evaluate_first_earners(*, vendor: Vendor, commission_ids: list[int]) -> None:
    """Partnerships whose first commission is among ``commission_ids`` (all their
    commissions are new) are evaluated by the journey right after commit (Activation at
    once, not at the next hourly run). One query, whatever the batch size."""
    if not commission_ids:
        return
    from journey.services import partnership_evaluate_soon

    with connection.cursor() as cursor:
        cursor.execute(_FIRST_EARNERS_SQL, {"vendor": vendor.pk, "ids": commission_ids})
        first = [row[0] for row in cursor.fetchall()]
    for partnership_id in first:
        partnership_evaluate_soon(partnership=Partnership(pk=partnership_id, vendor=vendor))


# The rows arrive as one JSON document (``orjson`` writes the ``_Event`` rows as they are):
# twelve ``ARRAY[…]`` parameters of 1,000 elements each were 12,000 expressions for
# PostgreSQL to parse, coerce and plan (~14 ms of planning per request), where
# ``json_to_recordset`` reads one text value. The conflict target is the external id: that
# is the duplicate the API reports (a collision of the random public id is not one).
_EVENTS_INSERT_SQL = """
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
_EVENTS_AND_BATCH_INSERT_SQL = f"""
WITH ins AS ({_EVENTS_INSERT_SQL}),
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


def _events_insert(
    *, vendor: Vendor, events: list[_Event], source: str, batch: str, settled: bool
) -> dict[str, int]:
    """One INSERT for the events (``ON CONFLICT DO NOTHING``: a concurrent request may have
    stored an external id first) and their ``RevenueBatch`` row ``batch``. Returns external
    id → primary key of the rows inserted."""
    if not events:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            _EVENTS_AND_BATCH_INSERT_SQL,
            {
                "events": orjson.dumps(events).decode(),
                "vendor": vendor.pk,
                "source": source,
                "batch": batch,
                "settled": settled,
            },
        )
        return dict(cursor.fetchall())


def _build_event(
    item: dict[str, Any],
    customers: dict[str, _Cust],
    known: dict[str, _Event],
    batch: dict[str, _Event],
    refunded_so_far: dict[int, int],
    public_ids: Iterator[str],
) -> _Event:
    customer = customers.get(item["customer"])
    if customer is None:
        raise _Refused("customer", f"Unknown customer {item['customer']!r}: create it first.")
    if customer.partnership_id is not None and customer.program_currency != item["currency"]:
        raise _Refused(
            "currency",
            f"currency {item['currency']} does not match the program's "
            f"{customer.program_currency}.",
        )
    since = customer.since
    if item["occurred_at"] < since:
        raise _Refused(
            "occurred_at",
            f"occurred_at is before the customer existed ({since.isoformat()}).",
        )
    refunded = None
    if item["refunds"]:
        refunded = known.get(item["refunds"]) or batch.get(item["refunds"])
        if refunded is None or refunded.kind != RevenueEvent.Kind.INVOICE_PAID:
            raise _Refused("refunds", f"No invoice event {item['refunds']!r} to refund.")
        if refunded.pk is None:
            raise _Refused(
                "refunds", "Send the refund after its invoice has been stored (next request)."
            )
        if refunded.customer_id != customer.pk:
            raise _Refused("refunds", "The refunded invoice belongs to another customer.")
        if refunded.currency != item["currency"]:
            raise _Refused("currency", "A refund is in the currency of its invoice.")
        key = refunded.pk
        done = refunded_so_far.get(key, 0)
        if done + item["amount"] > refunded.amount:
            raise _Refused(
                "amount",
                f"Refunds would exceed the invoice: {refunded.amount - done} left to refund.",
            )
        refunded_so_far[key] = done + item["amount"]
    mrr = 0
    if item["kind"] == RevenueEvent.Kind.INVOICE_PAID:
        months = 1
        if item["period_start"] and item["period_end"]:
            months = _months_covered(item["period_start"], item["period_end"])
        mrr = item["amount"] // months
    return _Event(
        public_id=next(public_ids),
        external_id=item["external_id"],
        customer_id=customer.pk,
        partnership_id=customer.partnership_id,
        kind=item["kind"],
        amount=item["amount"],
        currency=item["currency"],
        occurred_at=item["occurred_at"],
        period_start=item["period_start"],
        period_end=item["period_end"],
        mrr_amount=mrr,
        refunded_event_id=refunded.pk if refunded else None,
    )


# Per customer, two probes of the ``(vendor, customer, occurred_at)`` index (its first and its
# latest invoice) instead of reading and sorting all its invoices, and the customers found
# by primary key (``c.id = ANY``) instead of hashing the vendor's whole customer table.
# A churned customer pays again (status back to active, churn cleared) only with an invoice
# paid after its churn: a last invoice that arrives late stays history.
_CUSTOMERS_TOUCH_SQL = """
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


def _customers_touch(*, vendor: Vendor, customer_ids: set[int]) -> None:
    """First paid date (the earliest invoice), paying status and current MRR (that of the
    latest invoice) of the customers of new invoices (one UPDATE); a churned customer
    pays again only with an invoice paid after its churn."""
    if customer_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                _CUSTOMERS_TOUCH_SQL, {"vendor": vendor.pk, "customers": sorted(customer_ids)}
            )
