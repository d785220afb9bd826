"""The interface through which the journey reads money metrics from the payouts ledger.

The journey never imports ``payouts`` models. The payouts app provides an object with the
methods of ``LedgerMetricSource`` and names it in ``settings.JOURNEY_LEDGER_METRIC_SOURCE``
(a dotted path to a class or instance). Until it does, ``NoLedger`` answers ``None`` for
every metric: the metric is *unavailable* and counts as 0 in rules (so no partnership moves
on money it cannot see), and its snapshot says ``"available": false``.

Contract for every method (what the payouts engineer fills in):

- return a queryset (any model, any joins) **of the vendor only**, grouped by partnership,
  whose rows have exactly two columns: ``partnership_id`` (the partnership's primary key)
  and ``value`` (an integer); partnerships without a row mean 0;
- build it with ``.values("partnership_id").annotate(value=...)`` so the journey can add
  ``.filter(partnership_id=OuterRef("pk"))`` and use it as a correlated subquery, or join it
  — one SQL statement for all partnerships of the vendor, never one query per partnership;
- start from the vendor's rows: a ``vendor_id`` predicate on every tenant table read,
  subqueries included, in shapes that use the vendor's indexes (docs/performance.md,
  "Journey evaluation");
- ``as_of`` is the evaluation time: ignore rows after it.

Money values are integer minor units in the program's currency.

When the ledger records a partnership's first commission (or any revenue that may move it),
call ``journey.services.evaluation.partnership_evaluate_soon(partnership=...)`` inside that
transaction: the partnership is then evaluated right after commit instead of at the next
hourly run.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.expressions import Combinable
from django.utils.module_loading import import_string

from partnerhub.tenancy.models import Vendor

MetricQuerySet = QuerySet[Any, dict[str, Any]]


class LedgerMetricSource(Protocol):
    def referred_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
        """Customers attributed to the partnership (any status)."""

    def paying_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
        """Attributed customers with at least one paid (not fully refunded) revenue event."""

    def registered_deals(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
        """Deals the partnership registered (accepted or won)."""

    def attributed_mrr(self, *, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
        """Monthly recurring revenue of attributed customers, in minor units, as of ``as_of``."""

    def commissions_earned(
        self, *, vendor: Vendor, as_of: dt.datetime, since: dt.datetime | None
    ) -> MetricQuerySet | None:
        """Sum of commissions (net of clawbacks, any status but reversed) created in
        ``[since, as_of]`` (all time when ``since`` is None), in minor units."""

    def consecutive_revenue_months(
        self, *, vendor: Vendor, as_of: dt.datetime, min_amount: int
    ) -> MetricQuerySet | Combinable | None:
        """How many calendar months in a row, ending with the month of ``as_of`` or the one
        before it, had attributed revenue of at least ``min_amount`` minor units. May be an
        expression over the partnership row (a correlated subquery on
        ``"partners_partnership"."id"``): it is then computed only for the partnerships whose
        rule conditions need it."""

    def last_revenue_at(self, *, vendor: Vendor) -> MetricQuerySet | None:
        """Per partnership, the time of its latest attributed paid revenue event, as
        ``value`` (a datetime). Used for the *slipping* flag."""


class NoLedger:
    """The source used while the payouts ledger does not exist: every metric unavailable."""

    def referred_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> None:
        return None

    def paying_customers(self, *, vendor: Vendor, as_of: dt.datetime) -> None:
        return None

    def registered_deals(self, *, vendor: Vendor, as_of: dt.datetime) -> None:
        return None

    def attributed_mrr(self, *, vendor: Vendor, as_of: dt.datetime) -> None:
        return None

    def commissions_earned(
        self, *, vendor: Vendor, as_of: dt.datetime, since: dt.datetime | None
    ) -> None:
        return None

    def consecutive_revenue_months(
        self, *, vendor: Vendor, as_of: dt.datetime, min_amount: int
    ) -> None:
        return None

    def last_revenue_at(self, *, vendor: Vendor) -> None:
        return None


@cache
def ledger_source() -> LedgerMetricSource:
    """The configured ledger source (``NoLedger`` until the payouts app names one)."""
    path = getattr(settings, "JOURNEY_LEDGER_METRIC_SOURCE", "")
    if not path:
        return NoLedger()
    source = import_string(path)
    return source() if isinstance(source, type) else source
