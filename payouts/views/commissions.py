"""Dashboard page: the commission ledger, a page at a time."""

from __future__ import annotations

from typing import Any

from partnerhub.core.pages import LedgerPage
from partnerhub.tenancy.pages import VendorDashboardView
from payouts.models import CommissionStatus
from payouts.selectors.ledger import commission_list


class CommissionsView(VendorDashboardView):
    template_name = "payouts/commissions.html"
    nav = "commissions"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = {
            "status": self.request.GET.get("status", ""),
            "partnership": self.request.GET.get("partnership", ""),
        }
        queryset = commission_list(vendor=self.vendor, filters=filters)
        context.update(
            page=LedgerPage(self.request, queryset),
            filters=filters,
            statuses=CommissionStatus.choices,
        )
        return context
