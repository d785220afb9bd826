"""What the partners app tells the layers above it without importing them: a signal-free
callback list the journey fills in at start-up (``journey.apps``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partners.models import Partnership

PartnershipCallback = Callable[..., None]
_may_move: list[PartnershipCallback] = []


def on_partnership_may_move(callback: PartnershipCallback) -> None:
    """Register ``callback(partnership=...)``, called when a change may move a partnership
    along the journey (an approval, a passed certification)."""
    if callback not in _may_move:
        _may_move.append(callback)


def partnership_may_move(*, partnership: Partnership) -> None:
    for callback in _may_move:
        callback(partnership=partnership)
