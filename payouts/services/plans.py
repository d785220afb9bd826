"""Writes of commission plans: create, update, deactivate (with their stage tiers).

What every function here guarantees:
- the whole plan (fields and tiers) is validated before anything is written; a refused
  input is a ``ValidationError`` naming the field and the reason, and leaves nothing behind;
- every change writes one audit row (``commission_plan.created|updated|deactivated``) with
  the plan before and after, and one event of the same name, in the same transaction;
- **editing never rewrites the ledger.** Commissions store their own rate and amount when
  they are computed; the ledger reads the plan at computation time. So a change applies to
  the revenue events whose commissions are computed after it (normally: events ingested
  after it); commissions already computed keep their rate, and refunds of them claw back
  their original amount. A deactivated plan pays nothing more, but its commissions stay
  and are still reversed by refunds.

Rates are ``Decimal`` fractions (``0.15`` = 15 %, at most 6 decimal places). Amounts
(bounties, caps) are integer minor units of the program's currency: a plan has no currency
of its own.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from partnerhub.api.serializers import api_representation
from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get, vendor_object_or_none
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.stages import STAGE_ORDER, Stage, stage_rank
from payouts import locks
from payouts.models import CommissionPlan, CommissionPlanTier
from payouts.serializers import CommissionPlanOutputSerializer
from programs.models import PartnerPersona, Program

Kind = CommissionPlan.Kind
_RATE_PLACES = 6
_UPDATABLE = (
    "name",
    "persona_id",
    "rate",
    "bounty_amount",
    "duration_months",
    "cap_per_customer_amount",
    "tiers",
)


def percent(rate: Decimal) -> str:
    """``Decimal("0.200000")`` → ``"20%"`` (display only)."""
    return f"{(rate * 100).normalize():f}%"


def commission_plan_data(plan: CommissionPlan, tiers: list[CommissionPlanTier]) -> dict[str, Any]:
    """The plan as the audit log shows it (its events carry the API representation)."""
    return {
        "id": plan.public_id,
        "object": "commission_plan",
        "program": plan.program.public_id,
        "persona": plan.persona.public_id if plan.persona else None,
        "name": plan.name,
        "kind": plan.kind,
        "currency": plan.program.currency,
        "rate": str(plan.rate),
        "bounty_amount": plan.bounty_amount,
        "duration_months": plan.duration_months,
        "cap_per_customer_amount": plan.cap_per_customer_amount,
        "is_active": plan.is_active,
        "tiers": [{"from_stage": t.from_stage, "rate": str(t.rate)} for t in tiers],
    }


def _rate(value: Any, *, field: str) -> Decimal:
    """A fraction 0 ≤ rate ≤ 1 with at most 6 decimal places; floats are refused (0.1 is not
    exactly a tenth as a float)."""
    if isinstance(value, float | bool):
        raise ValidationError({field: 'Give the rate as a decimal string, e.g. "0.15".'})
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: "Give the rate as a decimal, e.g. 0.15 for 15%."}) from exc
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        raise ValidationError({field: "A rate is a fraction between 0 and 1 (0.15 = 15%)."})
    exponent = rate.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _RATE_PLACES:
        raise ValidationError({field: f"A rate has at most {_RATE_PLACES} decimal places."})
    return rate.quantize(Decimal(1).scaleb(-_RATE_PLACES))


def _amount(value: Any, *, field: str, allow_none: bool) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError({field: "Give an amount in minor units, e.g. 5000 = 50.00."})
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "An amount is a whole number of minor units."})
    if value <= 0:
        raise ValidationError({field: "The amount must be above 0."})
    return value


def _tiers(raw: Any, *, base_rate: Decimal) -> list[tuple[str, Decimal]]:
    """Tiers as ``[(from_stage, rate)]`` in stage order. The rule: each tier pays more than
    the one before it, and the first more than the plan's base rate — a later stage never
    pays less, and a tier that pays no more is a mistake, not a no-op."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError({"tiers": "Give a list of {from_stage, rate}."})
    seen: dict[str, Decimal] = {}
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"tiers": f"Tier {index}: give from_stage and rate."})
        stage = item.get("from_stage")
        if stage not in STAGE_ORDER:
            raise ValidationError(
                {"tiers": f"Tier {index}: from_stage must be one of {', '.join(STAGE_ORDER)}."}
            )
        if stage == Stage.INTEREST:
            raise ValidationError(
                {"tiers": "Every partnership is at least in Interest: change the base rate."}
            )
        if stage in seen:
            raise ValidationError({"tiers": f"Two tiers from {stage}."})
        seen[stage] = _rate(item.get("rate"), field="tiers")
    ordered = sorted(seen.items(), key=lambda kv: stage_rank(kv[0]))
    previous, previous_name = base_rate, "the plan's base rate"
    for stage, rate in ordered:
        if rate <= previous:
            raise ValidationError(
                {
                    "tiers": f"The tier from {Stage(stage).label} ({percent(rate)}) must pay "
                    f"more than {previous_name} ({percent(previous)})."
                }
            )
        previous, previous_name = rate, f"the tier from {Stage(stage).label}"
    return ordered


