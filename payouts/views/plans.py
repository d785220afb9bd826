"""Dashboard pages of commission plans under ``/app/<vendor_slug>/commission-plans/``: the
list (filters program / kind / active, CSV export), a create/edit form with the stage tiers
as a formset, and deactivation after a confirmation. Admins write; managers and viewers read.

The form speaks percent (``15`` = 15 %); the service and the API speak fractions (0.15)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from partnerhub.core.pages import PAGE_SIZE
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners.stages import Stage, stage_rank
from payouts.models import CommissionPlan
from payouts.selectors.ledger import commission_plan_list
from payouts.services import plans
from programs.models import PartnerPersona, Program

_TIER_STAGES = [s for s in Stage.choices if s[0] != Stage.INTEREST]


def _percent_field(help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label="Rate (%)",
        required=False,
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        help_text=help_text,
    )


def _fraction(percent: Decimal | None) -> Decimal:
    return (percent or Decimal(0)) / 100


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).normalize()


class CommissionPlanForm(forms.Form):
    program = forms.ChoiceField()
    persona = forms.ChoiceField(required=False, help_text="Empty: every persona.")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CommissionPlan.Kind.choices)
    rate = _percent_field("Percent plans: 15 = 15% of revenue.")
    duration_months = forms.IntegerField(
        label="Recurring for (months)",
        required=False,
        help_text="Percent plans: months after the customer's first payment; empty = lifetime.",
    )
    bounty_amount = forms.IntegerField(
        label="Bounty (minor units)",
        required=False,
        help_text="Bounty plans: 5000 = 50.00 in the program's currency.",
    )
    cap_per_customer_amount = forms.IntegerField(
        label="Cap per customer (minor units)",
        required=False,
        help_text="Percent plans: the most one customer can earn under this plan; empty = none.",
    )

    def __init__(
        self,
        *args: Any,
        programs: list[Program],
        personas: list[PartnerPersona],
        plan: CommissionPlan | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.public_id, p.name) for p in programs]  # type: ignore[attr-defined]
        self.fields["persona"].choices = [("", "Every persona")] + [  # type: ignore[attr-defined]
            (p.public_id, p.name) for p in personas
        ]
        if plan is not None:  # program and kind are fixed once the plan exists
            self.fields["program"].disabled = True
            self.fields["kind"].disabled = True

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return {
            "program_id": data["program"],
            "persona_id": data["persona"] or None,
            "name": data["name"],
            "kind": data["kind"],
            "rate": _fraction(data["rate"]),
            "duration_months": data["duration_months"],
            "bounty_amount": data["bounty_amount"],
            "cap_per_customer_amount": data["cap_per_customer_amount"],
        }


class TierForm(forms.Form):
    from_stage = forms.ChoiceField(
        label="From stage", required=False, choices=[("", "—"), *_TIER_STAGES]
    )
    rate = _percent_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_stage") and data.get("rate") is None:
            self.add_error("rate", "Give the rate paid from this stage on.")
        if data.get("rate") is not None and not data.get("from_stage"):
            self.add_error("from_stage", "Choose the stage this rate starts at.")
        return data


TierFormSet = forms.formset_factory(TierForm, extra=0, max_num=4, absolute_max=4)


def _tier_rows(formset: Any) -> list[dict[str, Any]]:
    return [
        {"from_stage": f.cleaned_data["from_stage"], "rate": _fraction(f.cleaned_data["rate"])}
        for f in formset.forms
        if f.cleaned_data.get("from_stage")
    ]


class CommissionPlanListView(VendorDashboardView):
    template_name = "payouts/plans.html"
    nav = "programs"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = {k: self.request.GET.get(k, "") for k in ("program", "kind", "is_active")}
        queryset = commission_plan_list(vendor=self.vendor, filters=filters)
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for plan in page.object_list:
            tiers = sorted(plan.tiers.all(), key=lambda t: stage_rank(t.from_stage))
            plan.sorted_tiers = tiers  # type: ignore[attr-defined]
        context.update(
            page=page,
            filters=filters,
            programs=Program.objects.for_vendor(self.vendor).order_by("name"),
            kinds=CommissionPlan.Kind.choices,
        )
        return context


class CommissionPlanFormView(VendorDashboardView):
    """New plan (``?program=`` preselects it) or edit one: fields + up to four stage tiers."""

    template_name = "payouts/plan_form.html"
    nav = "programs"
    # Forms that change money are admin pages; managers and viewers read the list.
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def _plan(self) -> CommissionPlan | None:
        plan_id = self.kwargs.get("commission_plan_id")
        if not plan_id:
            return None
        plan = commission_plan_list(vendor=self.vendor).filter(public_id=plan_id).first()
        if plan is None:
            raise Http404("No such commission plan")
        return plan

    def _forms(self, plan: CommissionPlan | None, data: Any = None) -> tuple[Any, Any]:
        programs = list(Program.objects.for_vendor(self.vendor).order_by("name"))
        personas = list(PartnerPersona.objects.for_vendor(self.vendor).order_by("name"))
        initial: dict[str, Any] = {"program": self.request.GET.get("program", "")}
        tiers: list[dict[str, Any]] = []
        if plan is not None:
            initial = {
                "program": plan.program.public_id,
                "persona": plan.persona.public_id if plan.persona else "",
                "name": plan.name,
                "kind": plan.kind,
                "rate": _percent(plan.rate) if plan.rate else None,
                "duration_months": plan.duration_months,
                "bounty_amount": plan.bounty_amount or None,
                "cap_per_customer_amount": plan.cap_per_customer_amount,
            }
            ordered = sorted(plan.tiers.all(), key=lambda t: stage_rank(t.from_stage))
            tiers = [{"from_stage": t.from_stage, "rate": _percent(t.rate)} for t in ordered]
        form = CommissionPlanForm(
            data, programs=programs, personas=personas, plan=plan, initial=initial
        )
        # Empty rows to add tiers; the formset ignores rows left blank.
        tiers += [{}] * (4 - len(tiers))
        formset = TierFormSet(data, initial=tiers, prefix="tiers")
        return form, formset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self._plan()
        form, formset = self._forms(plan)
        context.setdefault("form", kwargs.get("form") or form)
        context.setdefault("formset", kwargs.get("formset") or formset)
        context["plan"] = plan
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        plan = self._plan()
        form, formset = self._forms(plan, request.POST)
        if form.is_valid() and formset.is_valid():
            fields = form.service_fields()
            fields["tiers"] = _tier_rows(formset)
            try:
                if plan is None:
                    plan = plans.commission_plan_create(
                        vendor=self.vendor, actor=self.actor, **fields
                    )
                else:
                    plan = plans.commission_plan_update(
                        vendor=self.vendor, plan_id=plan.public_id, actor=self.actor, **fields
                    )
            except ValidationError as exc:
                _show_errors(exc, form, formset)
            else:
                messages.success(request, f"Commission plan {plan.name} saved.")
                return redirect(_list_url(self.vendor.slug, plan))
        context = self.get_context_data(form=form, formset=formset)
        return self.render_to_response(context, status=400)


def _list_url(vendor_slug: str, plan: CommissionPlan) -> str:
    """The plan list of the plan's program."""
    url = reverse("payouts:plans", kwargs={"vendor_slug": vendor_slug})
    return f"{url}?program={plan.program.public_id}"


