"""The program page with what the apps above ``programs`` know about a program: where its
referral links land (attribution) and how many commission plans it has (payouts). It takes
the programs app's own edit page's place in the ``programs`` namespace (``web.urls``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from attribution.forms import ReferralDestinationForm
from attribution.services import destinations
from partnerhub.tenancy.pages import form_errors_from
from payouts.selectors.ledger import commission_plans_active_count
from programs import views as programs_views


class ProgramFormView(programs_views.ProgramFormView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = context["object"]
        if program is not None:
            destination = destinations.referral_destination_get(vendor=self.vendor, program=program)
            initial = {
                "website_url": destination.website_url if destination else "",
                "allowed_paths": destination.allowed_paths if destination else [],
                "allowed_hosts": destination.allowed_hosts if destination else [],
            }
            context.setdefault("destination_form", ReferralDestinationForm(initial=initial))
            context["destination"] = destination
            context["active_plans"] = commission_plans_active_count(
                vendor=self.vendor, program=program
            )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        program = self.get_object()
        if program is None or request.POST.get("form") != "destination":
            return super().post(request, **kwargs)
        form = ReferralDestinationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["website_url"]:
                    destinations.referral_destination_set(
                        vendor=self.vendor,
                        program_id=program.public_id,
                        actor=self.actor,
                        **data,
                    )
                else:
                    destinations.referral_destination_remove(
                        vendor=self.vendor, program_id=program.public_id, actor=self.actor
                    )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "Referral destination saved.")
                return redirect(
                    "programs:program_edit",
                    vendor_slug=self.vendor.slug,
                    program_id=program.public_id,
                )
        return self.render_to_response(self.get_context_data(destination_form=form), status=400)
