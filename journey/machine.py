"""The journey's stage machine: which moves are allowed, for whom. The one place that says so.

- A *rule* moves a partnership forward exactly one stage (interest → recruitment → …).
- A *regression rule* moves it back exactly one stage.
- A *manager* (dashboard user or API key) may move it to any other stage, with a reason.
"""

from __future__ import annotations

from django.db import models

from partners.stages import STAGE_ORDER


class Mover(models.TextChoices):
    RULE = "rule", "Rule"
    REGRESSION_RULE = "regression_rule", "Regression rule"
    MANAGER = "manager", "Manager"


def next_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


def previous_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index - 1] if index > 0 else None


def allowed_moves(stage: str, mover: str) -> list[str]:
    """The stages ``mover`` may move a partnership in ``stage`` to, in journey order."""
    if mover == Mover.MANAGER:
        return [s for s in STAGE_ORDER if s != stage]
    target = next_stage(stage) if mover == Mover.RULE else previous_stage(stage)
    return [target] if target else []
