"""Writes of the partner journey: stage moves (by rule, in bulk, and by a manager), stage
rules, nudges and the managers' digest.

Guarantees shared by every move:
- the move is allowed by ``journey.machine`` for its mover;
- the partnership's stage, ``stage_entered_at`` and one append-only ``StageTransition`` per
  step are written in one transaction, with a ``partnership.stage_changed`` event (outbox);
- concurrent moves of one partnership are serialised: manual moves lock the row, rule moves
  update it only if it is still in the stage they planned from (compare-and-set), so two
  workers never record the same move twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from journey.machine import Mover, allowed_moves, next_stage, previous_stage
from journey.metrics import metrics_for, metrics_rows
from journey.models import Nudge, RiskDigest, StageRule, StageTransition
from journey.rules import Rule, RuleSet, rules_validate
from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor
from partnerhub.webhooks.models import Event
from partners.locks import partnership_lock
from partners.models import Partnership
from partners.serializers import PartnershipOutputSerializer, partnership_data
from partners.stages import STAGE_ORDER
from programs.models import Program

EVALUATED_STATUSES = (Partnership.Status.APPLIED, Partnership.Status.APPROVED)


class StageMoveNotAllowed(Exception):
    def __init__(self, *, stage: str, to_stage: str, allowed: list[str]) -> None:
        self.stage, self.to_stage, self.allowed = stage, to_stage, allowed
        super().__init__(
            f"A partnership in {stage} cannot move to {to_stage}; allowed: "
            f"{', '.join(allowed) or 'none'}."
        )


def _stage_changed_data(partnership: Partnership, transition: dict[str, Any]) -> dict[str, Any]:
    return {**partnership_data(partnership), "transition": transition}


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


# --- rules ---------------------------------------------------------------------------------


def stage_rules_dry_run(
    *, vendor: Vendor, program_id: str, rules: Any, as_of: dt.datetime | None = None
) -> list[PlannedMove]:
    """Which of the program's partnerships a changed rule set would move now, without saving
    the rules or moving anyone. Invalid rules raise ``ValidationError``."""
    program = Program.objects.for_vendor(vendor).get(public_id=program_id)
    proposed = RuleSet.with_defaults(rules_validate(rules))
    rule_sets = {**rule_sets_for(vendor=vendor), program.pk: proposed}
    ids = Partnership.objects.for_vendor(vendor).filter(program=program).values("pk")
    return journey_plan(
        vendor=vendor,
        as_of=as_of,
        rule_sets=rule_sets,
        partnership_ids=ids,  # type: ignore[arg-type]
    )


@transaction.atomic
def stage_rules_save(
    *, vendor: Vendor, program_id: str, rules: Any, actor: Actor
) -> list[StageRule]:
    """Replace the program's own stage rules (stages without one use the defaults), with an
    audit entry (before/after). Invalid rules raise ``ValidationError`` naming the field, and
    nothing is written."""
    program = Program.objects.for_vendor(vendor).get(public_id=program_id)
    parsed = rules_validate(rules)
    own = StageRule.objects.for_vendor(vendor).filter(program=program)
    before = [{"stage": r.stage, "kind": r.kind, "criteria": r.criteria} for r in own]
    own.delete()
    saved = [
        StageRule.objects.for_vendor(vendor).create(
            vendor=vendor,
            program=program,
            stage=rule.stage,
            kind=rule.kind,
            criteria=rule.criteria_json(),
            updated_by=actor.user,
        )
        for rule in parsed
    ]
    change_record(
        vendor=vendor,
        action="program.stage_rules_changed",
        target_type="program",
        target_id=program.public_id,
        actor=actor,
        before={"rules": before},
        after={"rules": rules_json(parsed)},
    )
    return saved


def rules_json(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    return [{"stage": r.stage, "kind": r.kind, "criteria": r.criteria_json()} for r in rules]


# --- manual moves --------------------------------------------------------------------------


@transaction.atomic
def partnership_stage_move(
    *,
    vendor: Vendor,
    partnership_id: str,
    to_stage: str,
    reason: str,
    actor: Actor,
) -> StageTransition:
    """A manager (a user or an API key) moves a partnership to any other stage, with a
    reason; audited, and recorded in the partnership's transitions with the same actor.

    Locks the partnership row, so concurrent moves are serialised; refuses a move the stage
    machine does not allow with ``StageMoveNotAllowed`` (carrying the allowed moves), a
    missing reason or an unknown stage with ``ValidationError``. Raises
    ``Partnership.DoesNotExist`` for another vendor's id.
    """
    reason = (reason or "").strip()
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": f"Unknown stage; use one of: {', '.join(STAGE_ORDER)}."})
    if not reason:
        raise ValidationError({"reason": "Say why the partnership moves."})
    partnership = partnership_lock(
        vendor=vendor,
        partnership_id=partnership_id,
        related=("program", "partner", "persona", "join_source", "recruited_by"),
    )
    from_stage = partnership.stage
    allowed = allowed_moves(from_stage, Mover.MANAGER)
    if to_stage not in allowed:
        raise StageMoveNotAllowed(stage=from_stage, to_stage=to_stage, allowed=allowed)
    now = timezone.now()
    snapshot = metrics_for(vendor=vendor, partnership_id=partnership.pk, as_of=now)
    partnership.journey_move(to_stage)
    partnership.stage_entered_at = now
    partnership.save(update_fields=["stage", "stage_entered_at", "updated_at"])
    transition = StageTransition.objects.for_vendor(vendor).create(
        vendor=vendor,
        partnership=partnership,
        from_stage=from_stage,
        to_stage=to_stage,
        at=now,
        actor_type=StageTransition.ActorType(actor.kind),  # a system actor has no place here
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        rule=actor.label if actor.kind == "rule" else "",
        reason=reason,
        metrics=snapshot,
    )
    step = {
        "id": transition.public_id,
        "from": from_stage,
        "to": to_stage,
        "at": now.isoformat(),
        "reason": reason,
    }
    change_record(
        vendor=vendor,
        actor=actor,
        action="partnership.stage_moved",
        target_type="partnership",
        target_id=partnership.public_id,
        before={"stage": from_stage},
        after={"stage": to_stage},
        reason=reason,
        event=("partnership.stage_changed", _stage_changed_data(partnership, step)),
    )
    return transition


# --- nudges and digest ---------------------------------------------------------------------


def _render_mail(template: str, context: dict[str, Any]) -> tuple[str, str]:
    subject, _, body = render_to_string(template, context).strip().partition("\n")
    return subject.strip(), body.strip()


def nudge_preview(*, partnership: Partnership, reason: str) -> tuple[str, str]:
    return _render_mail("journey/email/nudge.txt", {"partnership": partnership, "reason": reason})


@transaction.atomic
def partnership_nudge(*, vendor: Vendor, partnership_id: str, reason: str, actor: Actor) -> Nudge:
    """Send the templated nudge e-mail to the partner (on commit) and record it; audited."""
    if reason not in Nudge.Reason.values:
        raise ValidationError({"reason": "Nudge an at-risk or a slipping partnership."})
    partnership = (
        Partnership.objects.for_vendor(vendor)
        .select_related("partner", "program")
        .get(public_id=partnership_id)
    )
    subject, body = nudge_preview(partnership=partnership, reason=reason)
    nudge = Nudge.objects.for_vendor(vendor).create(
        vendor=vendor,
        partnership=partnership,
        reason=reason,
        sent_by=actor.user,
        subject=subject,
        body=body,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="partnership.nudged",
        target_type="partnership",
        target_id=partnership.public_id,
        after={"nudge": nudge.public_id, "reason": reason},
    )
    to = partnership.partner.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    )
    return nudge


@transaction.atomic
def risk_digest_send(
    *,
    vendor: Vendor,
    day: dt.date,
    at_risk: list[Partnership],
    slipping: list[Partnership],
    at_risk_count: int,
    slipping_count: int,
    dashboard_url: str = "",
) -> RiskDigest | None:
    """E-mail the managers (manager role and above) the day's at-risk and slipping lists.
    Once per vendor and day (a re-run sends nothing); nothing is sent when both are empty."""
    if not at_risk_count and not slipping_count:
        return None
    digest, created = RiskDigest.objects.for_vendor(vendor).get_or_create(vendor=vendor, day=day)
    if not created:
        return None
    recipients = sorted(
        m.user.email
        for m in Membership.objects.for_vendor(vendor).select_related("user")
        if m.role in (Role.OWNER, Role.ADMIN, Role.MANAGER)
    )
    digest.at_risk_count, digest.slipping_count = at_risk_count, slipping_count
    digest.recipients = recipients
    digest.save(update_fields=["at_risk_count", "slipping_count", "recipients", "updated_at"])
    subject, body = _render_mail(
        "journey/email/digest.txt",
        {
            "vendor": vendor,
            "at_risk": at_risk,
            "slipping": slipping,
            "at_risk_count": at_risk_count,
            "slipping_count": slipping_count,
            "dashboard_url": dashboard_url,
        },
    )
    if recipients:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        )
    return digest
