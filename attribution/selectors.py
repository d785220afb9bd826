"""Reads for leads, clicks and customer attribution (dashboard and portal)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Vendor
from partners.models import Lead, Partnership, ReferralClick
from payouts.models import Commission, CommissionStatus, Customer


def lead_list(*, vendor: Vendor, filters: dict[str, Any] | None = None) -> QuerySet[Lead]:
    filters = filters or {}
    qs = Lead.objects.for_vendor(vendor).select_related(
        "partnership__partner", "partnership__program", "decided_by"
    )
    if filters.get("status") in Lead.Status.values:
        qs = qs.filter(status=filters["status"])
    if filters.get("program"):
        qs = qs.filter(partnership__program__public_id=filters["program"])
    return qs.order_by("-created_at", "-id")


def lead_get(*, vendor: Vendor, lead_id: str) -> Lead:
    lead = lead_list(vendor=vendor).filter(public_id=lead_id).first()
    if lead is None:
        raise Http404("No such lead")
    return lead


def leads_for_partnership(*, partnership: Partnership) -> QuerySet[Lead]:
    return Lead.objects.for_vendor(partnership.vendor).filter(partnership=partnership)


def customer_attribution_history(*, vendor: Vendor, customer: Customer) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.for_vendor(vendor)
        .filter(target_type="customer", target_id=customer.public_id)
        .order_by("-created_at")
    )


def partnerships_for_choice(*, vendor: Vendor) -> QuerySet[Partnership]:
    return (
        Partnership.objects.for_vendor(vendor)
        .select_related("partner", "program")
        .filter(status=Partnership.Status.APPROVED)
        .order_by("partner__name")
    )


def click_count(*, partnership: Partnership) -> int:
    return (
        ReferralClick.objects.for_vendor(partnership.vendor).filter(partnership=partnership).count()
    )


@dataclass(frozen=True)
class ReferralFunnel:
    """One partnership's referral funnel, all time: link clicks → attributed customers →
    paying customers → earned commissions (per currency, reversed ones left out)."""

    clicks: int
    customers: int
    paying_customers: int
    earnings: list[tuple[str, int]]  # (currency, minor units)

    @staticmethod
    def _percent(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)

    @property
    def click_to_customer(self) -> Decimal | None:
        return self._percent(self.customers, self.clicks)

    @property
    def customer_to_paying(self) -> Decimal | None:
        return self._percent(self.paying_customers, self.customers)


def referral_funnel(*, partnership: Partnership) -> ReferralFunnel:
    """Three aggregate queries, whatever the number of clicks, customers or commissions."""
    vendor = partnership.vendor
    customers = (
        Customer.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .aggregate(
            total=Count("id"),
            paying=Count("id", filter=Q(first_paid_at__isnull=False)),
        )
    )
    earnings = (
        Commission.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .exclude(status=CommissionStatus.REVERSED)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return ReferralFunnel(
        clicks=click_count(partnership=partnership),
        customers=customers["total"],
        paying_customers=customers["paying"],
        earnings=[(row["currency"], row["total"]) for row in earnings],
    )
