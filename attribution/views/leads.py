"""Dashboard pages: leads/deals (list, review with a confirmation step) and the manual
attribution of a customer. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from attribution import selectors
from attribution.forms import LeadDecisionForm, ManualAttributionForm
from attribution.services.customers import customer_attribute_manually
from attribution.services.leads import lead_accept, lead_reject
from partnerhub.core.pages import ListPage
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners.models import Lead
from payouts.selectors.ledger import customer_get
from programs.selectors import program_list


class LeadListView(ListPage):
    template_name = "partners/lead_list.html"
    nav = "leads"

    def items(self) -> QuerySet[Lead]:
        filters = {k: self.request.GET.get(k, "") for k in ("status", "program")}
        return selectors.lead_list(vendor=self.vendor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            statuses=Lead.Status.choices,
            programs=program_list(vendor=self.vendor),
            status=self.request.GET.get("status", ""),
            program=self.request.GET.get("program", ""),
            **kwargs,
        )


class LeadDetailView(VendorDashboardView):
    """A lead; managers accept or reject it. The first POST shows a confirmation (accepting
    pays the program's lead bounty), the second (``confirmed``) decides."""

    template_name = "partners/lead_detail.html"
    nav = "leads"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lead"] = selectors.lead_get(vendor=self.vendor, lead_id=self.kwargs["lead_id"])
        context.setdefault("form", LeadDecisionForm())
        return context

    def post(self, request: HttpRequest, vendor_slug: str, lead_id: str) -> HttpResponse:
        lead = selectors.lead_get(vendor=self.vendor, lead_id=lead_id)
        form = LeadDecisionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        if not request.POST.get("confirmed"):
            return self.render_to_response(
                self.get_context_data(form=form, confirm={"decision": decision, "reason": reason})
            )
        service = lead_accept if decision == "accept" else lead_reject
        try:
            service(
                vendor=self.vendor,
                lead_id=lead.public_id,
                reason=reason,
                actor=self.actor,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Lead {decision}ed.")
        return redirect("partners:lead_detail", vendor_slug=self.vendor.slug, lead_id=lead_id)


class CustomerAttributionView(VendorDashboardView):
    """A customer's attribution, its self-referral flag and history; managers attribute it to
    a partnership with a reason (confirmation step, audited)."""

    template_name = "partners/customer_attribution.html"
    nav = "customers"

    def _form(self, data: Any = None) -> ManualAttributionForm:
        return ManualAttributionForm(
            data, partnerships=selectors.partnerships_for_choice(vendor=self.vendor)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        customer = customer_get(vendor=self.vendor, customer_id=self.kwargs["customer_id"])
        context.update(
            customer=customer,
            history=selectors.customer_attribution_history(vendor=self.vendor, customer=customer),
        )
        context.setdefault("form", self._form())
        return context

    def post(self, request: HttpRequest, vendor_slug: str, customer_id: str) -> HttpResponse:
        customer = customer_get(vendor=self.vendor, customer_id=customer_id)
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if not request.POST.get("confirmed"):
            chosen = selectors.partnerships_for_choice(vendor=self.vendor).get(
                public_id=form.cleaned_data["partnership"]
            )
            return self.render_to_response(self.get_context_data(form=form, confirm=chosen))
        try:
            customer_attribute_manually(
                vendor=self.vendor,
                customer_id=customer.public_id,
                partnership_id=form.cleaned_data["partnership"],
                reason=form.cleaned_data["reason"],
                actor=self.actor,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, "Customer attributed.")
        return redirect(
            "partners:customer_attribution", vendor_slug=self.vendor.slug, customer_id=customer_id
        )
