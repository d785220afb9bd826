"""Reads of payout runs and payouts: lists, a run's payouts and per-status summary, the bank
or PayPal CSV, and partners' payout details."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from partnerhub.tenancy.models import Vendor
from partners.models import Partner
from payouts.models import (
    PartnerPayoutDetails,
    Payout,
    PayoutRun,
    PayoutStatus,
)
from payouts.selectors.ledger import _EXPONENTS, money_format


def payout_run_list(*, vendor: Vendor) -> QuerySet[PayoutRun]:
    return PayoutRun.objects.for_vendor(vendor).select_related("program").order_by("-id")


def payouts_of_run(
    *, vendor: Vendor, run: PayoutRun, status: str = "", partner: str = ""
) -> QuerySet[Payout]:
    """A run's payouts by partner name; ``status`` and a partner-name fragment narrow them."""
    payouts = Payout.objects.for_vendor(vendor).filter(run=run)
    if status:
        payouts = payouts.filter(status=status)
    if partner:
        payouts = payouts.filter(partnership__partner__name__icontains=partner)
    return payouts.select_related("partnership__partner").order_by(
        "partnership__partner__name", "id"
    )


@dataclass(frozen=True)
class RunStatusLine:
    status: str
    label: str
    count: int
    totals: list[str]  # formatted, one per currency


def payout_run_summary(*, vendor: Vendor, run: PayoutRun) -> list[RunStatusLine]:
    """Per payout status: how many payouts and their total per currency (one query)."""
    rows = (
        Payout.objects.for_vendor(vendor)
        .filter(run=run)
        .values("status", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("status", "currency")
    )
    counts: dict[str, int] = defaultdict(int)
    totals: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        counts[r["status"]] += int(r["n"])
        totals[r["status"]].append(money_format(int(r["total"] or 0), r["currency"]))
    return [
        RunStatusLine(value, str(label), counts[value], totals[value])
        for value, label in PayoutStatus.choices
        if value in counts
    ]


def payouts_csv(*, vendor: Vendor, run: PayoutRun) -> str:
    """Approved payouts of a run as a CSV for a bank or PayPal mass payout."""
    payouts = list(payouts_of_run(vendor=vendor, run=run).filter(status=PayoutStatus.APPROVED))
    details = {
        d.partner_id: d
        for d in PartnerPayoutDetails.objects.for_vendor(vendor).filter(
            partner_id__in=[p.partnership.partner_id for p in payouts]
        )
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["payout_id", "partner", "email", "method", "paypal_email", "bank_reference", "country",
         "amount", "currency", "amount_minor"]
    )  # fmt: skip
    for p in payouts:
        partner = p.partnership.partner
        d = details.get(partner.pk)
        exponent = _EXPONENTS.get(p.currency, 2)
        writer.writerow(
            [
                p.public_id,
                _csv_safe(partner.name),
                partner.email,
                d.method if d else "",
                d.paypal_email if d else "",
                _csv_safe(d.bank_reference) if d else "",
                d.country if d else "",
                f"{Decimal(p.amount).scaleb(-exponent):.{exponent}f}",
                p.currency,
                p.amount,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def partner_payout_details(*, vendor_id: int, partner: Partner) -> PartnerPayoutDetails | None:
    return PartnerPayoutDetails.objects.for_vendor(vendor_id).filter(partner=partner).first()


def partner_payout_details_by_vendor(
    *, partner: Partner, vendor_ids: set[int]
) -> dict[int, PartnerPayoutDetails]:
    """The partner's payout details with each of these vendors, in one query (the portal)."""
    return {
        d.vendor_id: d
        for d in PartnerPayoutDetails.objects.for_partner(partner).filter(vendor_id__in=vendor_ids)
    }


def payout_details_list(*, vendor: Vendor) -> QuerySet[PartnerPayoutDetails]:
    return (
        PartnerPayoutDetails.objects.for_vendor(vendor)
        .select_related("partner")
        .order_by("partner__name", "id")
    )
