"""Forms of the attribution pages: lead decisions, deal registration in the portal, manual
attribution of a customer, and a program's referral destination."""

from __future__ import annotations

from typing import Any

from django import forms

from programs.forms import LinesField


class LeadDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the partner; required to reject.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the partner a reason for the rejection.")
        return data


class LeadRegisterForm(forms.Form):
    company = forms.CharField(max_length=200)
    contact_name = forms.CharField(max_length=200, required=False)
    contact_email = forms.EmailField()
    value_amount = forms.IntegerField(
        min_value=0, required=False, initial=0, help_text="Expected value in minor units (cents)."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ManualAttributionForm(forms.Form):
    partnership = forms.ChoiceField(choices=[])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, partnerships: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["partnership"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (p.public_id, f"{p.partner.name} — {p.program.name} ({p.referral_code})")
            for p in partnerships
        ]


class ReferralDestinationForm(forms.Form):
    """Where the program's referral links ``/r/<code>`` land."""

    website_url = forms.CharField(
        label="Website (referral destination)",
        required=False,
        max_length=200,
        help_text="Referral links land here, e.g. https://acme.example. Empty: on the "
        "program's public page.",
    )
    allowed_paths = LinesField(
        label="Landing paths partners may choose",
        required=False,
        help_text="One per line, e.g. /pricing or /blog/. A link's ?to= must be under one of "
        "them; empty: any path on the website.",
    )
    allowed_hosts = LinesField(
        label="Other hosts of yours",
        required=False,
        help_text="One per line, e.g. docs.acme.example: ?to= may then be a full https:// URL "
        "on them. Any other host lands on the website's home page.",
    )
