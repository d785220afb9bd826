"""Dashboard pages: applications (review, bulk decisions), partnerships (list, invite, edit),
CSV imports and the join-source report. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from journey.stages import Stage
from partnerhub.accounts.models import authenticated_user
from partnerhub.tenancy.views_base import VendorDashboardView, form_errors_from
from partners import selectors, services
from partners.forms import DecisionForm, ImportForm, InviteForm, PartnershipEditForm
from partners.imports import IMPORT_MAX_BYTES, partners_import_csv
from partners.models import Application, PartnerImport, Partnership
from programs.selectors import join_source_list, persona_list, program_list
from programs.views_base import ListPage


def _filter_choices(vendor: Any) -> dict[str, Any]:
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
            **_filter_choices(self.vendor),
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
        done, refused = services.applications_decide_bulk(
            vendor=self.vendor,
            application_ids=ids,
            decision=decision,
            actor=authenticated_user(request),
            reason=reason,
        )
        verb = "approved" if decision == "approve" else "rejected"
        messages.success(request, f"{done} application(s) {verb}.")
        for line in refused:
            messages.error(request, line)
        return redirect("partners:application_list", vendor_slug=self.vendor.slug)


class JoinSourceCorrectForm(forms.Form):
    join_source = forms.CharField(required=False)


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
        actor = authenticated_user(request)
        if "join_source" in request.POST:
            try:
                services.application_correct_join_source(
                    vendor=self.vendor,
                    application_id=application.public_id,
                    join_source_id=request.POST["join_source"] or None,
                    actor=actor,
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
                services.application_approve
                if form.cleaned_data["decision"] == "approve"
                else services.application_reject
            )
            try:
                decide(
                    vendor=self.vendor,
                    application_id=application.public_id,
                    actor=actor,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"Application {form.cleaned_data['decision']}d.")
                return redirect("partners:application_list", vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PartnershipListView(ListPage):
    template_name = "partners/partnership_list.html"
    nav = "partnerships"

    def items(self) -> QuerySet[Partnership]:
        keys = ("program", "persona", "join_source", "stage", "status", "q")
        filters = {k: self.request.GET.get(k, "") for k in keys}
        return selectors.partnership_list(vendor=self.vendor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            stages=Stage.choices,
            statuses=Partnership.Status.choices,
            status=self.request.GET.get("status", ""),
            **_filter_choices(self.vendor),
            **kwargs,
        )


class PartnershipInviteView(VendorDashboardView):
    template_name = "partners/invite.html"
    nav = "partnerships"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", InviteForm(vendor=self.vendor))
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = InviteForm(request.POST, vendor=self.vendor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                partnership = services.partnership_invite(
                    vendor=self.vendor,
                    program_id=data["program"].public_id,
                    email=data["email"],
                    name=data["name"],
                    persona_id=data["persona"].public_id if data["persona"] else None,
                    actor=authenticated_user(request),
                    portal_url=request.build_absolute_uri("/portal/"),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"Invitation sent to {partnership.partner.email}.")
                return redirect("partners:partnership_list", vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PartnershipDetailView(VendorDashboardView):
    template_name = "partners/partnership_detail.html"
    nav = "partnerships"

    def get_partnership(self) -> Partnership:
        return get_object_or_404(
            selectors.partnership_list(vendor=self.vendor),
            public_id=self.kwargs["partnership_id"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partnership = self.get_partnership()
        context["partnership"] = partnership
        context["progress"] = selectors.onboarding_progress(partnership=partnership)
        context.setdefault(
            "form",
            PartnershipEditForm(
                vendor=self.vendor,
                initial={
                    "persona": partnership.persona.public_id if partnership.persona else None,
                    "join_source": (
                        partnership.join_source.public_id if partnership.join_source else None
                    ),
                    "status": partnership.status,
                },
            ),
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partnership = self.get_partnership()
        form = PartnershipEditForm(request.POST, vendor=self.vendor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.partnership_update(
                    vendor=self.vendor,
                    partnership_id=partnership.public_id,
                    actor=authenticated_user(request),
                    persona_id=data["persona"].public_id if data["persona"] else None,
                    join_source_id=data["join_source"].public_id if data["join_source"] else None,
                    status=data["status"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "Partnership saved.")
                return redirect(
                    "partners:partnership_detail",
                    vendor_slug=self.vendor.slug,
                    partnership_id=partnership.public_id,
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ImportView(ListPage):
    template_name = "partners/import.html"
    nav = "partnerships"

    def items(self) -> QuerySet[PartnerImport]:
        return (
            PartnerImport.objects.for_vendor(self.vendor)
            .select_related("program", "created_by")
            .defer("report")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm(vendor=self.vendor))
        context["max_mb"] = IMPORT_MAX_BYTES // (1024 * 1024)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES, vendor=self.vendor)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > IMPORT_MAX_BYTES:
                form.add_error("file", f"The file is larger than {IMPORT_MAX_BYTES // 2**20} MB.")
            else:
                try:
                    result = partners_import_csv(
                        vendor=self.vendor,
                        program_id=form.cleaned_data["program"].public_id,
                        content=upload.read(),
                        file_name=upload.name or "",
                        actor=authenticated_user(request),
                    )
                except ValidationError as exc:
                    form_errors_from(exc, form)
                else:
                    return redirect(
                        "partners:import_detail",
                        vendor_slug=self.vendor.slug,
                        import_id=result.public_id,
                    )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ImportDetailView(VendorDashboardView):
    template_name = "partners/import_detail.html"
    nav = "partnerships"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        result = get_object_or_404(
            PartnerImport.objects.for_vendor(self.vendor).select_related("program"),
            public_id=self.kwargs["import_id"],
        )
        context["result"] = result
        context["refused"] = [e for e in result.report if e["outcome"] == "refused"]
        return context


class ReportPeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    program = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end is before the start.")
        return data


class JoinSourceReportView(VendorDashboardView):
    template_name = "partners/join_source_report.html"
    nav = "join_sources"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        initial = {"start": today - dt.timedelta(days=29), "end": today}
        form = ReportPeriodForm(self.request.GET or None, initial=initial)
        period: dict[str, Any] = dict(initial, program="")
        if form.is_bound and form.is_valid():
            period = form.cleaned_data
        context["form"] = form
        context["programs"] = program_list(vendor=self.vendor)
        if not form.is_bound or form.is_valid():
            context["report"] = selectors.join_source_report(
                vendor=self.vendor,
                start=period["start"],
                end=period["end"],
                program_public_id=period.get("program", ""),
            )
        context["period"] = period
        return context
