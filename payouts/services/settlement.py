"""Settlement of accepted revenue: a batch's events become commissions (the ledger's
statements), customers' paying state and MRR are refreshed, the commissions are announced
and partnerships that earned their first commission are evaluated by the journey. Batches are
claimed under a per-vendor advisory lock, at most ``max_batches`` per transaction."""

from __future__ import annotations

from django.db import connection, transaction

from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from payouts import sql
from payouts.selectors.ledger import revenue_batches_pending
from payouts.services import ledger
from payouts.services.events import announce_commissions


def settle_events(
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
    announce_commissions(vendor=vendor, ids=commission_ids)
    _evaluate_first_earners(vendor=vendor, commission_ids=commission_ids)
    return commission_ids


# Events per phase-2 round when many batches are pending (one statement set per round keeps
# the arrays and each statement's memory bounded).
SETTLE_CHUNK_EVENTS = 10_000


def settle_pending(
    *, vendor: Vendor, only_if_pending: bool = False, max_batches: int | None = None
) -> list[int]:
    """Phase 2 of the vendor's pending batches (the oldest ``max_batches``, or all), in batch
    id order, marked settled; in the caller's transaction, under the vendor's settlement lock.
    Returns the new commissions.

    ``only_if_pending``: take the lock only when a pending batch is visible (synchronous
    ingestion, so that concurrent ones of a vendor do not queue on the lock when no bulk
    batch is waiting). A batch being settled by another transaction still reads as pending
    until that one commits, so the caller then waits for it, as it must."""
    if only_if_pending and not revenue_batches_pending(vendor=vendor):
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql.SETTLE_LOCK_SQL, [f"revenue_settle:{vendor.pk}"])
        cursor.execute(sql.CLAIM_SQL, {"vendor": vendor.pk, "limit": max_batches})
        claimed = sorted(cursor.fetchall())
    created: list[int] = []
    chunk: list[int] = []
    for index, (_, event_ids) in enumerate(claimed):
        chunk.extend(event_ids)
        if len(chunk) >= SETTLE_CHUNK_EVENTS or index == len(claimed) - 1:
            with connection.cursor() as cursor:
                cursor.execute(sql.PHASE2_INPUTS_SQL, {"vendor": vendor.pk, "ids": chunk})
                customers, refunds = cursor.fetchone()
            created += settle_events(
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
    return len(settle_pending(vendor=vendor, max_batches=max_batches))


def _evaluate_first_earners(*, vendor: Vendor, commission_ids: list[int]) -> None:
    """Partnerships whose first commission is among ``commission_ids`` (all their
    commissions are new) are evaluated by the journey right after commit (Activation at
    once, not at the next hourly run). One query, whatever the batch size."""
    if not commission_ids:
        return
    from journey.services.evaluation import partnership_evaluate_soon

    with connection.cursor() as cursor:
        cursor.execute(sql.FIRST_EARNERS_SQL, {"vendor": vendor.pk, "ids": commission_ids})
        first = [row[0] for row in cursor.fetchall()]
    for partnership_id in first:
        partnership_evaluate_soon(partnership=Partnership(pk=partnership_id, vendor=vendor))


def _customers_touch(*, vendor: Vendor, customer_ids: set[int]) -> None:
    """First paid date (the earliest invoice), paying status and current MRR (that of the
    latest invoice) of the customers of new invoices (one UPDATE); a churned customer
    pays again only with an invoice paid after its churn."""
    if customer_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.CUSTOMERS_TOUCH_SQL, {"vendor": vendor.pk, "customers": sorted(customer_ids)}
            )
