"""Revenue events in: validation per item, ingestion (single, bulk, CSV) and acceptance into
revenue batches; the commissions follow at once (``revenue_events_ingest``) or from a worker
(``revenue_events_accept``, settled by ``settlement.revenue_events_settle``)."""

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
from payouts import sql
from payouts.models import (
    RevenueBatch,
    RevenueEvent,
)
from payouts.services.settlement import settle_events, settle_pending

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


def _lookup(items: Iterable[dict[str, Any]], vendor: Vendor) -> dict[str, _Cust]:
    """The customers the items name, by external id and by ``cus_`` id (one query)."""
    refs = list({i["customer"] for i in items})
    customers: dict[str, _Cust] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            sql.CUSTOMERS_SQL, {"vendor": vendor.pk, "refs": orjson.dumps(refs).decode()}
        )
        rows = cursor.fetchall()
    for pk, ext, pid, partnership_id, currency, since in rows:
        c = _Cust(pk, partnership_id, currency, since)
        customers[ext] = c
        customers[pid] = c
    return customers


def _known_events(vendor: Vendor, ext_ids: set[str]) -> dict[str, _Event]:
    """The vendor's stored events with these external ids (duplicates, refunded invoices)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.KNOWN_EVENTS_SQL,
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
    settle_pending(vendor=vendor, only_if_pending=True)
    # Its batch is written settled: its commissions are computed below, in this transaction.
    accepted = _accept(vendor=vendor, items=items, source=source, settled=True)
    settle_pending(vendor=vendor, only_if_pending=True)
    if accepted.event_ids:
        accepted.report.commission_ids = settle_events(
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
            sql.EVENTS_AND_BATCH_INSERT_SQL,
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
