"""Reads of the payouts app.

The ``partnership_*`` metrics are set-based: one query for every partnership of a vendor,
keyed by partnership id (the journey stage rules read them). Money sums are in the currency of
each partnership's program (revenue in another currency is refused at ingestion).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from partnerhub.tenancy.models import Vendor
from partners.models import Partner, Partnership
from payouts.models import (
    Commission,
    CommissionPlan,
    CommissionPlanTier,
    CommissionStatus,
    Customer,
    PartnerPayoutDetails,
    Payout,
    PayoutRun,
    PayoutStatus,
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
