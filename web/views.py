"""The vendor home page (``/app/<vendor_slug>/``): the morning numbers, each a link to the
list behind it."""

from __future__ import annotations

from typing import Any

from partnerhub.tenancy.pages import VendorDashboardView
from payouts.selectors.ledger import money_format
from web.selectors import home_figures


def _amounts(by_currency: dict[str, int], default_currency: str) -> list[str]:
    """Formatted sums, one per currency; zero in the vendor's currency when there are none."""
    if not by_currency:
        return [money_format(0, default_currency)]
    return [money_format(v, c) for c, v in sorted(by_currency.items())]


class HomeView(VendorDashboardView):
    template_name = "dashboard/home.html"
    nav = "home"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        figures = home_figures(vendor=self.vendor)
        currency = self.vendor.default_currency
        # The chart shows the vendor's currency (else the one with data); the cards list all.
        chart_currency = currency if currency in figures.trend else next(iter(figures.trend), "")
        series = figures.trend.get(chart_currency, {"mrr": [], "commission": []})
        context.update(
            figures=figures,
            has_partnerships=any(n for _, _, n in figures.stages),
            mrr=_amounts(figures.mrr, currency),
            payouts_due=_amounts(figures.payouts_due, currency),
            funnel_chart={
                "labels": [label for _, label, _ in figures.stages],
                "counts": [n for _, _, n in figures.stages],
            },
            trend_chart={
                "currency": chart_currency,
                "labels": [m.strftime("%b %Y") for m in figures.months],
                # Major units for the axis (display only; sums stay integer minor units).
                "mrr": [v / 100 for v in series["mrr"]],
                "commission": [v / 100 for v in series["commission"]],
            },
            has_trend=bool(figures.trend),
        )
        return context
