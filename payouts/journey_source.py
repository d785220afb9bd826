"""The payouts ledger as the journey's money-metric source (``journey.metric_sources``).

Named by ``settings.JOURNEY_LEDGER_METRIC_SOURCE``. Every method returns one grouped
queryset for all the vendor's partnerships (rows of ``partnership_id`` and ``value``), which
the journey joins into its single evaluation SELECT: the number of queries never depends on
the number of partnerships. Rows after ``as_of`` are ignored.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
)
from django.db.models.expressions import RawSQL

from journey.metric_sources import MetricQuerySet
from partnerhub.tenancy.models import Vendor
from payouts.models import AttributionMethod, Commission, CommissionStatus, Customer, RevenueEvent

# How far back a streak of revenue months is looked for (longer streaks read as this).
STREAK_LOOKBACK_MONTHS = 36

# Per partnership (correlated on the outer partnership row): the months, ending with the
# month of as_of or the one before it, in a row whose attributed MRR reached min_amount. An
# invoice counts in every month its period covers (an annual invoice: 12 months at 1/12).
_STREAK_SQL = """
SELECT COALESCE(MIN(n), %s::int) FROM (
  WITH s AS (
    SELECT m.month
      FROM payouts_revenueevent e
      CROSS JOIN LATERAL generate_series(
             date_trunc('month', e.occurred_at AT TIME ZONE 'UTC'),
             date_trunc('month', e.occurred_at AT TIME ZONE 'UTC') + make_interval(months =>
               CASE WHEN e.period_start IS NULL OR e.period_end IS NULL THEN 0
                    ELSE GREATEST(1, ROUND((e.period_end - e.period_start) / 30.4375))::int - 1
               END),
             interval '1 month') AS m(month)
     WHERE e.vendor_id = %s AND e.partnership_id = "partners_partnership"."id"
       AND e.kind = 'invoice_paid' AND e.occurred_at <= %s AND e.occurred_at >= %s
     GROUP BY m.month
    HAVING SUM(e.mrr_amount) >= %s
  ), a AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM s WHERE s.month = %s::timestamp)
                THEN %s::timestamp ELSE %s::timestamp - interval '1 month' END AS start
  )
  SELECT n FROM a, generate_series(0, %s) n
   WHERE a.start - make_interval(months => n) NOT IN (SELECT month FROM s)
) gaps
"""

_STREAK_PARAMS = [
    "lookback",
    "vendor",
    "as_of",
    "since",
    "min_amount",
    "month",
    "month",
    "month",
    "lookback",
]


def _month_start(at: dt.datetime) -> dt.datetime:
    at = at.astimezone(dt.UTC)
    return dt.datetime(at.year, at.month, 1)  # naive: compared with date_trunc of a UTC time


class PayoutsLedgerSource:
    """``journey.metric_sources.LedgerMetricSource`` over customers, revenue events and
    commissions."""

    def referred_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
        return (
            Customer.objects.for_vendor(vendor)
            .filter(partnership__isnull=False, created_at__lte=as_of)
            .values("partnership_id")
            .annotate(value=Count("id"))
        )

    def paying_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
        """Distinct customers with an invoice (attributed to the partnership when paid) that
        no refund or chargeback took back in full.

        The fully refunded invoices are found from the vendor's refunds (few; the partial
        ``(vendor_id, refunded_event_id)`` index) joined to their invoices by primary key,
        and excluded with ``NOT IN``, which PostgreSQL runs as one hashed set. The earlier
        ``NOT EXISTS`` form let the planner pick a merge anti-join ordered by the events'
        primary key: a parallel scan of every vendor's revenue events at full size
        (docs/performance.md)."""
        fully_refunded = (
            RevenueEvent.objects.for_vendor(vendor)
            .filter(
                refunded_event__isnull=False,
                refunded_event__vendor_id=vendor.pk,
                amount__gte=F("refunded_event__amount"),
                occurred_at__lte=as_of,
            )
            .values("refunded_event_id")
        )
        return (
            RevenueEvent.objects.for_vendor(vendor)
            .filter(
                kind=RevenueEvent.Kind.INVOICE_PAID,
                partnership__isnull=False,
                occurred_at__lte=as_of,
            )
            .exclude(pk__in=fully_refunded)
            .values("partnership_id")
            .annotate(value=Count("customer_id", distinct=True))
        )

    def registered_deals(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
        """There is no deal-registration model yet: customers attributed by a registered
        deal (``attribution_method="deal"``) stand for won deals."""
        return (
            Customer.objects.for_vendor(vendor)
            .filter(
                partnership__isnull=False,
                attribution_method=AttributionMethod.DEAL,
                created_at__lte=as_of,
            )
            .values("partnership_id")
            .annotate(value=Count("id"))
        )

    def attributed_mrr(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
        """Current MRR of the paying attributed customers who were paying by ``as_of``."""
        return (
            Customer.objects.for_vendor(vendor)
            .filter(
                status=Customer.Status.ACTIVE,
                partnership__isnull=False,
                first_paid_at__lte=as_of,
            )
            .values("partnership_id")
            .annotate(value=Sum("mrr_amount"))
        )

    def commissions_earned(
        self, *, vendor: Vendor, as_of: dt.datetime, since: dt.datetime | None
    ) -> MetricQuerySet:
        window = Q(occurred_at__lte=as_of)
        if since is not None:
            window &= Q(occurred_at__gte=since)
        return (
            Commission.objects.for_vendor(vendor)
            .exclude(status=CommissionStatus.REVERSED)
            .filter(window)
            .values("partnership_id")
            .annotate(value=Sum("amount"))
        )

    def consecutive_revenue_months(
        self, *, vendor: Vendor, as_of: dt.datetime, min_amount: int
    ) -> RawSQL:
        month = _month_start(as_of)
        since = as_of - dt.timedelta(days=31 * (STREAK_LOOKBACK_MONTHS + 12))
        params = {
            "vendor": vendor.pk,
            "as_of": as_of,
            "since": since,
            "min_amount": max(min_amount, 1),
            "month": month,
            "lookback": STREAK_LOOKBACK_MONTHS,
        }
        # A constant statement; every value is a bound parameter.
        streak = RawSQL(  # noqa: S611
            _STREAK_SQL,
            [params[name] for name in _STREAK_PARAMS],
            output_field=IntegerField(),
        )
        # An expression over the partnership row, not a grouped queryset: PostgreSQL then
        # computes it only for the partnerships whose rule conditions still need it (a
        # joined per-partnership subquery was computed for every row).
        return streak

    def last_revenue_at(self, *, vendor: Vendor) -> MetricQuerySet:
        return (
            RevenueEvent.objects.for_vendor(vendor)
            .filter(kind=RevenueEvent.Kind.INVOICE_PAID, partnership__isnull=False)
            .values("partnership_id")
            .annotate(value=Max("occurred_at"))
        )
