"""Dashboard pages: the partnership list and the invitation form (the partnership page
itself combines several apps and lives in ``web.partnership``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from partnerhub.core.pages import ListPage
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners import selectors
from partners.forms import InviteForm
from partners.models import Partnership
from partners.services.partnerships import partnership_invite
from partners.stages import Stage
from partners.views.applications import filter_choices


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
            **filter_choices(self.vendor),
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
                partnership = partnership_invite(
                    vendor=self.vendor,
                    program_id=data["program"].public_id,
                    email=data["email"],
                    name=data["name"],
                    persona_id=data["persona"].public_id if data["persona"] else None,
                    actor=self.actor,
                    portal_url=request.build_absolute_uri("/portal/"),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"Invitation sent to {partnership.partner.email}.")
                return redirect("partners:partnership_list", vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)
