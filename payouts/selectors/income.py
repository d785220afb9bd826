"""Reads of income: money per partnership (paying customers, attributed MRR, commissions
earned), the partner portal's passive income and projection, and the vendor's income by
program and by partner."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from payouts.models import (
    Commission,
    CommissionPlan,
    CommissionStatus,
    Customer,
    Payout,
    PayoutStatus,
)

# --- money per partnership (keyed by partnership id; the journey reads journey_source) -----


def partnership_paying_customers(*, vendor: Vendor) -> dict[int, int]:
    """Paying (active) attributed customers per partnership."""
    rows = (
        Customer.objects.for_vendor(vendor)
        .filter(status=Customer.Status.ACTIVE, partnership__isnull=False)
        .values("partnership_id")
        .annotate(n=Count("id"))
    )
    return {r["partnership_id"]: r["n"] for r in rows}


def partnership_attributed_mrr(*, vendor: Vendor) -> dict[int, int]:
    """Current MRR (minor units) of the paying customers attributed to each partnership."""
    rows = (
        Customer.objects.for_vendor(vendor)
        .filter(status=Customer.Status.ACTIVE, partnership__isnull=False)
        .values("partnership_id")
        .annotate(mrr=Sum("mrr_amount"))
    )
    return {r["partnership_id"]: r["mrr"] or 0 for r in rows}


def partnership_commissions_earned(
    *, vendor: Vendor, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, int]:
    """Net commissions (clawbacks included, reversed pairs excluded) per partnership whose
    revenue occurred in ``[since, until)``."""
    qs = Commission.objects.for_vendor(vendor).exclude(status=CommissionStatus.REVERSED)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    rows = qs.values("partnership_id").annotate(total=Sum("amount"))
    return {r["partnership_id"]: r["total"] or 0 for r in rows}


# --- passive income -------------------------------------------------------------------------


@dataclass
class PassiveIncome:
    currency: str
    attributed_mrr: int
    paying_customers: int
    monthly: list[tuple[dt.date, int]]  # recurring earnings per month (net)
    next_payout: int  # available now + approved/draft payouts not yet paid
    next_payout_date: dt.date | None
    projection: list[tuple[dt.date, int]] = field(default_factory=list)
    pending: int = 0


def _effective_rate(plan: CommissionPlan, stage: str) -> Decimal:
    from partners.stages import stage_rank

    rate = plan.rate
    best = -1
    for tier in plan.tiers.all():
        rank = stage_rank(tier.from_stage)
        if rank <= stage_rank(stage) and rank > best:
            best, rate = rank, tier.rate
    return rate


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


def passive_income_by_partnership(
    *, partnerships: list[Partnership], months: int = 12
) -> dict[int, PassiveIncome]:
    """Per partnership (keyed by id): earnings per month (last ``months``), attributed MRR,
    the next payout and a projection for the next ``months`` months from the paying
    customers' current MRR under the program's percent plans (respecting each plan's
    duration). The partnerships may belong to several vendors (the partner portal); the
    number of queries does not depend on how many there are. ``program`` must be loaded."""
    if not partnerships:
        return {}
    ids = [p.pk for p in partnerships]
    vendor_ids = {p.vendor_id for p in partnerships}
    (partner_id,) = {p.partner_id for p in partnerships}  # one partner's portal
    today = timezone.now().date().replace(day=1)
    since = _add_months(today, -(months - 1))
    ledger = Commission.objects.for_partner(partner_id).filter(
        vendor_id__in=vendor_ids, partnership_id__in=ids
    )
    by_month: dict[tuple[int, dt.date], int] = defaultdict(int)
    for partnership_id, month, total in (
        ledger.exclude(status=CommissionStatus.REVERSED)
        .filter(occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at", tzinfo=dt.UTC))
        .values_list("partnership_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("partnership_id", "month", "total")
    ):
        by_month[(partnership_id, month.date())] += total
    customers: dict[int, list[Customer]] = defaultdict(list)
    for customer in Customer.objects.for_partner(partner_id).filter(
        vendor_id__in=vendor_ids, partnership_id__in=ids, status=Customer.Status.ACTIVE
    ):
        customers[customer.partnership_id].append(customer)
    plans_by_program: dict[int, list[CommissionPlan]] = defaultdict(list)
    for plan in (
        CommissionPlan.objects.unscoped()
        .filter(
            vendor_id__in=vendor_ids,
            program_id__in={p.program_id for p in partnerships},
            kind=CommissionPlan.Kind.PERCENT,
            is_active=True,
        )
        .prefetch_related("tiers")
    ):
        plans_by_program[plan.program_id].append(plan)
    sums = {
        row["partnership_id"]: row
        for row in ledger.values("partnership_id").annotate(
            available=Sum("amount", filter=Q(status=CommissionStatus.AVAILABLE)),
            pending=Sum("amount", filter=Q(status=CommissionStatus.PENDING)),
        )
    }
    unpaid = dict(
        Payout.objects.for_partner(partner_id)
        .filter(
            vendor_id__in=vendor_ids,
            partnership_id__in=ids,
            status__in=[PayoutStatus.DRAFT, PayoutStatus.HELD, PayoutStatus.APPROVED],
        )
        .values_list("partnership_id")
        .annotate(total=Sum("amount"))
        .values_list("partnership_id", "total")
    )
    result = {}
    for partnership in partnerships:
        mine = customers[partnership.pk]
        plans = [
            plan
            for plan in plans_by_program[partnership.program_id]
            if plan.persona_id in (None, partnership.persona_id)
        ]
        if any(p.persona_id for p in plans):
            plans = [p for p in plans if p.persona_id]
        projection = []
        for i in range(1, months + 1):
            month = _add_months(today, i)
            total = Decimal(0)
            for customer in mine:
                for plan in plans:
                    if plan.duration_months and customer.first_paid_at:
                        end = _add_months(customer.first_paid_at.date(), plan.duration_months)
                        if month >= end:
                            continue
                    total += _effective_rate(plan, partnership.stage) * customer.mrr_amount
            projection.append((month, int(total.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))))
        own = sums.get(partnership.pk, {})
        result[partnership.pk] = PassiveIncome(
            currency=partnership.program.currency,
            attributed_mrr=sum(c.mrr_amount for c in mine),
            paying_customers=len(mine),
            monthly=[
                (month, by_month[(partnership.pk, month)])
                for month in (_add_months(since, i) for i in range(months))
            ],
            next_payout=unpaid.get(partnership.pk, 0) + (own.get("available") or 0),
            next_payout_date=_add_months(today, 1),
            projection=projection,
            pending=own.get("pending") or 0,
        )
    return result


@dataclass
class VendorIncomeRow:
    label: str
    currency: str
    attributed_mrr: int
    commission_cost: int


def vendor_income_by_program(*, vendor: Vendor, since: dt.datetime) -> list[VendorIncomeRow]:
    """Per program: attributed MRR now and commission cost since ``since``."""
    from programs.models import Program

    programs = Program.objects.for_vendor(vendor).order_by("name")
    mrr = dict(
        Customer.objects.for_vendor(vendor)
        # The partnership's vendor too: without it the join reads every vendor's
        # partnerships (a sequential scan of the whole table).
        .filter(status=Customer.Status.ACTIVE, partnership__vendor=vendor)
        .values_list("partnership__program_id")
        .annotate(total=Sum("mrr_amount"))
        .values_list("partnership__program_id", "total")
    )
    cost = dict(
        Commission.objects.for_vendor(vendor)
        .exclude(status=CommissionStatus.REVERSED)
        .filter(occurred_at__gte=since, partnership__vendor=vendor)
        .values_list("partnership__program_id")
        .annotate(total=Sum("amount"))
        .values_list("partnership__program_id", "total")
    )
    return [
        VendorIncomeRow(p.name, p.currency, mrr.get(p.pk) or 0, cost.get(p.pk) or 0)
        for p in programs
    ]


def vendor_income_by_partner(
    *, vendor: Vendor, since: dt.datetime, limit: int = 50
) -> list[VendorIncomeRow]:
    """The top partnerships by attributed MRR, with their commission cost since ``since``."""
    mrr = partnership_attributed_mrr(vendor=vendor)
    cost = partnership_commissions_earned(vendor=vendor, since=since)
    ids = sorted(set(mrr) | set(cost), key=lambda i: (-mrr.get(i, 0), -cost.get(i, 0)))[:limit]
    partnerships = {
        p.pk: p
        for p in Partnership.objects.for_vendor(vendor)
        .filter(pk__in=ids)
        .select_related("partner", "program")
    }
    return [
        VendorIncomeRow(
            f"{partnerships[i].partner} ({partnerships[i].program.name})",
            partnerships[i].program.currency,
            mrr.get(i, 0),
            cost.get(i, 0),
        )
        for i in ids
    ]
