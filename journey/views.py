"""Dashboard pages of the partner journey: funnel and cohorts, at-risk and slipping lists
with nudges, a partnership's journey (history and manager move), and a program's stage rules
with a dry run. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from journey.forms import FunnelFilterForm, StageMoveForm, StageRulesForm
from journey.machine import Mover, allowed_moves
from journey.models import Nudge, StageRule
from journey.rules import DEFAULT_RULES
from journey.selectors import (
    STEPS,
    at_risk_partnerships,
    funnels,
    partnership_transitions,
    slipping_partnerships,
    time_in_stages,
)
from journey.services.moves import StageMoveNotAllowed, partnership_stage_move
from journey.services.nudges import nudge_preview, partnership_nudge
from journey.services.stage_rules import rules_json, stage_rules_dry_run, stage_rules_save
from partnerhub.core.access import vendor_object_get
from partnerhub.tenancy.pages import VendorDashboardView
from partners.models import Partnership
from partners.stages import STAGE_ORDER
from programs.models import Program


def _form_errors_from(exc: ValidationError, form: Any) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, [f"{field}: {e}" for e in errors])


class FunnelView(VendorDashboardView):
    template_name = "journey/funnel.html"
    nav = "journey"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = FunnelFilterForm(self.request.GET or None, vendor=self.vendor)
        params: dict[str, Any] = {}
        if form.is_bound and form.is_valid():
            program = form.cleaned_data["program"]
            params = {
                "program_id": program.public_id if program else None,
                "joined_from": form.cleaned_data["joined_from"],
                "joined_to": form.cleaned_data["joined_to"],
            }
        group_by = (form.cleaned_data.get("group_by") if form.is_bound else "") or "program"
        if form.is_bound and not form.is_valid():
            group_by = "program"
        # The three tables from one read of the partnerships.
        tables = funnels(vendor=self.vendor, group_bys=["all", group_by, "cohort"], **params)
        overall, groups, cohorts = tables["all"], tables[group_by], tables["cohort"]
        context.update(
            form=form,
            stages=STAGE_ORDER,
            steps=[step.replace("_to_", " → ").capitalize() for step in STEPS],
            overall=overall[0] if overall else None,
            groups=groups,
            group_by=group_by,
            group_label="join month" if group_by == "cohort" else group_by.replace("_", " "),
            cohorts=cohorts,
            programs=Program.objects.for_vendor(self.vendor),
            chart={
                "labels": [s.capitalize() for s in STAGE_ORDER],
                "reached": [overall[0]["reached"][s] for s in STAGE_ORDER] if overall else [],
                "now": [overall[0]["stages"][s] for s in STAGE_ORDER] if overall else [],
            },
        )
        return context


class AtRiskView(VendorDashboardView):
    template_name = "journey/at_risk.html"
    nav = "journey"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        at_risk = at_risk_partnerships(vendor=self.vendor)
        program_id = self.request.GET.get("program")
        if program_id:
            at_risk = at_risk.filter(program__public_id=program_id)
        page = Paginator(at_risk, 50).get_page(self.request.GET.get("page"))
        slipping = slipping_partnerships(vendor=self.vendor)
        context.update(
            page=page,
            programs=Program.objects.for_vendor(self.vendor),
            program_id=program_id or "",
            slipping=list(slipping[:50]) if slipping is not None else None,
            now=timezone.now(),
        )
        return context


class NudgeView(VendorDashboardView):
    """Preview the templated e-mail (GET) and send it (POST, the confirmation)."""

    template_name = "journey/nudge.html"
    nav = "journey"

    def _reason(self) -> str:
        reason = self.request.POST.get("reason") or self.request.GET.get("reason") or ""
        return reason if reason in Nudge.Reason.values else Nudge.Reason.AT_RISK

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partnership = vendor_object_get(
            Partnership,
            vendor=self.vendor,
            public_id=kwargs["partnership_id"],
            related=("partner", "program"),
        )
        subject, body = nudge_preview(partnership=partnership, reason=self._reason())
        context.update(partnership=partnership, reason=self._reason(), subject=subject, body=body)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            nudge = partnership_nudge(
                vendor=self.vendor,
                partnership_id=kwargs["partnership_id"],
                reason=self._reason(),
                actor=self.actor,
            )
        except Partnership.DoesNotExist:
            return self.render_to_response(self.get_context_data(**kwargs), status=404)
        messages.success(request, f"Nudge sent to {nudge.partnership.partner.email}.")
        return redirect("journey:at_risk", vendor_slug=self.vendor.slug)


class PartnershipJourneyView(VendorDashboardView):
    template_name = "journey/partnership.html"
    nav = "journey"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partnership = vendor_object_get(
            Partnership,
            vendor=self.vendor,
            public_id=kwargs["partnership_id"],
            related=("partner", "program"),
        )
        transitions = list(partnership_transitions(vendor=self.vendor, partnership=partnership))
        form = context.get("form") or StageMoveForm()
        form.fields["to_stage"].choices = [  # type: ignore[union-attr]
            (s, s.capitalize()) for s in allowed_moves(partnership.stage, Mover.MANAGER)
        ]
        context.update(
            partnership=partnership,
            transitions=transitions,
            time_in_stages=time_in_stages(
                transitions=transitions, created_at=partnership.created_at
            ),
            form=form,
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partnership = vendor_object_get(
            Partnership, vendor=self.vendor, public_id=kwargs["partnership_id"]
        )
        form = StageMoveForm(request.POST)
        if form.is_valid():
            try:
                transition = partnership_stage_move(
                    vendor=self.vendor,
                    partnership_id=partnership.public_id,
                    actor=self.actor,
                    **form.cleaned_data,
                )
            except StageMoveNotAllowed as refused:
                form.add_error("to_stage", str(refused))
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, f"Moved to {transition.get_to_stage_display()}.")
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form, **kwargs), status=400)


class StageRulesView(VendorDashboardView):
    """A program's stage rules as JSON, with a dry run that lists who would move before
    anything is saved."""

    template_name = "journey/rules.html"
    nav = "journey"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = vendor_object_get(Program, vendor=self.vendor, public_id=kwargs["program_id"])
        if "form" not in context:
            own = StageRule.objects.for_vendor(self.vendor).filter(program=program)
            current = [{"stage": r.stage, "kind": r.kind, "criteria": r.criteria} for r in own]
            context["form"] = StageRulesForm(initial={"rules": json.dumps(current, indent=2)})
        context.update(
            program=program,
            defaults=json.dumps(rules_json(DEFAULT_RULES.values()), indent=2),
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        program = vendor_object_get(Program, vendor=self.vendor, public_id=kwargs["program_id"])
        form = StageRulesForm(request.POST)
        context: dict[str, Any] = {"form": form}
        if form.is_valid():
            rules = form.cleaned_data["rules"]
            try:
                if "save" in request.POST:
                    stage_rules_save(
                        vendor=self.vendor,
                        program_id=program.public_id,
                        rules=rules,
                        actor=self.actor,
                    )
                    messages.success(request, "Stage rules saved; they apply at the next run.")
                    return redirect(
                        reverse("journey:rules", args=[self.vendor.slug, program.public_id])
                    )
                moves = stage_rules_dry_run(
                    vendor=self.vendor, program_id=program.public_id, rules=rules
                )
                names = dict(
                    Partnership.objects.for_vendor(self.vendor)
                    .filter(pk__in=[m.partnership_id for m in moves])
                    .values_list("pk", "partner__name")
                )
                context["dry_run"] = [
                    {"name": names.get(m.partnership_id, "?"), "steps": m.steps} for m in moves
                ]
                return self.render_to_response(self.get_context_data(**context, **kwargs))
            except ValidationError as exc:
                _form_errors_from(exc, form)
        return self.render_to_response(self.get_context_data(**context, **kwargs), status=400)
