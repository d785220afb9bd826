from decimal import Decimal

from django import template

from payouts.selectors.ledger import money_format
from payouts.services import plans

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    """``{{ 4999|money:"USD" }}`` → ``49.99 USD``."""
    return money_format(int(amount or 0), currency)


@register.filter
def percent(rate: Decimal | None) -> str:
    """``{{ plan.rate|percent }}``: ``0.150000`` → ``15%``."""
    return plans.percent(Decimal(rate or 0))
