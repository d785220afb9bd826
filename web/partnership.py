"""The partnership detail page with everything a manager looks up about one partner: the
partners app's page (profile, onboarding, edit form) plus a timeline of stage moves and
notes, customers, commissions and payouts — each a bounded, most-recent-first slice with a
link to the full, filtered list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from journey.selectors import partnership_transitions
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partners import selectors as partner_selectors
from partners.forms import NoteForm, PartnershipEditForm
from partners.models import Partnership
from partners.services.notes import partnership_note_add, partnership_notes
from partners.services.partnerships import partnership_update
from payouts.models import CommissionStatus, Customer, Payout
from payouts.selectors.ledger import commission_list

RECENT = 20


def timeline(*, vendor: Any, partnership: Partnership) -> list[dict[str, Any]]:
    """The latest stage moves and notes, merged newest first (two bounded queries)."""
    moves = partnership_transitions(vendor=vendor, partnership=partnership)[:RECENT]
    notes = partnership_notes(vendor=vendor, partnership=partnership)[:RECENT]
    entries: list[dict[str, Any]] = [{"kind": "move", "at": t.at, "item": t} for t in moves]
    entries += [{"kind": "note", "at": n.created_at, "item": n} for n in notes]
    return sorted(entries, key=lambda e: e["at"], reverse=True)[:RECENT]


class PartnershipDetailView(VendorDashboardView):
    template_name = "dashboard/partnership_detail.html"
    nav = "partnerships"

    def get_partnership(self) -> Partnership:
        return get_object_or_404(
            partner_selectors.partnership_list(vendor=self.vendor),
            public_id=self.kwargs["partnership_id"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partnership = self.get_partnership()
        context["partnership"] = partnership
        context["progress"] = partner_selectors.onboarding_progress(partnership=partnership)
        context.setdefault(
            "form",
            PartnershipEditForm(
                vendor=self.vendor,
                initial={
                    "persona": partnership.persona.public_id if partnership.persona else None,
                    "join_source": (
                        partnership.join_source.public_id if partnership.join_source else None
                    ),
                    "status": partnership.status,
                },
            ),
        )
        customers = Customer.objects.for_vendor(self.vendor).filter(partnership=partnership)
        commissions = commission_list(
            vendor=self.vendor, filters={"partnership": partnership.public_id}
        )
        context.setdefault("note_form", NoteForm())
        context.update(
            timeline=timeline(vendor=self.vendor, partnership=partnership),
            customers=list(customers.order_by("-created_at", "-id")[:RECENT]),
            customers_total=customers.count(),
            commissions=list(commissions[:RECENT]),
            commissions_by_currency=list(
                commissions.exclude(status=CommissionStatus.REVERSED)
                .values("currency")
                .annotate(total=Sum("amount"))
                .order_by("currency")
            ),
            payouts=list(
                Payout.objects.for_vendor(self.vendor)
                .filter(partnership=partnership)
                .select_related("run")
                .order_by("-created_at", "-id")[:RECENT]
            ),
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partnership = self.get_partnership()
        form = PartnershipEditForm(request.POST, vendor=self.vendor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                partnership_update(
                    vendor=self.vendor,
                    partnership_id=partnership.public_id,
                    actor=self.actor,
                    persona_id=data["persona"].public_id if data["persona"] else None,
                    join_source_id=data["join_source"].public_id if data["join_source"] else None,
                    status=data["status"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "Partnership saved.")
                return redirect(
                    "partners:partnership_detail",
                    vendor_slug=self.vendor.slug,
                    partnership_id=partnership.public_id,
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PartnershipNoteAddView(PartnershipDetailView):
    """POST a note (managers). With htmx only the timeline is swapped in — with the new note,
    or with the error next to the field (400); without JavaScript the page is reloaded."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partnership = self.get_partnership()
        form = NoteForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                partnership_note_add(
                    vendor=self.vendor,
                    partnership_id=partnership.public_id,
                    actor=self.actor,
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                if not request.headers.get("HX-Request"):
                    return redirect(
                        "partners:partnership_detail",
                        vendor_slug=self.vendor.slug,
                        partnership_id=partnership.public_id,
                    )
                form, status = NoteForm(), 200
        if request.headers.get("HX-Request"):
            context = {
                "partnership": partnership,
                "timeline": timeline(vendor=self.vendor, partnership=partnership),
                "note_form": form,
            }
            return TemplateResponse(request, "dashboard/_timeline.html", context, status=status)
        return self.render_to_response(self.get_context_data(note_form=form), status=status)
