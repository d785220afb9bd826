"""Dashboard pages: partner CSV imports (upload, and one import's result per row)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from partnerhub.core.pages import ListPage
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners.forms import ImportForm
from partners.models import PartnerImport
from partners.services.imports import IMPORT_MAX_BYTES, partners_import_csv


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
                        actor=self.actor,
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
