"""The partnership detail page with everything a manager looks up about one partner: the
partners app's page (profile, onboarding, edit form) plus the stage timeline, customers,
commissions and payouts — each a bounded, most-recent-first slice with a link to the full,
filtered list."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from journey.selectors import partnership_transitions
from partners.views import PartnershipDetailView as BasePartnershipDetailView
from payouts import selectors as payout_selectors
from payouts.models import CommissionStatus, Customer, Payout

RECENT = 20


class PartnershipDetailView(BasePartnershipDetailView):
    template_name = "dashboard/partnership_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partnership = context["partnership"]
        customers = Customer.objects.for_vendor(self.vendor).filter(partnership=partnership)
        commissions = payout_selectors.commission_list(
            vendor=self.vendor, filters={"partnership": partnership.public_id}
        )
        context.update(
            transitions=list(
                partnership_transitions(vendor=self.vendor, partnership=partnership)[:RECENT]
            ),
            customers=list(customers.order_by("-created_at", "-id")[:RECENT]),
            customers_total=customers.count(),
            commissions=list(commissions[:RECENT]),
            commissions_by_currency=list(
                commissions.exclude(status=CommissionStatus.REVERSED)
                .values("currency")
                .annotate(total=Sum("amount"))
                .order_by("currency")
            ),
            payouts=list(
                Payout.objects.for_vendor(self.vendor)
                .filter(partnership=partnership)
                .select_related("run")
                .order_by("-created_at", "-id")[:RECENT]
            ),
        )
        return context