def _persona(*, vendor: Vendor, program: Program, persona_id: str | None) -> PartnerPersona | None:
    persona = vendor_object_or_none(
        PartnerPersona,
        vendor=vendor,
        public_id=persona_id,
        field="persona",
        message="Unknown persona.",
    )
    if persona is None:
        return None
    if persona.program_id not in (None, program.pk):
        raise ValidationError({"persona": "This persona belongs to another program."})
    return persona


def _validate(plan: CommissionPlan, tiers: list[tuple[str, Decimal]]) -> None:
    """Refuse combinations of fields that make no sense for the plan's kind."""
    if not plan.name.strip():
        raise ValidationError({"name": "Give the plan a name."})
    if plan.kind == Kind.PERCENT:
        if plan.rate <= 0:
            raise ValidationError({"rate": "A percent plan needs a rate above 0."})
        if plan.bounty_amount:
            raise ValidationError({"bounty_amount": "Only bounty plans pay a flat amount."})
    else:
        if not plan.bounty_amount:
            raise ValidationError({"bounty_amount": "A bounty plan needs an amount above 0."})
        if plan.rate:
            raise ValidationError({"rate": "A bounty plan pays a flat amount, not a rate."})
        if tiers:
            raise ValidationError({"tiers": "Stage tiers raise a rate: only percent plans."})
        if plan.duration_months is not None:
            raise ValidationError(
                {"duration_months": "A bounty is paid once; only percent plans recur."}
            )
        if plan.cap_per_customer_amount is not None:
            raise ValidationError(
                {"cap_per_customer_amount": "Only percent plans are capped per customer."}
            )
    months = plan.duration_months
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200
    ):
        raise ValidationError(
            {"duration_months": "Give 1 to 1200 months, or nothing for the customer's lifetime."}
        )


def _check_no_twin(plan: CommissionPlan) -> None:
    """Two active plans of one kind for the same program and persona would both pay every
    event: refuse the second (the program row is locked by the caller)."""
    twin = (
        CommissionPlan.objects.for_vendor(plan.vendor_id)
        .filter(program_id=plan.program_id, kind=plan.kind, persona_id=plan.persona_id)
        .filter(is_active=True)
        .exclude(pk=plan.pk)
        .first()
    )
    if twin is not None:
        who = "this persona" if plan.persona_id else "every persona"
        raise ValidationError(
            {
                "kind": f"The active {plan.get_kind_display().lower()} plan {twin.public_id} "
                f"({twin.name}) already pays {who} of this program: edit or deactivate it."
            }
        )


def _locked_program(*, vendor: Vendor, program_id: str) -> Program:
    return vendor_object_get(
        Program, vendor=vendor, public_id=program_id, field="program", lock=True
    )


