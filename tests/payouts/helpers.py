"""Shared helpers of the payouts tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from payouts.models import Commission

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def invoice(ext: str, customer: str, amount: int, when: dt.datetime = T0, **extra: Any) -> dict:
    return {
        "external_id": ext,
        "kind": "invoice_paid",
        "customer": customer,
        "amount": amount,
        "currency": extra.pop("currency", "USD"),
        "occurred_at": when.isoformat(),
        **extra,
    }


def refund(ext: str, customer: str, amount: int, of: str, when: dt.datetime = T0) -> dict:
    return {
        "external_id": ext,
        "kind": "refund",
        "customer": customer,
        "amount": amount,
        "currency": "USD",
        "occurred_at": (when + dt.timedelta(days=1)).isoformat(),
        "refunds": of,
    }


def amounts(vendor, **filters: Any) -> list[int]:
    """The commissions' amounts in the order of their revenue events, then plans (a key: the
    ledger writes many rows per INSERT … SELECT, in whatever order its plan yields)."""
    return list(
        Commission.objects.for_vendor(vendor)
        .filter(**filters)
        .order_by("revenue_event_id", "plan_id")
        .values_list("amount", flat=True)
    )
