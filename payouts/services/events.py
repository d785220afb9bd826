"""Outbox events of the payouts app: the API representation of commissions and customers as
event payloads (in Python and, for bulk announcements, in SQL)."""

from __future__ import annotations

from typing import Any

from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services import (
    EventSpec,
    event_record_many,
    event_record_select,
)
from payouts.models import (
    Commission,
    Customer,
)

# --- events ---------------------------------------------------------------------------------


def events_bulk_record(*, vendor: Vendor, type: str, datas: list[dict[str, Any]]) -> None:
    """``event_record`` for many objects of one type rendered in Python: one INSERT, one
    fan-out task after commit (only when an endpoint listens). Thousands at once are built
    in SQL instead (``event_record_select``)."""
    if datas:
        event_record_many(vendor=vendor, events=[EventSpec(type=type, data=d) for d in datas])


def commission_data(c: Commission) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "object": "commission",
        "kind": c.kind,
        "amount": c.amount,
        "currency": c.currency,
        "status": c.status,
        "rate": str(c.rate) if c.rate is not None else None,
        "partnership": c.partnership.public_id,
        "revenue_event": c.revenue_event.public_id if c.revenue_event else None,
        "reverses": c.reverses.public_id if c.reverses else None,
        "occurred_at": c.occurred_at.isoformat(),
        "available_at": c.available_at.isoformat(),
    }


def customer_data(c: Customer) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "object": "customer",
        "external_id": c.external_id,
        "partnership": c.partnership.public_id if c.partnership else None,
        "attribution_method": c.attribution_method,
        "status": c.status,
        "churned_at": c.churned_at.isoformat() if c.churned_at else None,
    }


def _iso_sql(column: str) -> str:
    """A timestamptz as Python's ``datetime.isoformat()`` renders it in UTC (microseconds
    only when there are any), so events built in SQL equal those built in Python."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""(to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') """
        f"|| CASE WHEN date_part('microseconds', {utc})::bigint %% 1000000 <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
    )


# The API rendering of a commission (``commission_data``), in SQL: bulk ingestion announces
# thousands at once, so the outbox rows are built by the database, not in Python.
_COMMISSION_EVENTS_SQL = f"""
SELECT CASE WHEN c.kind = 'clawback' THEN 'commission.reversed' ELSE 'commission.created' END,
       jsonb_build_object(
         'id', c.public_id, 'object', 'commission', 'kind', c.kind, 'amount', c.amount,
         'currency', c.currency, 'status', c.status, 'rate', c.rate::text,
         'partnership', ptn.public_id, 'revenue_event', ev.public_id,
         'reverses', rev.public_id, 'occurred_at', {_iso_sql("c.occurred_at")},
         'available_at', {_iso_sql("c.available_at")})
FROM payouts_commission c
JOIN partners_partnership ptn ON ptn.id = c.partnership_id
LEFT JOIN payouts_revenueevent ev ON ev.id = c.revenue_event_id
LEFT JOIN payouts_commission rev ON rev.id = c.reverses_id
WHERE c.vendor_id = %(vendor)s AND c.id = ANY(%(ids)s)
ORDER BY c.id
"""  # noqa: S608 -- only code constants are formatted in; values are bound


def _announce_commissions(*, vendor: Vendor, ids: list[int]) -> None:
    """``commission.created`` (and ``commission.reversed`` for clawbacks) for each new
    commission: one statement whatever the number."""
    if ids:
        event_record_select(
            vendor=vendor,
            select_sql=_COMMISSION_EVENTS_SQL,
            params={"vendor": vendor.pk, "ids": ids},
        )
