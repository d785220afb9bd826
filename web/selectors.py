"""Reads behind the vendor home page: the numbers a partner manager checks every morning.

Each figure is one aggregate statement over the vendor's rows, so the page costs the same
number of queries with ten partnerships as with a hundred thousand. Months and quarters are
cut in the vendor's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from journey.models import StageTransition
from journey.selectors import at_risk_partnerships
from partnerhub.tenancy.models import Vendor
from partners.models import Application, Partnership
from partners.stages import STAGE_ORDER, Stage
from payouts.models import (
    Customer,
    LedgerMonth,
    Payout,
    PayoutStatus,
)

TREND_MONTHS = 12
ACTIVATED_STAGES = [Stage.ACTIVATION, Stage.INVESTMENT, Stage.DEVOTION]


@dataclass(frozen=True)
class ActivationRate:
    activated: int
    eligible: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.activated / self.eligible) if self.eligible else None


@dataclass
class HomeFigures:
    stages: list[tuple[str, str, int]]  # (stage, label, approved partnerships in it now)
    applications_waiting: int
    activation: ActivationRate
    quarter_start: dt.date
    at_risk: int
    mrr: dict[str, int]  # currency → current attributed MRR (minor units)
    payouts_due: dict[str, int]  # currency → draft/approved payouts not yet sent
    payouts_due_count: int
    months: list[dt.date]
    trend: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # currency → series


def _month_starts(today: dt.date, count: int) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(dt.date(year, month + 1, 1))
    return months


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def activation_rate(*, vendor: Vendor, since: dt.datetime, now: dt.datetime) -> ActivationRate:
    """Approved partnerships whose activation deadline (approval + persona's, else program's
    target) fell in ``[since, now]`` or that activated since ``since``: how many reached
    Activation on or before their deadline. One statement."""
    target = Coalesce(F("persona__activation_target_days"), F("program__activation_target_days"))
    deadline = ExpressionWrapper(
        F("approved_at")
        + ExpressionWrapper(target * Value(dt.timedelta(days=1)), output_field=DurationField()),
        output_field=DateTimeField(),
    )
    first_activated = Subquery(
        StageTransition.objects.for_vendor(vendor)
        .filter(partnership_id=OuterRef("pk"), to_stage__in=ACTIVATED_STAGES)
        .values("partnership_id")
        .annotate(at=Min("at"))
        .values("at")[:1]
    )
    row = (
        Partnership.objects.for_vendor(vendor)
        .filter(approved_at__isnull=False)
        .annotate(deadline=deadline, activated_at=first_activated)
        .filter(
            Q(deadline__gte=since, deadline__lte=now)
            | Q(activated_at__gte=since, activated_at__lte=F("deadline"))
        )
        .aggregate(
            eligible=Count("id"),
            activated=Count("id", filter=Q(activated_at__lte=F("deadline"))),
        )
    )
    return ActivationRate(activated=row["activated"] or 0, eligible=row["eligible"] or 0)


def _by_currency(rows: list[dict[str, object]], key: str) -> dict[str, int]:
    return {str(r["currency"]): int(r[key] or 0) for r in rows if r[key]}  # type: ignore[call-overload]


def home_figures(*, vendor: Vendor, now: dt.datetime | None = None) -> HomeFigures:
    """Everything on the home page, in a fixed number of queries (one per figure)."""
    now = now or timezone.now()
    zone = ZoneInfo(vendor.time_zone or "UTC")
    today = now.astimezone(zone).date()
    q_start = quarter_start(today)
    since_quarter = dt.datetime.combine(q_start, dt.time(), tzinfo=zone)

    by_stage = dict(
        Partnership.objects.for_vendor(vendor)
        .filter(status=Partnership.Status.APPROVED)
        .values_list("stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    stages = [(s, Stage(s).label, int(by_stage.get(s, 0))) for s in STAGE_ORDER]
    waiting = (
        Application.objects.for_vendor(vendor).filter(status=Application.Status.PENDING).count()
    )
    mrr = _by_currency(
        list(
            Customer.objects.for_vendor(vendor)
            .filter(status=Customer.Status.ACTIVE, partnership__isnull=False)
            .values(currency=F("mrr_currency"))
            .annotate(total=Sum("mrr_amount"))
            .order_by()
        ),
        "total",
    )
    due_rows = list(
        Payout.objects.for_vendor(vendor)
        .filter(status__in=[PayoutStatus.DRAFT, PayoutStatus.APPROVED])
        .values("currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by()
    )

    months = _month_starts(today, TREND_MONTHS)
    index = {m: i for i, m in enumerate(months)}
    trend: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {"mrr": [0] * TREND_MONTHS, "commission": [0] * TREND_MONTHS}
    )
    # The ledger's monthly sums (LedgerMonth, kept exact by the ledger writes): a dozen rows
    # per currency instead of every paid invoice and commission of the year.
    rows = (
        LedgerMonth.objects.for_vendor(vendor)
        .filter(month__gte=months[0], month__lte=months[-1])
        .values("month", "currency")
        .annotate(mrr=Sum("mrr_amount"), commission=Sum("commission_amount"))
        .order_by()
    )
    for r in rows:
        if r["mrr"] or r["commission"]:
            series = trend[r["currency"]]
            series["mrr"][index[r["month"]]] = int(r["mrr"])
            series["commission"][index[r["month"]]] = int(r["commission"])

    return HomeFigures(
        stages=stages,
        applications_waiting=waiting,
        activation=activation_rate(vendor=vendor, since=since_quarter, now=now),
        quarter_start=q_start,
        at_risk=at_risk_partnerships(vendor=vendor, as_of=now).count(),
        mrr=mrr,
        payouts_due=_by_currency(due_rows, "total"),
        payouts_due_count=sum(int(r["n"]) for r in due_rows),
        months=months,
        trend=dict(trend),
    )
