"""Stage rules: typed, validated conditions over partnership metrics, with the defaults of
DESIGN.md. A program's effective rule for a stage is its own active ``StageRule`` if it has
one, else the default.

Criteria are a list of groups (OR) of conditions (AND)::

    [[{"metric": "paying_customers", "op": "gte", "value": 3}],
     [{"metric": "certifications_passed", "op": "gte", "value": 1},
      {"metric": "consecutive_revenue_months", "op": "gte", "value": 2, "min_amount": 1}]]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError

from journey.metrics import METRICS, MetricSpec
from partners.stages import STAGE_ORDER, Stage

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "eq": operator.eq,
}

SQL_OPS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "="}

# Attributed MRR a partner must hold for six consecutive months to reach Devotion by default
# (minor units of the program currency: 1,000.00).
DEFAULT_DEVOTION_MRR = 100_000


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: int
    params: tuple[tuple[str, int], ...] = ()

    @cached_property
    def spec(self) -> MetricSpec:
        return MetricSpec(self.metric, self.params)

    def holds(self, row: dict[str, Any]) -> bool:
        actual = row.get(self.spec.alias)
        return actual is not None and bool(OPS[self.op](actual, self.value))

    def as_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "op": self.op, "value": self.value, **dict(self.params)}

    def sql(self, table: str) -> tuple[str, list[Any]]:
        """The condition over ``table``'s metric columns (NULL compares false, like holds)."""
        return f'{table}."{self.spec.alias}" {SQL_OPS[self.op]} %s', [self.value]


@dataclass(frozen=True)
class Rule:
    stage: str
    kind: str  # entry | regression
    groups: tuple[tuple[Condition, ...], ...]
    is_default: bool = False

    @property
    def label(self) -> str:
        return f"{self.stage} {self.kind}" + (" (default)" if self.is_default else "")

    @property
    def specs(self) -> list[MetricSpec]:
        return [c.spec for group in self.groups for c in group]

    def matches(self, row: dict[str, Any]) -> bool:
        return any(all(c.holds(row) for c in group) for group in self.groups)

    def sql(self, table: str) -> tuple[str, list[Any]]:
        """The rule as a SQL condition over ``table``'s metric columns (same truth as
        ``matches``), so that the database returns only the partnerships that may move."""
        groups: list[str] = []
        params: list[Any] = []
        for group in self.groups:
            parts = [c.sql(table) for c in group]
            groups.append("(" + " AND ".join(sql for sql, _ in parts) + ")")
            params.extend(p for _, ps in parts for p in ps)
        return "(" + " OR ".join(groups) + ")", params

    def criteria_json(self) -> list[list[dict[str, Any]]]:
        return [[c.as_json() for c in group] for group in self.groups]


def _condition(data: Any, path: str) -> Condition:
    if not isinstance(data, dict):
        raise ValidationError({path: "A condition is an object with metric, op and value."})
    metric = data.get("metric")
    if metric not in METRICS:
        raise ValidationError(
            {f"{path}.metric": f"Unknown metric {metric!r}; use one of: {', '.join(METRICS)}."}
        )
    op = data.get("op", "gte")
    if op not in OPS:
        raise ValidationError(
            {f"{path}.op": f"Unknown operator {op!r}; use one of: {', '.join(OPS)}."}
        )
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({f"{path}.value": "The threshold must be a whole number."})
    if value < 0:
        raise ValidationError({f"{path}.value": "The threshold cannot be negative."})
    allowed = METRICS[metric].params
    params = []
    for key in sorted(set(data) - {"metric", "op", "value"}):
        if key not in allowed:
            raise ValidationError({f"{path}.{key}": f"{metric} takes no parameter {key!r}."})
        param = data[key]
        if isinstance(param, bool) or not isinstance(param, int) or param < 0:
            raise ValidationError({f"{path}.{key}": "Must be a whole number, 0 or more."})
        if key == "window_days" and param == 0:
            raise ValidationError({f"{path}.{key}": "A window is at least one day."})
        params.append((key, param))
    return Condition(metric=metric, op=op, value=value, params=tuple(params))


def criteria_validate(
    criteria: Any, *, path: str = "criteria"
) -> tuple[tuple[Condition, ...], ...]:
    """Parse criteria JSON into condition groups, or raise a ``ValidationError`` naming the
    failing field (``criteria.0.1.metric``)."""
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError({path: "Give at least one group of conditions."})
    groups = []
    for i, group in enumerate(criteria):
        if not isinstance(group, list) or not group:
            raise ValidationError({f"{path}.{i}": "A group is a non-empty list of conditions."})
        groups.append(tuple(_condition(c, f"{path}.{i}.{j}") for j, c in enumerate(group)))
    return tuple(groups)


