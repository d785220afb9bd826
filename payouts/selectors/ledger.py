"""Reads of the ledger: customers, commissions (with their status history), revenue batches,
commission plans, and money formatting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from partnerhub.tenancy.models import Vendor
from payouts.models import (
    Commission,
    CommissionPlan,
    CommissionPlanTier,
    Customer,
    RevenueBatch,
    RevenueEvent,
)

# ISO-4217 minor-unit exponents that are not 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3}


def money_format(amount: int, currency: str) -> str:
    """``4999, "USD"`` → ``"49.99 USD"`` (display only; money stays integer)."""
    exponent = _EXPONENTS.get(currency, 2)
    value = Decimal(amount).scaleb(-exponent)
    return f"{value:,.{exponent}f} {currency}"


# --- lists ----------------------------------------------------------------------------------


def customer_list(*, vendor: Vendor, filters: dict[str, Any] | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.for_vendor(vendor).select_related("partnership__partner")
    filters = filters or {}
    if filters.get("q"):
        qs = qs.filter(Q(external_id__icontains=filters["q"]) | Q(email__icontains=filters["q"]))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("-created_at", "-id")


def commission_list(
    *, vendor: Vendor, filters: dict[str, Any] | None = None
) -> QuerySet[Commission]:
    qs = Commission.objects.for_vendor(vendor).select_related(
        "partnership__partner", "revenue_event", "customer"
    )
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("partnership"):
        qs = qs.filter(partnership__public_id=filters["partnership"])
    return qs.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class CommissionStatusChange:
    at: dt.datetime
    from_status: str
    to_status: str
    actor_label: str
    reason: str
    via: str  # what the audit row is about: "commission", "payout po_…", "payout_run run_…"


def revenue_batches_pending(*, vendor: Vendor) -> bool:
    """Whether the vendor has a bulk batch whose commissions are not computed yet (a short
    range of the partial pending index)."""
    return (
        RevenueBatch.objects.for_vendor(vendor).filter(status=RevenueBatch.Status.PENDING).exists()
    )


@dataclass(frozen=True)
class BatchCommissionTotal:
    currency: str
    amount: int
    count: int


def revenue_batch_commission_totals(
    *, vendor: Vendor, batch: RevenueBatch
) -> list[BatchCommissionTotal]:
    """What the commissions of a bulk batch's events add up to, per currency (an integrator
    reconciles a settled batch with it). One query: the batch's event ids probe the
    ``(vendor, revenue_event, plan)`` unique index. Empty while the batch is pending."""
    rows = (
        Commission.objects.for_vendor(vendor)
        .filter(revenue_event_id__in=batch.event_ids)
        .values("currency")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by("currency")
    )
    return [BatchCommissionTotal(r["currency"], int(r["amount"]), r["count"]) for r in rows]


def commission_history(*, vendor: Vendor, commission_id: str) -> list[CommissionStatusChange]:
    """When and why a commission changed status, oldest first, from the audit log: rows about
    the commission itself (a full reversal) and rows about a payout, run or release batch that
    moved it among others (``after.commissions`` lists it; ``before.status`` maps it to its
    previous status). One query."""
    from partnerhub.audit.models import AuditEntry

    entries = (
        AuditEntry.objects.for_vendor(vendor)
        .filter(action="commission.status_changed")
        .filter(
            Q(target_type="commission", target_id=commission_id)
            | Q(after__commissions__contains=[commission_id])
        )
        .order_by("created_at", "id")
    )
    changes = []
    for e in entries:
        before = (e.before or {}).get("status")
        from_status = before.get(commission_id, "") if isinstance(before, dict) else before
        via = "commission" if e.target_type == "commission" else f"{e.target_type} {e.target_id}"
        changes.append(
            CommissionStatusChange(
                at=e.created_at,
                from_status=from_status or "",
                to_status=(e.after or {}).get("status", ""),
                actor_label=e.actor_label,
                reason=e.reason,
                via=via,
            )
        )
    return changes


def commission_plan_list(
    *, vendor: Vendor, filters: dict[str, Any] | None = None
) -> QuerySet[CommissionPlan]:
    """Plans with their program, persona and tiers (three queries whatever the count);
    filters: ``program`` (id), ``kind``, ``is_active`` ("true"/"false")."""
    tiers = CommissionPlanTier.objects.for_vendor(vendor)
    qs = (
        CommissionPlan.objects.for_vendor(vendor)
        .select_related("program", "persona")
        .prefetch_related(Prefetch("tiers", queryset=tiers))
    )
    filters = filters or {}
    if filters.get("program"):
        qs = qs.filter(program__public_id=filters["program"])
    if filters.get("kind") in CommissionPlan.Kind.values:
        qs = qs.filter(kind=filters["kind"])
    active = str(filters.get("is_active") or "").lower()
    if active in ("true", "false"):
        qs = qs.filter(is_active=active == "true")
    return qs.order_by("program__name", "-is_active", "name", "id")


def program_ledger_currency(*, vendor: Vendor, program: Any) -> str | None:
    """The currency the program's ledger is in, if it has revenue events or commissions
    (any status), else None: amounts in minor units mean nothing in another currency."""
    event = (
        RevenueEvent.objects.for_vendor(vendor)
        .filter(partnership__program=program)
        .values_list("currency", flat=True)
        .first()
    )
    if event is not None:
        return event
    return (
        Commission.objects.for_vendor(vendor)
        .filter(partnership__program=program)
        .values_list("currency", flat=True)
        .first()
    )


def commission_plans_active_count(*, vendor: Vendor, program: Any) -> int:
    return CommissionPlan.objects.for_vendor(vendor).filter(program=program, is_active=True).count()


def customer_get(*, vendor: Vendor, customer_id: str) -> Customer:
    customer = (
        Customer.objects.for_vendor(vendor)
        .select_related("partnership__partner", "flagged_partnership__partner")
        .filter(public_id=customer_id)
        .first()
    )
    if customer is None:
        raise Http404("No such customer")
    return customer