def _locked_plan(*, vendor: Vendor, plan_id: str) -> CommissionPlan:
    """The plan, locked for a change, with its program locked first (as in create: the
    program row serialises the check that no active twin pays the same events)."""
    found = (
        CommissionPlan.objects.for_vendor(vendor)
        .filter(public_id=plan_id)
        .values_list("pk", "program__public_id")
        .first()
    )
    if found is None:
        raise ValidationError({"plan": "Unknown commission plan."})
    program = _locked_program(vendor=vendor, program_id=found[1])
    plan = locks.commission_plan_lock(vendor=vendor, plan_pk=found[0])
    plan.program = program
    return plan


def _save_tiers(plan: CommissionPlan, tiers: list[tuple[str, Decimal]]) -> list[CommissionPlanTier]:
    CommissionPlanTier.objects.for_vendor(plan.vendor_id).filter(plan=plan).delete()
    return CommissionPlanTier.objects.for_vendor(plan.vendor_id).bulk_create(
        [
            CommissionPlanTier(
                vendor_id=plan.vendor_id,
                public_id=CommissionPlanTier.new_public_id(),
                plan=plan,
                from_stage=stage,
                rate=rate,
            )
            for stage, rate in tiers
        ]
    )


def _current_tiers(plan: CommissionPlan) -> list[CommissionPlanTier]:
    tiers = CommissionPlanTier.objects.for_vendor(plan.vendor_id).filter(plan=plan)
    return sorted(tiers, key=lambda t: stage_rank(t.from_stage))


def _record(
    *,
    vendor: Vendor,
    action: str,
    plan: CommissionPlan,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    actor: Actor,
    reason: str = "",
) -> None:
    change_record(
        vendor=vendor,
        actor=actor,
        action=action,
        target_type="commission_plan",
        target_id=plan.public_id,
        before=before,
        after=after,
        reason=reason,
        event=(action, api_representation(CommissionPlanOutputSerializer, plan)),
    )


