"""Partnership metrics, one function per metric, each computed for *all* partnerships of a
vendor in SQL (the evaluation of stage rules and the at-risk flags read them here).

A metric function returns either
- an expression over the partnership row itself (``applied_or_invited``, ``approved``,
  ``days_since_approval``), or
- a queryset keyed by partnership id: rows of ``partnership_id`` and ``value``, grouped
  (``onboarding_courses_completed``, ``certifications_passed`` and, through
  ``journey.metric_sources``, every money metric of the payouts ledger), or ``None`` when its
  source does not exist yet (the metric is then *unavailable* and reads 0).

``metrics_rows`` composes the ones a rule set needs into one SELECT: one row per
partnership, one column per metric — the number of queries does not depend on the number of
partnerships.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Extract

from journey.metric_sources import MetricQuerySet, ledger_source
from partnerhub.tenancy.models import Vendor
from partners.models import Application, CertificationAttempt, CourseProgress, Partnership

MetricResult = Combinable | MetricQuerySet | None


# --- sources that exist today --------------------------------------------------------------


def applied_or_invited(*, vendor: Vendor, as_of: dt.datetime) -> Combinable:
    """1 when the partnership applied (has an application) or was invited, else 0."""
    applied = Application.objects.for_vendor(vendor).filter(
        partnership_id=OuterRef("pk"), created_at__lte=as_of
    )
    return Case(
        When(Q(invited_at__isnull=False) | Q(Exists(applied)), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def approved(*, vendor: Vendor, as_of: dt.datetime) -> Combinable:
    """1 when the partnership is approved, else 0."""
    return Case(
        When(
            status=Partnership.Status.APPROVED,
            approved_at__isnull=False,
            approved_at__lte=as_of,
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def days_since_approval(*, vendor: Vendor, as_of: dt.datetime) -> Combinable:
    """Whole days since approval; NULL (no condition holds) when not approved."""
    age = ExpressionWrapper(Value(as_of) - F("approved_at"), output_field=DurationField())
    return Cast(Extract(age, "day"), output_field=IntegerField())


def onboarding_courses_completed(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
    """Onboarding courses the partnership completed."""
    return (
        CourseProgress.objects.for_vendor(vendor)
        .filter(completed_at__isnull=False, completed_at__lte=as_of)
        .values("partnership_id")
        .annotate(value=Count("id"))
    )


def certifications_passed(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet:
    """Distinct certifications with at least one passing attempt."""
    return (
        CertificationAttempt.objects.for_vendor(vendor)
        .filter(passed=True, created_at__lte=as_of)
        .values("partnership_id")
        .annotate(value=Count("certification_id", distinct=True))
    )


# --- money metrics: read from the payouts ledger through journey.metric_sources ------------


def referred_customers(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
    return ledger_source().referred_customers(vendor=vendor, as_of=as_of)


def paying_customers(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
    return ledger_source().paying_customers(vendor=vendor, as_of=as_of)


def registered_deals(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
    return ledger_source().registered_deals(vendor=vendor, as_of=as_of)


def attributed_mrr(*, vendor: Vendor, as_of: dt.datetime) -> MetricQuerySet | None:
    return ledger_source().attributed_mrr(vendor=vendor, as_of=as_of)


def commissions_earned(
    *, vendor: Vendor, as_of: dt.datetime, window_days: int | None = None
) -> MetricQuerySet | None:
    since = as_of - dt.timedelta(days=window_days) if window_days else None
    return ledger_source().commissions_earned(vendor=vendor, as_of=as_of, since=since)


def consecutive_revenue_months(
    *, vendor: Vendor, as_of: dt.datetime, min_amount: int = 1
) -> MetricResult:
    return ledger_source().consecutive_revenue_months(
        vendor=vendor, as_of=as_of, min_amount=min_amount
    )


# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # flag, count, days, minor_units, months
    compute: Callable[..., MetricResult]
    params: frozenset[str] = field(default_factory=frozenset)
    ledger: bool = False


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("applied_or_invited", "Applied or invited", "flag", applied_or_invited),
        Metric("approved", "Approved", "flag", approved),
        Metric(
            "onboarding_courses_completed",
            "Onboarding courses completed",
            "count",
            onboarding_courses_completed,
        ),
        Metric("certifications_passed", "Certifications passed", "count", certifications_passed),
        Metric("days_since_approval", "Days since approval", "days", days_since_approval),
        Metric(
            "referred_customers", "Referred customers", "count", referred_customers, ledger=True
        ),
        Metric("paying_customers", "Paying customers", "count", paying_customers, ledger=True),
        Metric("registered_deals", "Registered deals", "count", registered_deals, ledger=True),
        Metric("attributed_mrr", "Attributed MRR", "minor_units", attributed_mrr, ledger=True),
        Metric(
            "commissions_earned",
            "Commissions earned",
            "minor_units",
            commissions_earned,
            params=frozenset({"window_days"}),
            ledger=True,
        ),
        Metric(
            "consecutive_revenue_months",
            "Consecutive months with revenue",
            "months",
            consecutive_revenue_months,
            params=frozenset({"min_amount"}),
            ledger=True,
        ),
    ]
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric with its parameters, e.g. commissions earned in a 30-day window."""

    metric: str
    params: tuple[tuple[str, int], ...] = ()

    @cached_property
    def alias(self) -> str:
        return "__".join([self.metric, *(f"{k}_{v}" for k, v in self.params)])


