"""A program's own stage rules: a dry run that lists who would move, and saving them (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from journey.models import StageRule
from journey.rules import Rule, RuleSet, rules_validate
from journey.services.evaluation import PlannedMove, journey_plan, rule_sets_for
from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from programs.models import Program

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
