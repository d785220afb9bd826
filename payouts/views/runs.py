"""Dashboard pages: payout runs (start, progress, payouts, CSV export) and marking a payout paid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from partnerhub.core.pages import page_of
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from payouts.forms import MarkPaidForm, PayoutRunStartForm
from payouts.models import Payout, PayoutRun, PayoutStatus
from payouts.selectors.ledger import money_format
from payouts.selectors.runs import (
    partner_payout_details,
    payout_run_list,
    payout_run_summary,
    payouts_csv,
    payouts_of_run,
)
from payouts.services import runs
from programs.models import Program


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
        context["page"] = page_of(self.request, payout_run_list(vendor=self.vendor))
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
                actor=self.actor,
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
            payout_run_list(vendor=self.vendor)
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
        page = page_of(self.request, payouts_of_run(vendor=self.vendor, run=run, **filters))
        context.update(
            page=page,
            payouts=page.object_list,
            filters=filters,
            statuses=PayoutStatus.choices,
            summary=payout_run_summary(vendor=self.vendor, run=run),
        )
        return context

    def post(self, request: HttpRequest, vendor_slug: str, payout_run_id: str) -> HttpResponse:
        run = self._run()
        ids = request.POST.getlist("payout")
        chosen = list(
            payouts_of_run(vendor=self.vendor, run=run).filter(
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
            actor=self.actor,
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
    return [money_format(v, k) for k, v in sorted(sums.items())]


class PayoutRunExportView(VendorDashboardView):
    """The approved payouts of a run as CSV, for a bank or PayPal mass payout."""

    def get(self, request: HttpRequest, vendor_slug: str, payout_run_id: str) -> HttpResponse:
        run = PayoutRun.objects.for_vendor(self.vendor).filter(public_id=payout_run_id).first()
        if run is None:
            raise Http404("No such payout run")
        response = HttpResponse(payouts_csv(vendor=self.vendor, run=run), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="payouts-{run.public_id}.csv"'
        return response


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
        details = partner_payout_details(
            vendor_id=self.vendor.pk, partner=payout.partnership.partner
        )
        context["payout"] = payout
        context["stripe_account"] = details.stripe_account_id if details else ""
        context["form"] = kwargs.get("form") or MarkPaidForm()
        return context

    def _send_stripe(self, request: HttpRequest, payout: Payout) -> HttpResponse:
        try:
            sent = runs.payout_send_stripe(
                vendor=self.vendor, payout_id=payout.public_id, actor=self.actor
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
                actor=self.actor,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Payout {payout.public_id} marked paid.")
        return redirect(reverse("payouts:run", args=[self.vendor.slug, payout.run.public_id]))
