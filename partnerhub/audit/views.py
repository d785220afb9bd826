"""The audit log page and its CSV export (admins and owners only)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from partnerhub.audit.forms import AuditFilterForm
from partnerhub.audit.models import AuditEntry
from partnerhub.audit.selectors import audit_action_list, audit_entry_batches, audit_entry_list
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView

PAGE_SIZE = 50
CSV_COLUMNS = [
    "id",
    "time_utc",
    "actor",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "reason",
]
# Spreadsheets run cells that start with these as formulas ("CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def audit_csv_row(entry: AuditEntry) -> list[str]:
    return [
        csv_cell(cell)
        for cell in (
            entry.public_id,
            entry.created_at.isoformat(),
            entry.actor_label,
            entry.action,
            entry.target_type,
            entry.target_id,
            _json(entry.before),
            _json(entry.after),
            entry.reason,
        )
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


class AuditBaseView(VendorDashboardView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    http_method_names = ["get", "head"]

    def filter_form(self) -> AuditFilterForm:
        return AuditFilterForm(self.request.GET, actions=audit_action_list(vendor=self.vendor))


class AuditLogView(AuditBaseView):
    template_name = "audit/audit_log.html"
    nav = "audit"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.filter_form()
        if not form.is_valid():
            context = self.get_context_data(form=form, page=None)
            return self.render_to_response(context, status=400)
        entries = audit_entry_list(vendor=self.vendor, **form.cleaned_data)
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = self.get_context_data(
            form=form,
            page=page,
            filtered=any(form.cleaned_data.values()),
            query=query.urlencode(),
        )
        return self.render_to_response(context)


class AuditExportView(AuditBaseView):
    """The filtered log as CSV, streamed (an export of years of entries stays flat)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.filter_form()
        if not form.is_valid():
            errors = "; ".join(f"{f}: {' '.join(map(str, e))}" for f, e in form.errors.items())
            return HttpResponse(
                f"Invalid filter: {errors}", status=400, content_type="text/plain; charset=utf-8"
            )
        entries = audit_entry_list(vendor=self.vendor, **form.cleaned_data)
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(CSV_COLUMNS)
            for entry in audit_entry_batches(entries):
                yield writer.writerow(audit_csv_row(entry))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{self.vendor.slug}.csv"'
        return response  # type: ignore[return-value]
