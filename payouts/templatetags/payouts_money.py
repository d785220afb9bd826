from django import template

from payouts.selectors import money_format

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    """``{{ 4999|money:"USD" }}`` → ``49.99 USD``."""
    return money_format(int(amount or 0), currency)
