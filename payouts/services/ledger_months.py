"""The ledger's monthly sums (``LedgerMonth``): kept by the ledger triggers of migration
0009, recomputed here when a write skipped them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction


def ledger_months_rebuild(*, vendor_ids: Iterable[int]) -> None:
    """Recompute the vendors' ``LedgerMonth`` rows from their revenue events and commissions
    (the SQL function ``payouts_ledgermonth_rebuild``): after writes that skipped the ledger
    triggers (``bench_seed``'s replica-role statements), or to repair. Exact under concurrent
    ledger writes: the function locks the rollup against them while it reads."""
    with transaction.atomic(), connection.cursor() as cursor:
        for vendor_id in vendor_ids:
            cursor.execute("SELECT payouts_ledgermonth_rebuild(%s)", [vendor_id])
