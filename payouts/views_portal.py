"""The partner portal's passive-income page ``/portal/income/``: for each of the signed-in
partner's partnerships, recurring earnings per month, attributed MRR, the next payout, a
12-month projection, and whether payout details are complete. Only the partner's own
partnerships are read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partnerhub.accounts.models import authenticated_user
from partners.selectors import partnerships_for_partner
from partners.services import partner_for_user
from payouts import selectors


@login_required
def passive_income_view(request: HttpRequest) -> HttpResponse:
    partner = partner_for_user(user=authenticated_user(request))
    rows = []
    if partner is not None:
        for partnership in partnerships_for_partner(partner=partner).filter(status="approved"):
            income = selectors.passive_income(partnership=partnership)
            details = selectors.partner_payout_details(
                vendor_id=partnership.vendor_id, partner=partner
            )
            rows.append(
                {
                    "partnership": partnership,
                    "income": income,
                    "missing": details.missing if details else ["payout details"],
                    "peak": max([v for _, v in income.monthly + income.projection] + [1]),
                }
            )
    return render(request, "payouts/portal_income.html", {"partner": partner, "rows": rows})
