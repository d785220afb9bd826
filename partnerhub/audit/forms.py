from __future__ import annotations

from typing import Any

from django import forms


class AuditFilterForm(forms.Form):
    """The audit page's filters (all optional); the action choices are the vendor's own."""

    action = forms.ChoiceField(required=False)
    target = forms.CharField(
        required=False,
        max_length=64,
        help_text="A type (api_key, membership…) or an id (key_…, mem_…).",
    )
    actor = forms.CharField(required=False, max_length=200, help_text="Part of an e-mail.")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action")] + [(a, a) for a in actions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the period is before its start.")
        return data
