"""Dashboard pages: customers (list, revenue CSV upload) and a customer's churn."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from partnerhub.core.pages import page_of
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from payouts.forms import CustomerChurnForm, RevenueUploadForm
from payouts.models import Customer
from payouts.selectors.income import vendor_income_by_partner, vendor_income_by_program
from payouts.selectors.ledger import customer_get, customer_list
from payouts.services.customers import customer_churn
from payouts.services.revenue import revenue_events_ingest


class CustomersView(VendorDashboardView):
    """Customers with their attribution, the vendor's income overview, and the CSV upload of
    revenue events (managers)."""

    template_name = "payouts/customers.html"
    nav = "customers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = {"q": self.request.GET.get("q", ""), "status": self.request.GET.get("status")}
        since = timezone.now() - dt.timedelta(days=30)
        context.update(
            page=page_of(self.request, customer_list(vendor=self.vendor, filters=filters)),
            filters=filters,
            statuses=Customer.Status.choices,
            by_program=vendor_income_by_program(vendor=self.vendor, since=since),
            by_partner=vendor_income_by_partner(vendor=self.vendor, since=since),
            form=kwargs.get("form") or RevenueUploadForm(),
        )
        return context

    def post(self, request: HttpRequest, vendor_slug: str) -> HttpResponse:
        form = RevenueUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        report = revenue_events_ingest(
            vendor=self.vendor, items=form.cleaned_data["file"], source="csv"
        )
        return render(
            request,
            "payouts/upload_report.html",
            {**self.get_context_data(), "report": report},
        )


class CustomerChurnView(VendorDashboardView):
    """Confirm, then mark a paying customer churned: it leaves its partnership's paying
    customers and MRR from then on (``customer_churn``); its commissions stay."""

    template_name = "payouts/customer_churn.html"
    nav = "customers"

    def _customer(self) -> Customer:
        # The customer page's own look-up (404 for another vendor's or a missing customer).
        return customer_get(vendor=self.vendor, customer_id=self.kwargs["customer_id"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["customer"] = self._customer()
        now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
        context["form"] = kwargs.get("form") or CustomerChurnForm(initial={"at": now})
        return context

    def post(self, request: HttpRequest, vendor_slug: str, customer_id: str) -> HttpResponse:
        customer = self._customer()
        form = CustomerChurnForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            customer_churn(
                vendor=self.vendor,
                customer_id=customer.public_id,
                at=form.cleaned_data["at"],
                actor=self.actor,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Customer {customer.external_id} marked churned.")
        return redirect(
            "partners:customer_attribution", vendor_slug=self.vendor.slug, customer_id=customer_id
        )
