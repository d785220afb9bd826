"""Dashboard pages: partners' payout details and their verification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from partnerhub.core.pages import page_of
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView
from payouts.selectors.runs import payout_details_list
from payouts.services.payout_details import payout_details_verify


class PayoutDetailsListView(VendorDashboardView):
    """How each partner is paid, what is missing, and tax forms to verify (admins)."""

    template_name = "payouts/payout_details.html"
    nav = "payouts"
    write_role = Role.ADMIN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = page_of(self.request, payout_details_list(vendor=self.vendor))
        context["filters"] = {}
        return context


class PayoutDetailsVerifyView(VendorDashboardView):
    write_role = Role.ADMIN
    http_method_names = ["post"]

    def post(self, request: HttpRequest, vendor_slug: str, payout_details_id: str) -> HttpResponse:
        try:
            details = payout_details_verify(
                vendor=self.vendor, details_id=payout_details_id, actor=self.actor
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Tax form of {details.partner} verified.")
        return redirect("payouts:payout_details", vendor_slug=self.vendor.slug)
