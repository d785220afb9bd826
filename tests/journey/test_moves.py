"""Stage machine, manual moves and their history."""

import pytest
from django.core.exceptions import ValidationError

from journey.machine import Mover, allowed_moves
from journey.models import StageTransition
from journey.services.moves import StageMoveNotAllowed, partnership_stage_move
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import Event
from partners.models import Partnership
from partners.stages import Stage
from tests.factories import CertificationAttemptFactory, PartnershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_rules_move_forward_one_stage_regression_back_one_managers_anywhere():
    assert allowed_moves(Stage.RECRUITMENT, Mover.RULE) == [Stage.ACTIVATION]
    assert allowed_moves(Stage.DEVOTION, Mover.RULE) == []
    assert allowed_moves(Stage.ACTIVATION, Mover.REGRESSION_RULE) == [Stage.RECRUITMENT]
    assert allowed_moves(Stage.INTEREST, Mover.REGRESSION_RULE) == []
    assert allowed_moves(Stage.ACTIVATION, Mover.MANAGER) == [
        Stage.INTEREST,
        Stage.RECRUITMENT,
        Stage.INVESTMENT,
        Stage.DEVOTION,
    ]


def test_stage_is_protected_from_direct_assignment(vendor):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    with pytest.raises(AttributeError):
        partnership.stage = Stage.DEVOTION
    partnership.refresh_from_db()  # allowed by the FSM mixin
    assert partnership.stage == Stage.RECRUITMENT


def test_manager_move_records_transition_event_and_metrics_snapshot(vendor, manager):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    CertificationAttemptFactory(partnership=partnership)
    transition = partnership_stage_move(
        vendor=vendor,
        partnership_id=partnership.public_id,
        to_stage=Stage.INVESTMENT,
        reason="Signed a reseller agreement",
        actor=Actor.for_user(manager),
    )
    partnership.refresh_from_db()
    assert partnership.stage == Stage.INVESTMENT
    assert partnership.stage_entered_at == transition.at
    assert (transition.from_stage, transition.to_stage) == ("recruitment", "investment")
    assert transition.actor_type == "user"
    assert transition.actor_user == manager
    assert transition.metrics["certifications_passed"] == 1
    assert transition.metrics["approved"] == 1
    assert transition.metrics["paying_customers"] == 0  # read from the payouts ledger
    assert "unavailable" not in transition.metrics
    event = Event.objects.for_vendor(vendor).get(type="partnership.stage_changed")
    assert event.data["stage"] == "investment"
    assert event.data["transition"]["from"] == "recruitment"
    assert event.data["transition"]["reason"] == "Signed a reseller agreement"
    assert event.actor_id == manager.public_id


def test_manager_move_to_the_same_stage_is_refused_with_the_allowed_moves(vendor, manager):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    with pytest.raises(StageMoveNotAllowed) as refused:
        partnership_stage_move(
            vendor=vendor,
            partnership_id=partnership.public_id,
            to_stage=Stage.RECRUITMENT,
            reason="again",
            actor=Actor.for_user(manager),
        )
    assert refused.value.allowed == ["interest", "activation", "investment", "devotion"]
    assert not StageTransition.objects.for_vendor(vendor).exists()


@pytest.mark.parametrize(
    ("to_stage", "reason", "field"),
    [("activation", "  ", "reason"), ("nirvana", "because", "to_stage")],
)
def test_manager_move_without_reason_or_to_unknown_stage_writes_nothing(
    vendor, manager, to_stage, reason, field
):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    with pytest.raises(ValidationError) as refused:
        partnership_stage_move(
            vendor=vendor,
            partnership_id=partnership.public_id,
            to_stage=to_stage,
            reason=reason,
            actor=Actor.for_user(manager),
        )
    assert field in refused.value.message_dict
    partnership.refresh_from_db()
    assert partnership.stage == Stage.RECRUITMENT
    assert not StageTransition.objects.for_vendor(vendor).exists()
    assert not Event.objects.for_vendor(vendor).exists()


def test_another_vendors_partnership_cannot_be_moved(vendor, other_vendor, manager):
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    with pytest.raises(Partnership.DoesNotExist):
        partnership_stage_move(
            vendor=vendor,
            partnership_id=theirs.public_id,
            to_stage=Stage.ACTIVATION,
            reason="mine now",
            actor=Actor.for_user(manager),
        )
    theirs.refresh_from_db()
    assert theirs.stage == Stage.RECRUITMENT


def test_time_spent_per_stage_is_derived_from_the_history(vendor):
    import datetime as dt

    from journey.selectors import time_in_stages
    from tests.factories import StageTransitionFactory

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    moves = [
        StageTransitionFactory(
            partnership=partnership, from_stage="recruitment", to_stage="activation",
            at=start + dt.timedelta(days=10),
        ),
        StageTransitionFactory(
            partnership=partnership, from_stage="activation", to_stage="investment",
            at=start + dt.timedelta(days=25),
        ),
    ]  # fmt: skip
    spent = time_in_stages(transitions=moves, created_at=start, now=start + dt.timedelta(days=30))
    assert spent == {"recruitment": 10, "activation": 15, "investment": 5}
