"""The five stages of the partner journey, in their order (see DESIGN.md)."""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    INTEREST = "interest", "Interest"
    RECRUITMENT = "recruitment", "Recruitment"
    ACTIVATION = "activation", "Activation"
    INVESTMENT = "investment", "Investment"
    DEVOTION = "devotion", "Devotion"


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)


def stage_rank(stage: str) -> int:
    """0 for interest … 4 for devotion; raises ``ValueError`` for an unknown stage."""
    return STAGE_ORDER.index(Stage(stage))


def stage_at_least(stage: str, other: str) -> bool:
    """Whether ``stage`` is ``other`` or later in the journey."""
    return stage_rank(stage) >= stage_rank(other)
