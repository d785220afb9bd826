"""Rule evaluation: the stage rules of every program of a vendor are evaluated in one
statement (``journey_plan``) and the moves applied set-based (``journey_apply``), with their
StageTransition rows and ``partnership.stage_changed`` events; safe to re-run and to kill."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from journey.machine import next_stage, previous_stage
from journey.metrics import metrics_rows
from journey.models import StageRule, StageTransition
from journey.rules import Rule, RuleSet, rules_validate
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.models import Event
from partners.models import Partnership
from partners.serializers import PartnershipOutputSerializer
from partners.stages import STAGE_ORDER

EVALUATED_STATUSES = (Partnership.Status.APPLIED, Partnership.Status.APPROVED)


_APPLY_SQL = """
WITH plan AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(froms)s::text[], %(tos)s::text[])
        AS t(id, from_stage, to_stage)
), moved AS (
    UPDATE partners_partnership p
       SET stage = plan.to_stage, stage_entered_at = %(now)s, updated_at = %(now)s
      FROM plan
     WHERE p.id = plan.id AND p.vendor_id = %(vendor)s AND p.stage = plan.from_stage
           AND p.status IN %(statuses)s
 RETURNING p.id
)
INSERT INTO journey_stagetransition
    (vendor_id, public_id, created_at, updated_at, partnership_id, from_stage, to_stage, at,
     actor_type, rule, reason, metrics)
SELECT %(vendor)s, s.public_id, %(now)s, %(now)s, s.partnership_id, s.from_stage, s.to_stage,
       s.at, 'rule', s.rule, '', s.metrics
  FROM unnest(%(s_ids)s::bigint[], %(s_public)s::text[], %(s_froms)s::text[],
              %(s_tos)s::text[], %(s_at)s::timestamptz[], %(s_rules)s::text[],
              %(s_metrics)s::jsonb[])
       AS s(partnership_id, public_id, from_stage, to_stage, at, rule, metrics)
 WHERE s.partnership_id IN (SELECT id FROM moved)
