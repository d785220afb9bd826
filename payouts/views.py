"""Dashboard pages of payouts under ``/app/<vendor_slug>/``: customers and revenue (with a CSV
upload of revenue events), the commission ledger, and payout runs (start, progress, review,
bulk approve with confirmation, mark paid with confirmation, CSV export)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from partnerhub.tenancy.models import Role
from partnerhub.tenancy.views_base import VendorDashboardView, form_errors_from
from partners.selectors_attribution import customer_for_attribution
from payouts import runs, selectors, services
from payouts.models import CommissionStatus, Customer, Payout, PayoutRun, PayoutStatus
from programs.models import Program

PAGE_SIZE = 50
CSV_COLUMNS = (
    "external_id",
    "kind",
    "customer",
    "amount",
    "currency",
    "occurred_at",
    "period_start",
    "period_end",
    "refunds",
)


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class LedgerPage:
    """One page of a list too long to count on every view (the commission ledger: ~200,000
    rows a year per vendor; counting them took 60-280 ms, more after a payout run until
    the next vacuum). Reads the page's rows plus one, which says whether an older page
    exists: one query whatever the list's length or filter. Newer / older links, no total;
    a page past the end shows the first page (as a list that moved on since it was read)."""

    paginator = None  # no total: _pager.html shows "Page N"

    def __init__(self, request: HttpRequest, queryset: Any, size: int = PAGE_SIZE) -> None:
        raw = request.GET.get("page", "")
        self.number = max(int(raw), 1) if raw.isdigit() else 1
        rows = list(queryset[(self.number - 1) * size : self.number * size + 1])
        if not rows and self.number > 1:
            self.number, rows = 1, list(queryset[: size + 1])
        self.object_list, self._more = rows[:size], len(rows) > size

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class RevenueUploadForm(forms.Form):
    file = forms.FileField(
        label="Revenue events (CSV)",
        help_text="Columns: " + ", ".join(CSV_COLUMNS) + ". Amounts in minor units (4999 = "
        "49.99). Up to 1,000 rows.",
    )

    def clean_file(self) -> list[dict[str, Any]]:
        upload = self.cleaned_data["file"]
        if upload.size > 2_000_000:
            raise ValidationError("The file is larger than 2 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.") from exc
        reader = csv.DictReader(io.StringIO(text))
        missing = {"external_id", "customer", "amount", "currency", "occurred_at"} - set(
            reader.fieldnames or []
        )
        if missing:
            raise ValidationError(f"Missing columns: {', '.join(sorted(missing))}.")
        rows = []
        for row in reader:
            item: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
            amount = item.get("amount", "")
            item["amount"] = int(amount) if amount.lstrip("-").isdigit() else amount
            item["kind"] = item.get("kind") or "invoice_paid"
            rows.append(item)
        if not rows:
            raise ValidationError("The file has no rows.")
        if len(rows) > services.MAX_BULK_ITEMS:
            raise ValidationError(f"At most {services.MAX_BULK_ITEMS} rows per upload.")
        return rows


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
            page=_page(self.request, selectors.customer_list(vendor=self.vendor, filters=filters)),
            filters=filters,
            statuses=Customer.Status.choices,
            by_program=selectors.vendor_income_by_program(vendor=self.vendor, since=since),
            by_partner=selectors.vendor_income_by_partner(vendor=self.vendor, since=since),
            form=kwargs.get("form") or RevenueUploadForm(),
        )
        return context

    def post(self, request: HttpRequest, vendor_slug: str) -> HttpResponse:
        form = RevenueUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        report = services.revenue_events_ingest(
            vendor=self.vendor, items=form.cleaned_data["file"], source="csv"
        )
        return render(
            request,
            "payouts/upload_report.html",
            {**self.get_context_data(), "report": report},
        )


class CommissionsView(VendorDashboardView):
    template_name = "payouts/commissions.html"
    nav = "commissions"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = {
            "status": self.request.GET.get("status", ""),
            "partnership": self.request.GET.get("partnership", ""),
        }
        queryset = selectors.commission_list(vendor=self.vendor, filters=filters)
        context.update(
            page=LedgerPage(self.request, queryset),
            filters=filters,
            statuses=CommissionStatus.choices,
        )
        return context


class PayoutRunStartForm(forms.Form):
    program = forms.ChoiceField()
    period = forms.RegexField(
        regex=r"^\d{4}-\d{2}$", help_text="YYYY-MM, e.g. 2026-10.", label="Period"
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.public_id, p.name) for p in programs]  # type: ignore[attr-defined]


class PayoutRunsView(VendorDashboardView):
    template_name = "payouts/runs.html"
    nav = "payouts"
    write_role = Role.ADMIN

    def _form(self, data: Any = None) -> PayoutRunStartForm:
        programs = list(Program.objects.for_vendor(self.vendor).order_by("name"))
        last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        return PayoutRunStartForm(
            data, programs=programs, initial={"period": last_month.strftime("%Y-%m")}
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = _page(self.request, selectors.payout_run_list(vendor=self.vendor))
        context["form"] = kwargs.get("form") or self._form()
        return context

    def post(self, request: HttpRequest, vendor_slug: str) -> HttpResponse:
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            run, created = runs.payout_run_start(
                vendor=self.vendor,
                program_id=form.cleaned_data["program"],
                period=form.cleaned_data["period"],
                actor=self.membership.user,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            return self.render_to_response(self.get_context_data(form=form))
        if not created:
            messages.info(request, "A run for that program and period exists already.")
        return redirect("payouts:run", vendor_slug=self.vendor.slug, payout_run_id=run.public_id)


class PayoutRunView(VendorDashboardView):
    """One run: progress (polled with htmx while it works), its payouts, bulk approval with a
    confirmation step."""

    template_name = "payouts/run.html"
    nav = "payouts"
    write_role = Role.ADMIN

    def _run(self) -> PayoutRun:
        run = (
            selectors.payout_run_list(vendor=self.vendor)
            .filter(public_id=self.kwargs["payout_run_id"])
            .first()
        )
        if run is None:
            raise Http404("No such payout run")
        return run

    def _polling(self) -> bool:
        """The progress fragment htmx polls every 2 s while the run works: the run only."""
        return bool(self.request.headers.get("HX-Request"))

    def get_template_names(self) -> list[str]:
        return ["payouts/_run_progress.html"] if self._polling() else [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = self._run()
        context.update(run=run, working=run.status in ("queued", "running"))
        if self._polling():
            return context
        status = self.request.GET.get("status", "")
        filters = {
            "status": status if status in PayoutStatus.values else "",
            "partner": self.request.GET.get("partner", "").strip()[:100],
        }
        page = _page(self.request, selectors.payouts_of_run(vendor=self.vendor, run=run, **filters))
        context.update(
            page=page,
            payouts=page.object_list,
            filters=filters,
            statuses=PayoutStatus.choices,
            summary=selectors.payout_run_summary(vendor=self.vendor, run=run),
        )
        return context

    def post(self, request: HttpRequest, vendor_slug: str, payout_run_id: str) -> HttpResponse:
        run = self._run()
        ids = request.POST.getlist("payout")
        chosen = list(
            selectors.payouts_of_run(vendor=self.vendor, run=run).filter(
                public_id__in=ids, status__in=[PayoutStatus.DRAFT, PayoutStatus.HELD]
            )
        )
        if not chosen:
            messages.error(request, "Select at least one draft or held payout to approve.")
            return redirect(request.path)
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "payouts/approve_confirm.html",
                {
                    **super().get_context_data(),
                    "run": run,
                    "chosen": chosen,
                    "totals": _totals(chosen),
                },
            )
        result = runs.payouts_approve(
            vendor=self.vendor,
            payout_ids=[p.public_id for p in chosen],
            actor=self.membership.user,
        )
        messages.success(request, f"Approved {len(result.approved)} payout(s).")
        if result.held:
            messages.warning(
                request, f"{len(result.held)} payout(s) stay held until details are complete."
            )
        return redirect(request.path)


def _totals(payouts: list[Payout]) -> list[str]:
    sums: dict[str, int] = {}
    for p in payouts:
        sums[p.currency] = sums.get(p.currency, 0) + p.amount
    return [selectors.money_format(v, k) for k, v in sorted(sums.items())]


class PayoutRunExportView(VendorDashboardView):
    """The approved payouts of a run as CSV, for a bank or PayPal mass payout."""

    def get(self, request: HttpRequest, vendor_slug: str, payout_run_id: str) -> HttpResponse:
        run = PayoutRun.objects.for_vendor(self.vendor).filter(public_id=payout_run_id).first()
        if run is None:
            raise Http404("No such payout run")
        response = HttpResponse(
            selectors.payouts_csv(vendor=self.vendor, run=run), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="payouts-{run.public_id}.csv"'
        return response


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        max_length=200, help_text="The bank transfer or PayPal batch reference."
    )


class PayoutMarkPaidView(VendorDashboardView):
    """Confirm, then record that an approved payout was paid outside PartnerHub."""

    template_name = "payouts/mark_paid.html"
    nav = "payouts"
    write_role = Role.ADMIN

    def _payout(self) -> Payout:
        payout = (
            Payout.objects.for_vendor(self.vendor)
            .select_related("run", "partnership__partner")
            .filter(public_id=self.kwargs["payout_id"])
            .first()
        )
        if payout is None:
            raise Http404("No such payout")
        return payout

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payout = self._payout()
        details = selectors.partner_payout_details(
            vendor_id=self.vendor.pk, partner=payout.partnership.partner
        )
        context["payout"] = payout
        context["stripe_account"] = details.stripe_account_id if details else ""
        context["form"] = kwargs.get("form") or MarkPaidForm()
        return context

    def _send_stripe(self, request: HttpRequest, payout: Payout) -> HttpResponse:
        try:
            sent = runs.payout_send_stripe(
                vendor=self.vendor, payout_id=payout.public_id, actor=self.membership.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        if sent.status == PayoutStatus.PAID:
            messages.success(
                request, f"Sent with Stripe Connect (transfer {sent.provider_reference})."
            )
        else:
            messages.error(request, f"Stripe refused the transfer: {sent.failure_reason}")
        return redirect(reverse("payouts:run", args=[self.vendor.slug, payout.run.public_id]))

    def post(self, request: HttpRequest, vendor_slug: str, payout_id: str) -> HttpResponse:
        payout = self._payout()
        if request.POST.get("provider") == "stripe":
            return self._send_stripe(request, payout)
        form = MarkPaidForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            runs.payout_mark_paid(
                vendor=self.vendor,
                payout_id=payout.public_id,
                reference=form.cleaned_data["reference"],
                actor=self.membership.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Payout {payout.public_id} marked paid.")
        return redirect(reverse("payouts:run", args=[self.vendor.slug, payout.run.public_id]))


class CustomerChurnForm(forms.Form):
    at = forms.DateTimeField(
        label="Subscription ended",
        help_text="When the customer stopped paying (not in the future).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class CustomerChurnView(VendorDashboardView):
    """Confirm, then mark a paying customer churned: it leaves its partnership's paying
    customers and MRR from then on (``customer_churn``); its commissions stay."""

    template_name = "payouts/customer_churn.html"
    nav = "customers"

    def _customer(self) -> Customer:
        # The customer page's own look-up (404 for another vendor's or a missing customer).
        return customer_for_attribution(vendor=self.vendor, customer_id=self.kwargs["customer_id"])

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
            services.customer_churn(
                vendor=self.vendor,
                customer_id=customer.public_id,
                at=form.cleaned_data["at"],
                actor=self.membership.user,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Customer {customer.external_id} marked churned.")
        return redirect(
            "partners:customer_attribution", vendor_slug=self.vendor.slug, customer_id=customer_id
        )


class PayoutDetailsListView(VendorDashboardView):
    """How each partner is paid, what is missing, and tax forms to verify (admins)."""

    template_name = "payouts/payout_details.html"
    nav = "payouts"
    write_role = Role.ADMIN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = _page(self.request, selectors.payout_details_list(vendor=self.vendor))
        context["filters"] = {}
        return context


class PayoutDetailsVerifyView(VendorDashboardView):
    write_role = Role.ADMIN
    http_method_names = ["post"]

    def post(self, request: HttpRequest, vendor_slug: str, payout_details_id: str) -> HttpResponse:
        try:
            details = runs.payout_details_verify(
                vendor=self.vendor, details_id=payout_details_id, actor=self.membership.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Tax form of {details.partner} verified.")
        return redirect("payouts:payout_details", vendor_slug=self.vendor.slug)
