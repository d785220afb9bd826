from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from partnerhub.tenancy.models import TIME_ZONE_CHOICES, Role, Vendor

CURRENCY_CHOICES = [
    (code, code)
    for code in ["USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "JPY", "INR", "BRL"]
]


class VendorCreateForm(forms.Form):
    name = forms.CharField(max_length=200, label="Company name")
    slug = forms.SlugField(
        max_length=50,
        label="Dashboard address",
        help_text="Lower-case letters, digits and hyphens; used in /app/<address>/.",
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits, -")],
    )
    default_currency = forms.ChoiceField(choices=CURRENCY_CHOICES, initial="USD")
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, initial="UTC")

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].lower()
        if slug in settings.RESERVED_VENDOR_SLUGS:
            raise forms.ValidationError("This address is reserved, please choose another.")
        if Vendor.objects.filter(slug=slug).exists():
            raise forms.ValidationError("This address is already taken.")
        return slug


class VendorSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    default_currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES)

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError("Unknown time zone.")
        return value


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MANAGER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class APIKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'Billing sync'.")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in Role if r != Role.OWNER], initial=Role.ADMIN
    )


class SecuritySettingsForm(forms.Form):
    require_mfa_for_owners = forms.BooleanField(
        required=False,
        label="Require two-factor authentication for owners",
        help_text="Owners without an authenticator app are kept out of the dashboard until "
        "they set one up.",
    )
