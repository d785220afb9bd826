"""What the programs app asks the layers above it without importing them: callbacks the
payouts app registers at start-up (``payouts.apps``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partnerhub.tenancy.models import Vendor
    from programs.models import Program

CurrencyHolder = Callable[..., "str | None"]
_currency_holders: list[CurrencyHolder] = []


def on_program_currency_held(holder: CurrencyHolder) -> None:
    """Register ``holder(vendor=..., program=...)``: the currency money is recorded in for
    the program, or ``None``."""
    if holder not in _currency_holders:
        _currency_holders.append(holder)


def program_currency_held(*, vendor: Vendor, program: Program) -> str | None:
    """The currency the program's recorded money is in, if any (its currency is then fixed)."""
    for holder in _currency_holders:
        held = holder(vendor=vendor, program=program)
        if held is not None:
            return held
    return None