def rules_validate(rules: Any, *, path: str = "rules") -> list[Rule]:
    """Validate a program's rule set: a list of ``{"stage", "kind", "criteria"}``, entry rules
    in journey order, at most one rule per stage and kind."""
    if not isinstance(rules, list):
        raise ValidationError({path: "Rules are a list."})
    parsed: list[Rule] = []
    last_entry = -1
    for i, data in enumerate(rules):
        here = f"{path}.{i}"
        if not isinstance(data, dict):
            raise ValidationError({here: "A rule is an object with stage, kind and criteria."})
        stage, kind = data.get("stage"), data.get("kind", "entry")
        if stage not in STAGE_ORDER:
            raise ValidationError({f"{here}.stage": f"Unknown stage {stage!r}."})
        if kind not in ("entry", "regression"):
            raise ValidationError({f"{here}.kind": "Kind is entry or regression."})
        rank = STAGE_ORDER.index(stage)
        if kind == "entry":
            if rank == 0:
                raise ValidationError(
                    {f"{here}.stage": "Interest is the first stage: it has no entry rule."}
                )
            if rank <= last_entry:
                raise ValidationError(
                    {
                        f"{here}.stage": f"Stage out of order: the {stage} rule must come before "
                        f"the {STAGE_ORDER[last_entry]} rule (journey order: "
                        f"{' → '.join(STAGE_ORDER)})."
                    }
                )
            last_entry = rank
        elif rank == len(STAGE_ORDER) - 1:
            raise ValidationError(
                {f"{here}.stage": "Devotion is the last stage: nothing falls back to it."}
            )
        if any(r.stage == stage and r.kind == kind for r in parsed):
            raise ValidationError({f"{here}.stage": f"Two {kind} rules for {stage}."})
        groups = criteria_validate(data.get("criteria"), path=f"{here}.criteria")
        parsed.append(Rule(stage=stage, kind=kind, groups=groups))
    return parsed


def _default(stage: str, criteria: list[list[dict[str, Any]]]) -> Rule:
    return Rule(stage=stage, kind="entry", groups=criteria_validate(criteria), is_default=True)


DEFAULT_RULES: dict[str, Rule] = {
    Stage.RECRUITMENT: _default(
        Stage.RECRUITMENT, [[{"metric": "applied_or_invited", "op": "gte", "value": 1}]]
    ),
    # First value earned: a first paying customer or a first commission.
    Stage.ACTIVATION: _default(
        Stage.ACTIVATION,
        [
            [
                {"metric": "approved", "op": "eq", "value": 1},
                {"metric": "paying_customers", "op": "gte", "value": 1},
            ],
            [
                {"metric": "approved", "op": "eq", "value": 1},
                {"metric": "commissions_earned", "op": "gt", "value": 0},
            ],
        ],
    ),
    # At least 3 paying customers, or a certification and revenue in 2 months.
    Stage.INVESTMENT: _default(
        Stage.INVESTMENT,
        [
            [{"metric": "paying_customers", "op": "gte", "value": 3}],
            [
                {"metric": "certifications_passed", "op": "gte", "value": 1},
                {"metric": "consecutive_revenue_months", "op": "gte", "value": 2, "min_amount": 1},
            ],
        ],
    ),
    # Attributed MRR over the threshold for 6 consecutive months.
    Stage.DEVOTION: _default(
        Stage.DEVOTION,
        [
            [
                {
                    "metric": "consecutive_revenue_months",
                    "op": "gte",
                    "value": 6,
                    "min_amount": DEFAULT_DEVOTION_MRR,
                }
            ]
        ],
    ),
}


@dataclass(frozen=True)
class RuleSet:
    """The effective rules of one program: (stage, kind) → rule."""

    rules: dict[tuple[str, str], Rule]

    @classmethod
    def with_defaults(cls, own: Iterable[Rule] = ()) -> RuleSet:
        rules = {(stage, "entry"): rule for stage, rule in DEFAULT_RULES.items()}
        rules.update({(r.stage, r.kind): r for r in own})
        return cls(rules)

    def entry(self, stage: str) -> Rule | None:
        return self.rules.get((stage, "entry"))

    def regression(self, stage: str) -> Rule | None:
        return self.rules.get((stage, "regression"))

    @property
    def specs(self) -> list[MetricSpec]:
        return [spec for rule in self.rules.values() for spec in rule.specs]
