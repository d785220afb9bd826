"""The partner portal's passive-income page ``/portal/income/``: for each of the signed-in
partner's partnerships, recurring earnings per month, attributed MRR, the next payout, a
12-month projection, and whether payout details are complete. Only the partner's own
partnerships are read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from partnerhub.accounts.models import authenticated_user
from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import vendor_scope
from partners.selectors import partnership_for_partner, partnerships_for_partner
from partners.services.partners import partner_for_user
from payouts.models import PartnerPayoutDetails
from payouts.selectors.income import passive_income_by_partnership
from payouts.selectors.runs import partner_payout_details, partner_payout_details_by_vendor
from payouts.services.payout_details import payout_details_set


@login_required
def passive_income_view(request: HttpRequest) -> HttpResponse:
    partner = partner_for_user(user=authenticated_user(request))
    rows = []
    if partner is not None:
        partnerships = list(partnerships_for_partner(partner=partner).filter(status="approved"))
        incomes = passive_income_by_partnership(partnerships=partnerships)
        details = partner_payout_details_by_vendor(
            partner=partner, vendor_ids={p.vendor_id for p in partnerships}
        )
        for partnership in partnerships:
            income = incomes[partnership.pk]
            own = details.get(partnership.vendor_id)
            rows.append(
                {
                    "partnership": partnership,
                    "income": income,
                    "missing": own.missing if own else ["payout details"],
                    "peak": max([v for _, v in income.monthly + income.projection] + [1]),
                }
            )
    return render(request, "payouts/portal_income.html", {"partner": partner, "rows": rows})


class PayoutDetailsForm(forms.ModelForm):
    class Meta:
        model = PartnerPayoutDetails
        fields = [
            "method",
            "country",
            "tax_form",
            "paypal_email",
            "bank_reference",
            "stripe_account_id",
            "minimum_payout_amount",
        ]
        help_texts = {
            "country": "Two letters, e.g. US, DE.",
            "tax_form": "US persons: W-9. Everyone else: W-8BEN.",
            "bank_reference": "How the vendor finds your account, e.g. IBAN ending 1234.",
            "minimum_payout_amount": "Minor units; smaller sums wait for the next payout.",
        }

    def clean_country(self) -> str:
        country = (self.cleaned_data.get("country") or "").upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. US.")
        return country

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        expected = "w9" if data.get("country") == "US" else "w8ben"
        if data.get("country") and data.get("tax_form") != expected:
            self.add_error("tax_form", f"With this country, submit the {expected.upper()} form.")
        if data.get("method") == "paypal" and not data.get("paypal_email"):
            self.add_error("paypal_email", "Give the PayPal e-mail to pay.")
        if data.get("method") == "stripe" and not data.get("stripe_account_id"):
            self.add_error("stripe_account_id", "Give your Stripe Connect account id (acct_…).")
        if not data.get("method"):
            self.add_error("method", "Choose how you want to be paid.")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def payout_details_view(request: HttpRequest, partnership_id: str) -> HttpResponse:
    """The partner records how this vendor pays them; the tax form is marked *submitted*
    (the vendor verifies it). Their held payouts can then be approved."""
    partner = partner_for_user(user=authenticated_user(request))
    if partner is None:
        raise Http404("No such partnership")
    partnership = partnership_for_partner(partner=partner, partnership_id=partnership_id)
    details = partner_payout_details(vendor_id=partnership.vendor_id, partner=partner)
    form = PayoutDetailsForm(request.POST or None, instance=details)
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in PayoutDetailsForm.Meta.fields}
        values["tax_form_status"] = (
            details.tax_form_status
            if details
            and details.tax_form == values["tax_form"]
            and details.tax_form_status != PartnerPayoutDetails.TaxFormStatus.MISSING
            else PartnerPayoutDetails.TaxFormStatus.SUBMITTED
        )
        with vendor_scope(partnership.vendor):
            payout_details_set(
                vendor=partnership.vendor,
                partner_id=partner.pk,
                actor=Actor.for_user(authenticated_user(request)),
                **values,
            )
        messages.success(request, "Payout details saved.")
        return redirect("portal_income:home")
    return render(
        request,
        "payouts/portal_payout_details.html",
        {"form": form, "partnership": partnership, "details": details},
    )
