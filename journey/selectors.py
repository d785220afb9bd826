"""Reads of the partner journey: transition history, at-risk and slipping partnerships, and
the funnel analytics (stages now, conversion, time between stages, activation within target)
by program, persona, join source and join-month cohort."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from journey.metric_sources import ledger_source
from journey.models import StageTransition
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from partners.stages import STAGE_ORDER, Stage

# Partners in Investment or Devotion with no revenue for this many months are *slipping*.
SLIPPING_AFTER_MONTHS = 2
_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the last revenue of a never-paid partner


def partnership_transitions(
    *, vendor: Vendor, partnership: Partnership
) -> QuerySet[StageTransition]:
    return (
        StageTransition.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .select_related("actor_user")
        .order_by("-at", "-id")
    )


def time_in_stages(
    *,
    transitions: Iterable[StageTransition],
    created_at: dt.datetime,
    now: dt.datetime | None = None,
) -> dict[str, float]:
    """Days spent in each stage, from a partnership's transitions (any order) and creation."""
    now = now or timezone.now()
    spent: dict[str, float] = {}
    ordered = sorted(transitions, key=lambda t: (t.at, t.pk or 0))
    since, stage = created_at, ordered[0].from_stage if ordered else None
    for t in ordered:
        spent[t.from_stage] = spent.get(t.from_stage, 0) + (t.at - since).total_seconds() / 86400
        since, stage = t.at, t.to_stage
    if stage is not None:
        spent[stage] = spent.get(stage, 0) + (now - since).total_seconds() / 86400
    return {s: round(d, 2) for s, d in spent.items()}


# --- risk ----------------------------------------------------------------------------------


def at_risk_partnerships(*, vendor: Vendor, as_of: dt.datetime | None = None) -> QuerySet[Any]:
    """Approved partnerships past their activation target (persona's, else program's) that
    have not reached Activation."""
    as_of = as_of or timezone.now()
    target = Coalesce(F("persona__activation_target_days"), F("program__activation_target_days"))
    deadline = ExpressionWrapper(
        F("approved_at")
        + ExpressionWrapper(target * Value(dt.timedelta(days=1)), output_field=DurationField()),
        output_field=DateTimeField(),
    )
    return (
        Partnership.objects.for_vendor(vendor)
        .filter(
            status=Partnership.Status.APPROVED,
            approved_at__isnull=False,
            stage__in=[Stage.INTEREST, Stage.RECRUITMENT],
        )
        .annotate(activation_deadline=deadline)
        .filter(activation_deadline__lt=as_of)
        .select_related("partner", "program", "persona")
        .order_by("activation_deadline", "id")
    )


def slipping_partnerships(
    *, vendor: Vendor, as_of: dt.datetime | None = None, months: int = SLIPPING_AFTER_MONTHS
) -> QuerySet[Any] | None:
    """Partnerships in Investment or Devotion without attributed revenue for ``months``
    months; ``None`` while the payouts ledger is not there to say."""
    as_of = as_of or timezone.now()
    last = ledger_source().last_revenue_at(vendor=vendor)
    if last is None:
        return None
    cutoff = as_of - dt.timedelta(days=30 * months)
    last_at = Subquery(last.filter(partnership_id=OuterRef("pk")).values("value")[:1])
    return (
        Partnership.objects.for_vendor(vendor)
        .filter(status=Partnership.Status.APPROVED, stage__in=[Stage.INVESTMENT, Stage.DEVOTION])
        .annotate(
            last_revenue_at=last_at,
            quiet_since=Coalesce(F("last_revenue_at"), Value(_NEVER)),
        )
        # One comparison, so PostgreSQL runs the per-partnership look-up once per row, not
        # once for IS NULL and again for the date (never-paid counts as quiet since forever).
        .filter(quiet_since__lt=cutoff)
        .select_related("partner", "program", "persona")
        .order_by("id")
    )


# --- funnel --------------------------------------------------------------------------------

