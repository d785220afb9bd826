"""CSV export of the dashboard lists: one mechanism for every list.

An export is a list page's selector (with the same filters from the query string as the
page) plus its columns. The response streams: rows are read with ``QuerySet.iterator`` in
chunks and written as they come, so a 100k-row export never sits in memory. Cells are
neutralised against spreadsheet formulas; money is integer minor units plus currency (as in
the API); times are ISO 8601 in the vendor's time zone.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from partnerhub.tenancy.models import Role, Vendor
from partnerhub.tenancy.pages import VendorDashboardView
from partners import selectors as partner_selectors
from partners.stages import stage_rank
from payouts.selectors.ledger import commission_list, commission_plan_list, customer_list
from payouts.selectors.runs import payout_run_list

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]


def csv_cell(value: Any, zone: dt.tzinfo) -> str:
    """One cell: times in the vendor's zone, ``None`` empty, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(queryset: QuerySet[Any], columns: list[Column], zone: dt.tzinfo) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([c.header for c in columns])
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield writer.writerow([csv_cell(c.value(obj), zone) for c in columns])


class CsvExportView(VendorDashboardView):
    """Base of every list export: set ``filename`` and ``columns``, implement ``rows``."""

    read_role: ClassVar[str] = Role.VIEWER
    http_method_names = ["get"]
    filename: ClassVar[str] = "export"
    columns: ClassVar[list[Column]] = []

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        raise NotImplementedError

    def get(  # type: ignore[override]  # a streamed download, not a rendered template
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> StreamingHttpResponse:
        params = {k: v for k, v in request.GET.items() if isinstance(v, str)}
        zone = ZoneInfo(self.vendor.time_zone or "UTC")
        response = StreamingHttpResponse(
            csv_rows(self.rows(self.vendor, params), self.columns, zone),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="{self.vendor.slug}-{self.filename}-{stamp}.csv"'
        )
        return response


def _pick(params: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: params.get(k, "") for k in keys}


class PartnershipsExport(CsvExportView):
    filename = "partnerships"
    columns = [
        Column("id", lambda p: p.public_id),
        Column("partner", lambda p: p.partner.name),
        Column("partner_email", lambda p: p.partner.email),
        Column("program", lambda p: p.program.name),
        Column("persona", lambda p: p.persona.name if p.persona else ""),
        Column("join_source", lambda p: p.join_source.name if p.join_source else ""),
        Column("status", lambda p: p.status),
        Column("stage", lambda p: p.stage),
        Column("referral_code", lambda p: p.referral_code),
        Column("approved_at", lambda p: p.approved_at),
        Column("created_at", lambda p: p.created_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        keys = ("program", "persona", "join_source", "stage", "status", "q")
        return partner_selectors.partnership_list(vendor=vendor, filters=_pick(params, *keys))


class ApplicationsExport(CsvExportView):
    filename = "applications"
    columns = [
        Column("id", lambda a: a.public_id),
        Column("partner", lambda a: a.partner.name),
        Column("partner_email", lambda a: a.partner.email),
        Column("program", lambda a: a.program.name),
        Column("join_source", lambda a: a.join_source.name if a.join_source else ""),
        Column("status", lambda a: a.status),
        Column("created_at", lambda a: a.created_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        filters = _pick(params, "program", "join_source", "status")
        return partner_selectors.application_list(vendor=vendor, filters=filters)


class CustomersExport(CsvExportView):
    filename = "customers"
    columns = [
        Column("id", lambda c: c.public_id),
        Column("external_id", lambda c: c.external_id),
        Column("partner", lambda c: c.partnership.partner.name if c.partnership else ""),
        Column("partnership", lambda c: c.partnership.public_id if c.partnership else ""),
        Column("attribution_method", lambda c: c.attribution_method),
        Column("status", lambda c: c.status),
        Column("mrr_amount", lambda c: c.mrr_amount),
        Column("mrr_currency", lambda c: c.mrr_currency),
        Column("first_paid_at", lambda c: c.first_paid_at),
        Column("created_at", lambda c: c.created_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        return customer_list(vendor=vendor, filters=_pick(params, "q", "status"))


class CommissionsExport(CsvExportView):
    filename = "commissions"
    columns = [
        Column("id", lambda c: c.public_id),
        Column("partner", lambda c: c.partnership.partner.name),
        Column("partnership", lambda c: c.partnership.public_id),
        Column("kind", lambda c: c.kind),
        Column("status", lambda c: c.status),
        Column("amount", lambda c: c.amount),
        Column("currency", lambda c: c.currency),
        Column("base_amount", lambda c: c.base_amount),
        Column("occurred_at", lambda c: c.occurred_at),
        Column("available_at", lambda c: c.available_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        filters = _pick(params, "status", "partnership")
        return commission_list(vendor=vendor, filters=filters)


def _tiers_cell(plan: Any) -> str:
    """``investment:0.200000 devotion:0.250000`` (stage order)."""
    tiers = sorted(plan.tiers.all(), key=lambda t: stage_rank(t.from_stage))
    return " ".join(f"{t.from_stage}:{t.rate}" for t in tiers)


class CommissionPlansExport(CsvExportView):
    filename = "commission-plans"
    columns = [
        Column("id", lambda p: p.public_id),
        Column("program", lambda p: p.program.name),
        Column("program_id", lambda p: p.program.public_id),
        Column("persona", lambda p: p.persona.name if p.persona else ""),
        Column("name", lambda p: p.name),
        Column("kind", lambda p: p.kind),
        Column("currency", lambda p: p.program.currency),
        Column("rate", lambda p: p.rate),
        Column("duration_months", lambda p: p.duration_months),
        Column("bounty_amount", lambda p: p.bounty_amount),
        Column("cap_per_customer_amount", lambda p: p.cap_per_customer_amount),
        Column("tiers", _tiers_cell),
        Column("is_active", lambda p: p.is_active),
        Column("updated_at", lambda p: p.updated_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        filters = _pick(params, "program", "kind", "is_active")
        return commission_plan_list(vendor=vendor, filters=filters)


class PayoutRunsExport(CsvExportView):
    filename = "payout-runs"
    columns = [
        Column("id", lambda r: r.public_id),
        Column("program", lambda r: r.program.name),
        Column("period_start", lambda r: r.period_start),
        Column("status", lambda r: r.status),
        Column("payouts_created", lambda r: r.payouts_created),
        Column("carried_forward", lambda r: r.carried_forward),
        Column("started_at", lambda r: r.started_at),
        Column("finished_at", lambda r: r.finished_at),
    ]

    def rows(self, vendor: Vendor, params: dict[str, str]) -> QuerySet[Any]:
        return payout_run_list(vendor=vendor)
