"""Dashboard pages: the application list (filters, bulk decisions with a confirmation step)
and one application's review page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from partnerhub.core.pages import ListPage
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners import selectors
from partners.forms import DecisionForm
from partners.models import Application
from partners.services.applications import (
    application_approve,
    application_correct_join_source,
    application_reject,
    applications_decide_bulk,
)
from programs.selectors import join_source_list, persona_list, program_list


def filter_choices(vendor: Any) -> dict[str, Any]:
    return {
        "programs": program_list(vendor=vendor),
        "personas": persona_list(vendor=vendor),
        "join_sources": join_source_list(vendor=vendor),
    }


class ApplicationListView(ListPage):
    template_name = "partners/application_list.html"
    nav = "applications"

    def items(self) -> QuerySet[Application]:
        filters = {k: self.request.GET.get(k, "") for k in ("program", "join_source", "status")}
        if "status" not in self.request.GET:
            filters["status"] = Application.Status.PENDING
        return selectors.application_list(vendor=self.vendor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            statuses=Application.Status.choices,
            status=self.request.GET.get("status", Application.Status.PENDING.value),
            **filter_choices(self.vendor),
            **kwargs,
        )


class ApplicationDecideView(VendorDashboardView):
    """Bulk approve/reject: the first POST shows what will happen, the second (with
    ``confirmed``) does it."""

    template_name = "partners/application_decide.html"
    nav = "applications"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        ids = request.POST.getlist("application")
        form = DecisionForm(request.POST)
        if not ids or not form.is_valid():
            messages.error(request, "Select applications and a decision.")
            return redirect("partners:application_list", vendor_slug=self.vendor.slug)
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        if decision == "reject" and not reason.strip():
            messages.error(request, "Give the partners a reason for the rejection.")
            return redirect("partners:application_list", vendor_slug=self.vendor.slug)
        if not request.POST.get("confirmed"):
            applications = selectors.application_list(vendor=self.vendor).filter(public_id__in=ids)
            return self.render_to_response(
                self.get_context_data(applications=applications, decision=decision, reason=reason)
            )
        done, refused = applications_decide_bulk(
            vendor=self.vendor,
            application_ids=ids,
            decision=decision,
            actor=self.actor,
            reason=reason,
        )
        verb = "approved" if decision == "approve" else "rejected"
        messages.success(request, f"{done} application(s) {verb}.")
        for line in refused:
            messages.error(request, line)
        return redirect("partners:application_list", vendor_slug=self.vendor.slug)


class ApplicationDetailView(VendorDashboardView):
    template_name = "partners/application_detail.html"
    nav = "applications"

    def get_application(self) -> Application:
        return get_object_or_404(
            selectors.application_list(vendor=self.vendor),
            public_id=self.kwargs["application_id"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["application"] = self.get_application()
        context.setdefault("form", DecisionForm())
        context["join_sources"] = join_source_list(vendor=self.vendor)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        application = self.get_application()
        if "join_source" in request.POST:
            try:
                application_correct_join_source(
                    vendor=self.vendor,
                    application_id=application.public_id,
                    join_source_id=request.POST["join_source"] or None,
                    actor=self.actor,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Join source corrected.")
            return redirect(
                "partners:application_detail",
                vendor_slug=self.vendor.slug,
                application_id=application.public_id,
            )
        form = DecisionForm(request.POST)
        if form.is_valid():
            decide = (
                application_approve
                if form.cleaned_data["decision"] == "approve"
                else application_reject
            )
            try:
                decide(
                    vendor=self.vendor,
                    application_id=application.public_id,
                    actor=self.actor,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"Application {form.cleaned_data['decision']}d.")
                return redirect("partners:application_list", vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)
