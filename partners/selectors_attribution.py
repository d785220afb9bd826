"""Reads for leads, clicks and customer attribution (dashboard and portal)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Vendor
from partners.models import Lead, Partnership, ReferralClick
from payouts.models import Customer


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


def customer_for_attribution(*, vendor: Vendor, customer_id: str) -> Customer:
    customer = (
        Customer.objects.for_vendor(vendor)
        .select_related("partnership__partner", "flagged_partnership__partner")
        .filter(public_id=customer_id)
        .first()
    )
    if customer is None:
        raise Http404("No such customer")
    return customer


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
