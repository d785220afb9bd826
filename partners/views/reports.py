"""Dashboard page: the join-source report (applications, approvals and activation per join
source for a period)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from partnerhub.tenancy.pages import VendorDashboardView
from partners import selectors
from programs.selectors import program_list


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
