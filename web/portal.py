"""The partner portal ``/portal/``: a signed-in user's partnerships across vendors, referral
links and onboarding. Every object is resolved through the partner's own partnerships, so
another partner's partnership, course or quiz answers 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_http_methods

from attribution.forms import LeadRegisterForm
from attribution.selectors import leads_for_partnership, referral_funnel
from attribution.services.leads import lead_register
from partnerhub.accounts.models import authenticated_user
from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.pages import form_errors_from
from partners.models import Partner, Partnership
from partners.selectors import (
    onboarding_progress,
    partnership_for_partner,
    partnerships_for_partner,
)
from partners.services.onboarding import (
    certification_attempt_submit,
    certification_for,
    lesson_complete,
)
from partners.services.partners import partner_for_user
from programs.models import Certification, Lesson


def _partner(request: HttpRequest) -> Partner | None:
    return partner_for_user(user=authenticated_user(request))


def _my_partnership(request: HttpRequest, partnership_id: str) -> Partnership:
    partner = _partner(request)
    if partner is None:
        raise Http404("No such partnership")
    return partnership_for_partner(partner=partner, partnership_id=partnership_id)


def referral_link(request: HttpRequest, partnership: Partnership) -> str:
    """The partnership's shareable link: the program page carrying its referral code."""
    path = reverse(
        "program_page",
        kwargs={"vendor": partnership.vendor.slug, "program_slug": partnership.program.slug},
    )
    return request.build_absolute_uri(f"{path}?ref={partnership.referral_code}")


def customer_referral_link(request: HttpRequest, partnership: Partnership) -> str:
    """The link partners share with prospective customers: ``/r/<vendor>/<code>``."""
    code = quote(partnership.referral_code, safe="")
    return request.build_absolute_uri(f"/r/{partnership.vendor.slug}/{code}")


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    partner = _partner(request)
    partnerships = list(partnerships_for_partner(partner=partner)) if partner else []
    rows = [{"p": p, "link": referral_link(request, p)} for p in partnerships]
    return render(request, "partners/portal/home.html", {"partner": partner, "rows": rows})


@login_required
def portal_partnership(request: HttpRequest, partnership_id: str) -> HttpResponse:
    partnership = _my_partnership(request, partnership_id)
    with vendor_scope(partnership.vendor):
        progress = onboarding_progress(partnership=partnership)
        funnel = referral_funnel(partnership=partnership)
    return render(
        request,
        "partners/portal/partnership.html",
        {
            "partnership": partnership,
            "link": referral_link(request, partnership),
            "customer_link": customer_referral_link(request, partnership),
            "progress": progress,
            "approved": partnership.status == Partnership.Status.APPROVED,
            "funnel": funnel,
            "funnel_chart": {
                "labels": ["Link clicks", "Customers", "Paying customers"],
                "values": [funnel.clicks, funnel.customers, funnel.paying_customers],
            },
        },
    )


class PortalLessonCompleteView(LoginRequiredMixin, View):
    """POST only: mark a lesson of one of my partnerships as done."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, partnership_id: str, lesson_id: str) -> HttpResponse:
        partnership = _my_partnership(request, partnership_id)
        with vendor_scope(partnership.vendor):
            try:
                lesson_complete(partnership=partnership, lesson_id=lesson_id)
            except Lesson.DoesNotExist as exc:
                raise Http404("No such lesson") from exc
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect("portal:partnership", partnership_id=partnership.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def portal_certification(
    request: HttpRequest, partnership_id: str, certification_id: str
) -> HttpResponse:
    partnership = _my_partnership(request, partnership_id)
    context: dict[str, Any] = {"partnership": partnership}
    with vendor_scope(partnership.vendor):
        try:
            certification = certification_for(
                partnership=partnership, certification_id=certification_id
            )
        except Certification.DoesNotExist as exc:
            raise Http404("No such certification") from exc
        context["certification"] = certification
        context["questions"] = [
            {"index": i, "text": q["text"], "choices": list(enumerate(q["choices"]))}
            for i, q in enumerate(certification.questions)
        ]
        if request.method == "POST":
            answers = [request.POST.get(f"q{i}") for i in range(len(certification.questions))]
            try:
                attempt = certification_attempt_submit(
                    partnership=partnership,
                    certification_id=certification_id,
                    answers=answers,
                )
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
                return render(request, "partners/portal/certification.html", context, status=400)
            context["attempt"] = attempt
    return render(request, "partners/portal/certification.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def portal_leads(request: HttpRequest, partnership_id: str) -> HttpResponse:
    """My leads/deals in one partnership, and the form to register one."""
    partnership = _my_partnership(request, partnership_id)
    status = 200
    with vendor_scope(partnership.vendor):
        form = LeadRegisterForm(request.POST or None)
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    lead_register(
                        partnership=partnership,
                        currency=partnership.program.currency,
                        **{
                            **form.cleaned_data,
                            "value_amount": form.cleaned_data["value_amount"] or 0,
                        },
                    )
                except ValidationError as exc:
                    form_errors_from(exc, form)
                else:
                    messages.success(request, "Lead registered: the vendor will review it.")
                    return redirect("portal:leads", partnership_id=partnership.public_id)
        leads = list(leads_for_partnership(partnership=partnership))
    return render(
        request,
        "partners/portal/leads.html",
        {"partnership": partnership, "form": form, "leads": leads},
        status=status,
    )