GROUPINGS = ("all", "program", "persona", "join_source", "cohort")
STEPS = [f"{a}_to_{b}" for a, b in itertools.pairwise(STAGE_ORDER)]


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 2)


def _days(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 86400


_RANK = {s: i for i, s in enumerate(STAGE_ORDER)}
_STEP_PAIRS = [(a, b, f"{a}_to_{b}") for a, b in itertools.pairwise(STAGE_ORDER)]


@dataclass
class _Row:
    """One partnership's facts, computed once and summed into every grouping."""

    groups: dict[str, tuple[str, str]]  # grouping → (key, label)
    stage: str
    furthest: int  # rank of the furthest stage reached (now or in its history)
    steps: list[tuple[str, float]]  # (step, days) for each step entered in order
    to_activation: float | None  # days from approval to first entering Activation
    eligible: bool  # activated within target, or its target date has passed
    in_time: bool  # activated within target


def _row(
    groups: dict[str, tuple[str, str]],
    stage: str,
    approved_at: dt.datetime | None,
    target: int,
    entries: dict[str, dt.datetime],
    now: dt.datetime,
) -> _Row:
    furthest = max([_RANK[stage], *(_RANK[s] for s in entries)])
    steps = [
        (step, _days(entries[a], entries[b]))
        for a, b, step in _STEP_PAIRS
        if a in entries and b in entries and entries[b] >= entries[a]
    ]
    if approved_at is None:
        return _Row(groups, stage, furthest, steps, None, False, False)
    activated = entries.get(Stage.ACTIVATION)
    deadline = approved_at + dt.timedelta(days=target)
    in_time = activated is not None and activated <= deadline
    return _Row(
        groups,
        stage,
        furthest,
        steps,
        _days(approved_at, activated) if activated is not None else None,
        in_time or deadline <= now,
        in_time,
    )


def _funnel_rows(
    *,
    vendor: Vendor,
    program_id: str | None,
    persona_id: str | None,
    join_source_id: str | None,
    joined_from: dt.date | None,
    joined_to: dt.date | None,
    now: dt.datetime,
) -> list[_Row]:
    queryset = Partnership.objects.for_vendor(vendor)
    if program_id:
        queryset = queryset.filter(program__public_id=program_id)
    if persona_id:
        queryset = queryset.filter(persona__public_id=persona_id)
    if join_source_id:
        queryset = queryset.filter(join_source__public_id=join_source_id)
    if joined_from:
        queryset = queryset.filter(created_at__date__gte=joined_from)
    if joined_to:
        queryset = queryset.filter(created_at__date__lte=joined_to)
    values = queryset.order_by().values_list(
        "id",
        "stage",
        "created_at",
        "approved_at",
        Coalesce(F("persona__activation_target_days"), F("program__activation_target_days")),
        "program__public_id",
        "program__name",
        "persona__public_id",
        "persona__name",
        "join_source__public_id",
        "join_source__name",
    )
    # The history of those partnerships in one grouped pass over the vendor's transitions
    # (per partnership: the first entry into each stage, and the stage it started from),
    # instead of six correlated look-ups per partnership.
    history = {
        h["partnership_id"]: h
        for h in StageTransition.objects.for_vendor(vendor)
        .filter(partnership_id__in=queryset.values("id"))
        .values("partnership_id")
        .annotate(
            initial=ArrayAgg("from_stage", order_by=("at", "id")),
            **{s: Min("at", filter=Q(to_stage=s)) for s in STAGE_ORDER},
        )
        .order_by()
    }
    # One pass builds the rows of every grouping (the funnel page shows three of them).
    # The join month is cut in Python in the current (vendor's) time zone, as TruncMonth
    # would.
    zone = timezone.get_current_timezone()
    rows = []
    for (
        pk,
        stage,
        created_at,
        approved_at,
        target,
        program_id_,
        program_name,
        persona_id_,
        persona_name,
        source_id,
        source_name,
    ) in values:
        cohort = created_at.astimezone(zone).strftime("%Y-%m")
        groups = {
            "all": ("all", "All partnerships"),
            "cohort": (cohort, cohort),
            "program": (program_id_ or "none", program_name or "None"),
            "persona": (persona_id_ or "none", persona_name or "None"),
            "join_source": (source_id or "none", source_name or "None"),
        }
        h = history.get(pk)
        entries = {s: h[s] for s in STAGE_ORDER if h[s] is not None} if h else {}
        entries.setdefault(h["initial"][0] if h else stage, created_at)
        rows.append(_row(groups, stage, approved_at, target, entries, now))
    return rows


def _group_figures(rows: list[_Row]) -> dict[str, Any]:
    reached = {s: 0 for s in STAGE_ORDER}
    stages = {s: 0 for s in STAGE_ORDER}
    between: dict[str, list[float]] = {step: [] for step in STEPS}
    to_activation: list[float] = []
    eligible = activated_in_time = 0
    for row in rows:
        stages[row.stage] += 1
        for s in STAGE_ORDER[: row.furthest + 1]:
            reached[s] += 1
        for step, days in row.steps:
            between[step].append(days)
        if row.to_activation is not None:
            to_activation.append(row.to_activation)
        eligible += row.eligible
        activated_in_time += row.in_time
    conversion = {
        f"{a}_to_{b}": round(reached[b] / reached[a], 4) if reached[a] else None
        for a, b in itertools.pairwise(STAGE_ORDER)
    }
    return {
        "partnerships": len(rows),
        "stages": stages,
        "reached": reached,
        "conversion": conversion,
        "days_between": {
            step: {"count": len(d), "median": percentile(d, 0.5), "p90": percentile(d, 0.9)}
            for step, d in between.items()
        },
        "approval_to_activation_days": {
            "count": len(to_activation),
            "median": percentile(to_activation, 0.5),
            "p90": percentile(to_activation, 0.9),
        },
        "activated_within_target": {
            "eligible": eligible,
            "activated": activated_in_time,
            "share": round(activated_in_time / eligible, 4) if eligible else None,
        },
    }


def funnels(
    *,
    vendor: Vendor,
    group_bys: Iterable[str],
    program_id: str | None = None,
    persona_id: str | None = None,
    join_source_id: str | None = None,
    joined_from: dt.date | None = None,
    joined_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """``funnel`` for several groupings of the same partnerships, reading them once."""
    group_bys = list(group_bys)
    for group_by in group_bys:
        if group_by not in GROUPINGS:
            raise ValueError(group_by)
    now = now or timezone.now()
    rows = _funnel_rows(
        vendor=vendor,
        program_id=program_id,
        persona_id=persona_id,
        join_source_id=join_source_id,
        joined_from=joined_from,
        joined_to=joined_to,
        now=now,
    )
    out = {}
    for group_by in group_bys:
        groups: dict[str, list[_Row]] = {}
        labels: dict[str, str] = {}
        for row in rows:
            key, labels[key] = row.groups[group_by]
            groups.setdefault(key, []).append(row)
        out[group_by] = [
            {"key": key, "name": labels[key], **_group_figures(groups[key])}
            for key in sorted(groups, key=lambda k: (labels[k].lower(), k))
        ]
    return out


def funnel(*, vendor: Vendor, group_by: str = "all", **options: Any) -> list[dict[str, Any]]:
    """Funnel figures per group (one SQL query), for partnerships that joined in the period.

    - ``stages``: partnerships per stage now; ``reached``: partnerships that ever reached each
      stage (their current stage, or any stage their history entered, and all before it);
    - ``conversion``: reached(next) / reached(stage);
    - ``days_between``: days from first entering a stage to first entering the next (median,
      p90, percentile_cont); ``approval_to_activation_days`` likewise from approval;
    - ``activated_within_target``: approved partnerships activated within their activation
      target, among those activated in time or whose target date has passed.

    ``options``: the period and filters of ``funnels`` (program, persona, join source,
    joined from/to, now).
    """
    return funnels(vendor=vendor, group_bys=[group_by], **options)[group_by]
