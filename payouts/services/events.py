"""Outbox events of the payouts app: a payload is the resource's API representation (the
serializers of ``payouts.serializers``), or its SQL twin for bulk announcements."""

from __future__ import annotations

from typing import Any

from partnerhub.api.serializers import api_representation
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import EventSpec, event_record_many, event_record_select
from payouts.models import Commission, Customer, Payout
from payouts.serializers import (
    CommissionOutputSerializer,
    CustomerOutputSerializer,
    PayoutOutputSerializer,
)

# --- events ---------------------------------------------------------------------------------


def events_bulk_record(*, vendor: Vendor, type: str, datas: list[dict[str, Any]]) -> None:
    """``event_record`` for many objects of one type rendered in Python: one INSERT, one
    fan-out task after commit (only when an endpoint listens). Thousands at once are built
    in SQL instead (``event_record_select``)."""
    if datas:
        event_record_many(vendor=vendor, events=[EventSpec(type=type, data=d) for d in datas])


def commission_data(c: Commission) -> dict[str, Any]:
    return api_representation(CommissionOutputSerializer, c)


def customer_data(c: Customer) -> dict[str, Any]:
    return api_representation(CustomerOutputSerializer, c)


def payout_data(p: Payout) -> dict[str, Any]:
    return api_representation(PayoutOutputSerializer, p)


def _iso_sql(column: str) -> str:
    """A timestamptz as the API renders it (``REST_FRAMEWORK["DATETIME_FORMAT"]``: UTC,
    microseconds, ``Z``), so events built in SQL equal those built from the serializers."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


# The API rendering of a commission (``CommissionOutputSerializer``), in SQL: bulk ingestion
# announces thousands at once, so the outbox rows are built by the database, not in Python.
# tests/payouts/test_ingestion.py checks that both renderings are equal.
_COMMISSION_EVENTS_SQL = f"""
SELECT CASE WHEN c.kind = 'clawback' THEN 'commission.reversed' ELSE 'commission.created' END,
       jsonb_build_object(
         'id', c.public_id, 'kind', c.kind, 'amount', c.amount, 'currency', c.currency,
         'rate', c.rate::text, 'base_amount', c.base_amount, 'status', c.status,
         'partnership', ptn.public_id,
         'plan', pl.public_id,
         'revenue_event', ev.public_id,
         'customer', cu.public_id,
         'reverses', rev.public_id,
         'payout', po.public_id,
         'occurred_at', {_iso_sql("c.occurred_at")},
         'available_at', {_iso_sql("c.available_at")},
         'created_at', {_iso_sql("c.created_at")})
FROM payouts_commission c
JOIN partners_partnership ptn ON ptn.id = c.partnership_id
LEFT JOIN payouts_revenueevent ev ON ev.id = c.revenue_event_id
LEFT JOIN payouts_commission rev ON rev.id = c.reverses_id
LEFT JOIN payouts_commissionplan pl ON pl.id = c.plan_id
LEFT JOIN payouts_customer cu ON cu.id = c.customer_id
LEFT JOIN payouts_payout po ON po.id = c.payout_id
WHERE c.vendor_id = %(vendor)s AND c.id = ANY(%(ids)s)
ORDER BY c.id
"""  # noqa: S608 -- only code constants are formatted in; values are bound

# ``payout.created`` for a payout run's chunk, rendered like ``PayoutOutputSerializer`` by the
# database (tests/payouts/test_runs.py checks both renderings are equal).
PAYOUT_EVENTS_SQL = f"""
SELECT 'payout.created',
       jsonb_build_object(
         'id', p.public_id, 'run', r.public_id, 'program', prg.public_id,
         'partnership', ptn.public_id, 'amount', p.amount, 'currency', p.currency,
         'commissions_count', p.commissions_count, 'status', p.status,
         'held_reason', p.held_reason, 'provider', p.provider,
         'provider_reference', p.provider_reference, 'failure_reason', p.failure_reason,
         'approved_at', {_iso_sql("p.approved_at")}, 'paid_at', {_iso_sql("p.paid_at")},
         'created_at', {_iso_sql("p.created_at")})
FROM payouts_payout p
JOIN payouts_payoutrun r ON r.id = p.run_id
JOIN programs_program prg ON prg.id = p.program_id
JOIN partners_partnership ptn ON ptn.id = p.partnership_id
WHERE p.vendor_id = %(vendor)s AND p.id = ANY(%(ids)s)
ORDER BY p.id
"""  # noqa: S608 -- only code constants are formatted in; values are bound


def announce_commissions(*, vendor: Vendor, ids: list[int]) -> None:
    """``commission.created`` (and ``commission.reversed`` for clawbacks) for each new
    commission: one statement whatever the number."""
    if ids:
        event_record_select(
            vendor=vendor,
            select_sql=_COMMISSION_EVENTS_SQL,
            params={"vendor": vendor.pk, "ids": ids},
        )