RETURNING partnership_id, public_id, from_stage, to_stage, at, rule
"""

# --- rule evaluation -----------------------------------------------------------------------


@dataclass
class PlannedMove:
    """The moves rules make for one partnership in one evaluation: one step per stage."""

    partnership_id: int
    from_stage: str
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, rule label)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def to_stage(self) -> str:
        return self.steps[-1][1]


def rule_sets_for(*, vendor: Vendor) -> dict[int, RuleSet]:
    """The effective rule set of every program of the vendor (one query)."""
    own: dict[int, list[Rule]] = {}
    for row in StageRule.objects.for_vendor(vendor).filter(is_active=True):
        rules = rules_validate([{"stage": row.stage, "kind": row.kind, "criteria": row.criteria}])
        own.setdefault(row.program_id, []).extend(rules)
    return {program_id: RuleSet.with_defaults(rules) for program_id, rules in own.items()}


def may_move_sql(
    rule_sets: dict[int, RuleSet], default: RuleSet
) -> Callable[[str], tuple[str, list[Any]]]:
    """A SQL condition true for the partnerships whose first step some rule allows: the entry
    rule of the next stage or the regression rule of the previous one, per program and stage.
    Its size grows with programs and stages, never with partnerships."""

    def condition(table: str) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        scopes: list[tuple[str, list[Any], RuleSet]] = [
            (f"{table}.program_id = %s", [program_id], rules)
            for program_id, rules in rule_sets.items()
        ]
        scopes.append((f"NOT ({table}.program_id = ANY(%s))", [list(rule_sets)], default))
        for scope_sql, scope_params, rules in scopes:
            for stage in STAGE_ORDER:
                nxt, prev = next_stage(stage), previous_stage(stage)
                candidates = [
                    rules.entry(nxt) if nxt else None,
                    rules.regression(prev) if prev else None,
                ]
                rule_sql = [r.sql(table) for r in candidates if r is not None]
                if not rule_sql:
                    continue
                any_rule = " OR ".join(sql for sql, _ in rule_sql)
                clauses.append(f"({scope_sql} AND {table}.stage = %s AND ({any_rule}))")
                params.extend([*scope_params, stage, *(p for _, ps in rule_sql for p in ps)])
        return "(" + (" OR ".join(clauses) or "FALSE") + ")", params

    return condition


def _plan_row(row: dict[str, Any], rules: RuleSet) -> list[tuple[str, str, str]]:
    steps: list[tuple[str, str, str]] = []
    stage = row["stage"]
    while (nxt := next_stage(stage)) and (rule := rules.entry(nxt)) and rule.matches(row):
        steps.append((stage, nxt, rule.label))
        stage = nxt
    if not steps and (prev := previous_stage(stage)):
        regression = rules.regression(prev)
        entry = rules.entry(stage)
        # Only fall back when the partnership would not qualify for its stage any more, so
        # that an entry rule and a regression rule can never move it back and forth.
        still_entitled = entry is not None and entry.matches(row)
        if regression is not None and regression.matches(row) and not still_entitled:
            steps.append((stage, prev, regression.label))
    return steps


def journey_plan(
    *,
    vendor: Vendor,
    as_of: dt.datetime | None = None,
    partnership_ids: Iterable[int] | None = None,
    rule_sets: dict[int, RuleSet] | None = None,
) -> list[PlannedMove]:
    """The moves the rules would make now, for every active partnership of the vendor (or the
    given ones), without writing anything. Two queries whatever the number of partnerships:
    the rules, and one SELECT computing every metric the rules use for every partnership and
    returning only those a rule may move (the rules are translated to SQL; Python then walks
    each returned partnership through the stages with the same rules).

    A partnership moves forward one stage per satisfied entry rule, as far as the rules take
    it (one step each, recorded separately); without a forward move, a regression rule may
    move it back one stage.
    """
    as_of = as_of or timezone.now()
    if rule_sets is None:
        rule_sets = rule_sets_for(vendor=vendor)
    default = RuleSet.with_defaults()
    specs = [s for rs in [default, *rule_sets.values()] for s in rs.specs]
    rows, available = metrics_rows(
        vendor=vendor,
        specs=specs,
        as_of=as_of,
        partnership_ids=partnership_ids,
        statuses=EVALUATED_STATUSES,
        where=may_move_sql(rule_sets, default),
    )
    missing = sorted(alias for alias, ok in available.items() if not ok)
    plan = []
    for row in rows:
        steps = _plan_row(row, rule_sets.get(row["program_id"], default))
        if steps:
            snapshot = {alias: row[alias] for alias in available}
            if missing:
                snapshot["unavailable"] = missing
            plan.append(PlannedMove(row["id"], row["stage"], steps, snapshot))
    return plan


@transaction.atomic
def journey_apply(*, vendor: Vendor, plan: list[PlannedMove]) -> int:
    """Apply planned rule moves in bulk; returns how many partnerships moved.

    One statement moves every partnership that is still in the stage the plan started from
    and inserts its transitions; partnerships moved meanwhile by someone else are skipped
    (no transition). Then one SELECT and one INSERT record the ``partnership.stage_changed``
    events. All in one transaction: a worker killed midway leaves nothing half-written.
    """
    if not plan:
        return 0
    now = timezone.now()
    steps: dict[str, list[Any]] = {k: [] for k in ("ids", "public", "froms", "tos", "at", "rules")}
    metrics: list[str] = []
    for move in plan:
        for n, (src, dst, rule) in enumerate(move.steps):
            steps["ids"].append(move.partnership_id)
            steps["public"].append(StageTransition.new_public_id())
            steps["froms"].append(src)
            steps["tos"].append(dst)
            # Steps of one evaluation are a microsecond apart so that history sorts by time.
            steps["at"].append(now + dt.timedelta(microseconds=n))
            steps["rules"].append(rule)
            metrics.append(json.dumps(move.metrics))
    with connection.cursor() as cursor:
        cursor.execute(
            _APPLY_SQL,
            {
                "ids": [m.partnership_id for m in plan],
                "froms": [m.from_stage for m in plan],
                "tos": [m.to_stage for m in plan],
                "now": now,
                "vendor": vendor.pk,
                "statuses": EVALUATED_STATUSES,
                "s_ids": steps["ids"],
                "s_public": steps["public"],
                "s_froms": steps["froms"],
                "s_tos": steps["tos"],
                "s_at": steps["at"],
                "s_rules": steps["rules"],
                "s_metrics": metrics,
            },
        )
        recorded = cursor.fetchall()
    if not recorded:
        return 0
    by_partnership: dict[int, list[dict[str, Any]]] = {}
    for partnership_id, public_id, src, dst, at, rule in recorded:
        by_partnership.setdefault(partnership_id, []).append(
            {"id": public_id, "from": src, "to": dst, "at": at.isoformat(), "rule": rule}
        )
    moved = list(
        Partnership.objects.for_vendor(vendor)
        .filter(pk__in=list(by_partnership))
        .select_related("program", "partner", "persona", "join_source", "recruited_by")
    )
    # One serializer for all (DRF builds its fields once), the API representation each, in
    # UTC like every API response.
    with timezone.override(dt.UTC):
        rendered = PartnershipOutputSerializer(moved, many=True).data
    data = dict(zip([p.pk for p in moved], rendered, strict=True))
    # The bulk form of webhooks.services.outbox.event_record: same rows, same transaction, one
    # INSERT for all the moves of the evaluation instead of one per move.
    Event.objects.for_vendor(vendor).bulk_create(
        [
            Event(
                vendor=vendor,
                public_id=Event.new_public_id(),
                type="partnership.stage_changed",
                data={**data[p.pk], "transition": step},
                actor_type="rule",
                actor_id=step["rule"],
            )
            for p in moved
            for step in sorted(by_partnership[p.pk], key=lambda s: s["at"])
        ]
    )
    return len(by_partnership)


@dataclass(frozen=True)
class EvaluationResult:
    planned: int
    moved: int
    plan: list[PlannedMove]


def journey_evaluate(
    *,
    vendor: Vendor,
    dry_run: bool = False,
    partnership_ids: Iterable[int] | None = None,
    as_of: dt.datetime | None = None,
) -> EvaluationResult:
    """Evaluate the stage rules for the vendor's partnerships (all, or the given ones) and
    apply the moves, unless ``dry_run``. Safe to re-run: a second run finds nothing to move;
    safe to kill: plan and apply are one transaction, so a killed run leaves no trace."""
    with transaction.atomic():
        plan = journey_plan(vendor=vendor, as_of=as_of, partnership_ids=partnership_ids)
        moved = 0 if dry_run else journey_apply(vendor=vendor, plan=plan)
    return EvaluationResult(planned=len(plan), moved=moved, plan=plan)


def partnership_evaluate_soon(*, partnership: Partnership) -> None:
    """After the current transaction commits, evaluate this one partnership (an approval, a
    passed certification or a first commission may move it at once, not at the next beat)."""
    from journey.tasks import journey_evaluate_partnership_task

    vendor_id, partnership_id = partnership.vendor_id, partnership.pk
    transaction.on_commit(
        lambda: journey_evaluate_partnership_task.delay(vendor_id, partnership_id)  # type: ignore[arg-type]
    )
