"""Public ids: prefixed, 22 base-62 characters, never repeated; bulk ids are the same kind."""

from __future__ import annotations

import re

from partnerhub.tenancy import ids
from payouts.models import RevenueEvent

SHAPE = re.compile(r"rev_[A-Za-z0-9]{22}")


def test_bulk_ids_have_the_shape_of_single_ids_and_are_all_distinct():
    bulk = RevenueEvent.new_public_ids(5_000)
    assert len(bulk) == 5_000
    assert len(set(bulk)) == 5_000
    assert all(SHAPE.fullmatch(i) for i in [*bulk, RevenueEvent.new_public_id()])
    assert RevenueEvent.new_public_ids(0) == []


def test_bulk_ids_draw_every_character_at_every_position():
    """Uniform over the whole id space: each of the 62 characters shows up at each of the 22
    positions among 5,000 ids (a draw that skipped a range would leave some out)."""
    bulk = ids.new_public_ids("rev", 5_000)
    for position in range(4, 26):
        assert len({i[position] for i in bulk}) == 62


def test_a_draw_above_the_uniform_limit_is_thrown_away_and_replaced(monkeypatch):
    draws = iter(
        [
            b"\xff" * ids._DRAW_BYTES + (5).to_bytes(ids._DRAW_BYTES, "big"),  # over, then 5
            (7).to_bytes(ids._DRAW_BYTES, "big"),  # the replacement for the one thrown away
        ]
    )
    monkeypatch.setattr(ids.secrets, "token_bytes", lambda n: next(draws))
    assert ids.new_public_ids("x", 2) == [ids._encode("x", 5), ids._encode("x", 7)]