def metrics_rows(
    *,
    vendor: Vendor,
    specs: Iterable[MetricSpec],
    as_of: dt.datetime,
    partnership_ids: Iterable[int] | QuerySet[Any, Any] | None = None,
    statuses: Iterable[str] | None = None,
    where: Callable[[str], tuple[str, list[Any]]] | None = None,
) -> tuple[Iterator[dict[str, Any]], dict[str, bool]]:
    """One row per partnership of the vendor with ``id``, ``program_id``, ``stage`` and a
    column per metric spec (named by its alias), plus which aliases are available.

    One SQL statement: the partnership rows (with the row metrics) LEFT JOINed to each keyed
    metric queryset on ``partnership_id`` — the same shape as the hand-written GROUP BY
    query a DBA would write, whatever the number of partnerships. ``where(table)`` may add a
    condition over the metric columns of ``table`` (e.g. "some rule matches").
    """
    row_columns: dict[str, Any] = {}
    keyed: dict[str, QuerySet[Any, Any]] = {}
    available: dict[str, bool] = {}
    for spec in dict.fromkeys(specs):
        result = METRICS[spec.metric].compute(vendor=vendor, as_of=as_of, **dict(spec.params))
        available[spec.alias] = result is not None
        if result is None:
            row_columns[spec.alias] = Value(0, output_field=IntegerField())
        elif isinstance(result, QuerySet):
            keyed[spec.alias] = result
        else:
            row_columns[spec.alias] = result
    base = Partnership.objects.for_vendor(vendor)
    if partnership_ids is not None:
        ids = partnership_ids if isinstance(partnership_ids, QuerySet) else list(partnership_ids)
        base = base.filter(pk__in=ids)
    if statuses is not None:
        base = base.filter(status__in=list(statuses))
    base = base.order_by().annotate(**row_columns).values("id", "program_id", "stage", *row_columns)
    sql, params = base.query.sql_with_params()
    select, joins, all_params = ["b.*"], [], list(params)
    for n, (alias, queryset) in enumerate(keyed.items()):
        sub_sql, sub_params = queryset.order_by().query.sql_with_params()
        joins.append(f"LEFT JOIN ({sub_sql}) m{n} ON m{n}.partnership_id = b.id")
        # bigint: SUM() of integers is numeric in PostgreSQL; metrics are whole numbers.
        select.append(f'COALESCE(m{n}.value, 0)::bigint AS "{alias}"')
        all_params.extend(sub_params)
    # Every piece is ORM-compiled SQL with its parameters kept apart; aliases are built from
    # catalogue metric names and validated integers (MetricSpec), never from user text.
    statement = f"SELECT {', '.join(select)} FROM ({sql}) b {' '.join(joins)}"  # noqa: S608
    if where is not None:
        condition, condition_params = where("j")
        statement = f"SELECT * FROM ({statement}) j WHERE {condition}"  # noqa: S608
        all_params.extend(condition_params)
    return _fetch(statement, all_params), available


def _fetch(statement: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [c.name for c in cursor.description]
        while batch := cursor.fetchmany(5000):
            for values in batch:
                yield dict(zip(names, values, strict=True))


def all_specs() -> list[MetricSpec]:
    """Every metric with its default parameters (for snapshots of manual moves)."""
    return [MetricSpec(name) for name in METRICS]


def metrics_for(*, vendor: Vendor, partnership_id: int, as_of: dt.datetime) -> dict[str, Any]:
    """Every metric of one partnership, as a snapshot (unavailable ones are listed)."""
    rows, available = metrics_rows(
        vendor=vendor, specs=all_specs(), as_of=as_of, partnership_ids=[partnership_id]
    )
    row = next(iter(rows), {})
    snapshot = {alias: row.get(alias) for alias in available}
    missing = sorted(alias for alias, ok in available.items() if not ok)
    if missing:
        snapshot["unavailable"] = missing
    return snapshot
