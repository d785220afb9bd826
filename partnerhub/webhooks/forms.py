from __future__ import annotations

import re
from typing import Any

from django import forms

from partnerhub.webhooks.models import DeliveryStatus


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="Where to POST events, e.g. https://example.com/webhooks/partnerhub.",
    )
    event_types = forms.CharField(
        label="Event types",
        max_length=2000,
        initial="*",
        help_text="Separated by commas or spaces, e.g. partnership.created, payout.paid; "
        "* for every event.",
    )
    description = forms.CharField(max_length=200, required=False)

    def clean_event_types(self) -> list[str]:
        value: str = self.cleaned_data["event_types"]
        return [item for item in re.split(r"[\s,]+", value) if item]


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *DeliveryStatus.choices], required=False
    )

    def status_value(self) -> str:
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        return str(data.get("status") or "")