@transaction.atomic
def commission_plan_create(
    *,
    vendor: Vendor,
    program_id: str,
    name: str,
    kind: str,
    persona_id: str | None = None,
    rate: Any = 0,
    bounty_amount: int | None = None,
    duration_months: int | None = None,
    cap_per_customer_amount: int | None = None,
    tiers: list[dict[str, Any]] | None = None,
    actor: Actor,
) -> CommissionPlan:
    """Create an active plan for a program (optionally only for one persona)."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"kind must be one of {', '.join(Kind.values)}."})
    program = _locked_program(vendor=vendor, program_id=program_id)
    plan = CommissionPlan(
        vendor=vendor,
        program=program,
        persona=_persona(vendor=vendor, program=program, persona_id=persona_id),
        name=(name or "").strip(),
        kind=kind,
        rate=_rate(rate if rate not in (None, "") else 0, field="rate"),
        bounty_amount=_amount(bounty_amount, field="bounty_amount", allow_none=True) or 0,
        duration_months=duration_months,
        cap_per_customer_amount=_amount(
            cap_per_customer_amount, field="cap_per_customer_amount", allow_none=True
        ),
    )
    clean_tiers = _tiers(tiers, base_rate=plan.rate)
    _validate(plan, clean_tiers)
    _check_no_twin(plan)
    plan.save()
    saved = _save_tiers(plan, clean_tiers)
    _record(
        vendor=vendor,
        action="commission_plan.created",
        plan=plan,
        before=None,
        after=commission_plan_data(plan, saved),
        actor=actor,
    )
    return plan


@transaction.atomic
def commission_plan_update(
    *,
    vendor: Vendor,
    plan_id: str,
    actor: Actor,
    **changes: Any,
) -> CommissionPlan:
    """Change a plan's name, persona, rate, bounty, duration, cap or tiers (``tiers`` replaces
    them all). Program and kind are fixed: create another plan instead. Applies to revenue
    events computed from now on; the ledger is never rewritten (see the module docstring)."""
    plan = _locked_plan(vendor=vendor, plan_id=plan_id)
    program = plan.program
    # Naming the plan's own program or kind again is fine; moving it is not.
    if changes.get("program_id", program.public_id) != program.public_id:
        raise ValidationError({"program": "A plan cannot move to another program."})
    if changes.get("kind", plan.kind) != plan.kind:
        raise ValidationError({"kind": "A plan's kind cannot change: create another plan."})
    changes.pop("program_id", None)
    changes.pop("kind", None)
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError({field: "This field cannot be changed: create another plan."})
    old_tiers = _current_tiers(plan)
    before = commission_plan_data(plan, old_tiers)
    if "name" in changes:
        plan.name = (changes["name"] or "").strip()
    if "persona_id" in changes:
        plan.persona = _persona(vendor=vendor, program=program, persona_id=changes["persona_id"])
    if "rate" in changes:
        value = changes["rate"]
        plan.rate = _rate(value if value not in (None, "") else 0, field="rate")
    if "bounty_amount" in changes:
        value = _amount(changes["bounty_amount"], field="bounty_amount", allow_none=True)
        plan.bounty_amount = value or 0
    if "duration_months" in changes:
        plan.duration_months = changes["duration_months"]
    if "cap_per_customer_amount" in changes:
        plan.cap_per_customer_amount = _amount(
            changes["cap_per_customer_amount"], field="cap_per_customer_amount", allow_none=True
        )
    raw_tiers = (
        changes["tiers"]
        if "tiers" in changes
        else [{"from_stage": t.from_stage, "rate": t.rate} for t in old_tiers]
    )
    clean_tiers = _tiers(raw_tiers, base_rate=plan.rate)
    _validate(plan, clean_tiers)
    if plan.is_active:
        _check_no_twin(plan)
    plan.save()
    tiers = _save_tiers(plan, clean_tiers) if "tiers" in changes else old_tiers
    after = commission_plan_data(plan, tiers)
    if after != before:
        _record(
            vendor=vendor,
            action="commission_plan.updated",
            plan=plan,
            before=before,
            after=after,
            actor=actor,
        )
    return plan


def commission_plan_deactivate(
    *,
    vendor: Vendor,
    plan_id: str,
    reason: str = "",
    actor: Actor,
) -> CommissionPlan:
    """Stop a plan paying: revenue events computed from now on earn nothing under it. Its
    commissions stay in the ledger (and are still reversed by refunds). Deactivating an
    inactive plan changes nothing."""
    return _plan_switch(
        vendor=vendor,
        plan_id=plan_id,
        active=False,
        reason=reason,
        actor=actor,
    )


def commission_plan_reactivate(
    *,
    vendor: Vendor,
    plan_id: str,
    reason: str = "",
    actor: Actor,
) -> CommissionPlan:
    """Switch a deactivated plan back on: revenue events computed from now on earn under it
    again, at its current rate and tiers (events computed while it was off are not
    recomputed). Refused while another active plan of its kind pays the same program and
    persona. Reactivating an active plan changes nothing."""
    return _plan_switch(
        vendor=vendor,
        plan_id=plan_id,
        active=True,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def _plan_switch(
    *,
    vendor: Vendor,
    plan_id: str,
    active: bool,
    reason: str,
    actor: Actor,
) -> CommissionPlan:
    plan = _locked_plan(vendor=vendor, plan_id=plan_id)
    if plan.is_active == active:
        return plan
    tiers = _current_tiers(plan)
    before = commission_plan_data(plan, tiers)
    plan.is_active = active
    if active:
        _check_no_twin(plan)
    plan.save(update_fields=["is_active", "updated_at"])
    _record(
        vendor=vendor,
        action="commission_plan.reactivated" if active else "commission_plan.deactivated",
        plan=plan,
        before=before,
        after=commission_plan_data(plan, tiers),
        actor=actor,
        reason=reason,
    )
    return plan