def _show_errors(exc: ValidationError, form: Any, formset: Any) -> None:
    """The service's errors next to their fields; tier errors above the tier rows."""
    if not hasattr(exc, "error_dict"):
        form_errors_from(exc, form)
        return
    errors = exc.message_dict
    formset.non_form_errors().extend(errors.pop("tiers", []))
    if errors:
        form_errors_from(ValidationError(errors), form)


class CommissionPlanDeactivateView(VendorDashboardView):
    """GET: what deactivating means, and a confirmation button. POST: deactivate."""

    template_name = "payouts/plan_deactivate.html"
    nav = "programs"
    # Forms that change money are admin pages; managers and viewers read the list.
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    done = "deactivated"

    def _plan(self) -> CommissionPlan:
        plan = (
            commission_plan_list(vendor=self.vendor)
            .filter(public_id=self.kwargs["commission_plan_id"])
            .first()
        )
        if plan is None:
            raise Http404("No such commission plan")
        return plan

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plan"] = self._plan()
        return context

    def _switch(self, plan: CommissionPlan, reason: str) -> None:
        plans.commission_plan_deactivate(
            vendor=self.vendor, plan_id=plan.public_id, reason=reason, actor=self.actor
        )

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        plan = self._plan()
        if request.POST.get("confirm") != "yes":
            return self.render_to_response(self.get_context_data(), status=400)
        try:
            self._switch(plan, request.POST.get("reason", "")[:500])
        except ValidationError as exc:
            context = self.get_context_data()
            context["errors"] = [m for ms in exc.message_dict.values() for m in ms]
            return self.render_to_response(context, status=400)
        messages.success(request, f"Commission plan {plan.name} {self.done}.")
        return redirect(_list_url(self.vendor.slug, plan))


class CommissionPlanReactivateView(CommissionPlanDeactivateView):
    """GET: what reactivating means, and a confirmation button. POST: reactivate (refused,
    with the reason, while an active twin pays the same program and persona)."""

    template_name = "payouts/plan_reactivate.html"
    done = "reactivated"

    def _switch(self, plan: CommissionPlan, reason: str) -> None:
        plans.commission_plan_reactivate(
            vendor=self.vendor, plan_id=plan.public_id, reason=reason, actor=self.actor
        )
