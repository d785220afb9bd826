"""A manager's stage move of one partnership (allowed moves only, with a reason), recorded as
a StageTransition, audited and announced."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from journey.machine import Mover, allowed_moves
from journey.metrics import metrics_for
from journey.models import StageTransition
from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.locks import partnership_lock
from partners.models import Partnership
from partners.serializers import partnership_data
from partners.stages import STAGE_ORDER


class StageMoveNotAllowed(Exception):
    def __init__(self, *, stage: str, to_stage: str, allowed: list[str]) -> None:
        self.stage, self.to_stage, self.allowed = stage, to_stage, allowed
        super().__init__(
            f"A partnership in {stage} cannot move to {to_stage}; allowed: "
            f"{', '.join(allowed) or 'none'}."
        )


def _stage_changed_data(partnership: Partnership, transition: dict[str, Any]) -> dict[str, Any]:
    return {**partnership_data(partnership), "transition": transition}


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
