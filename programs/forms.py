"""Dashboard forms of programs, personas, persona rules and join sources."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from programs.models import JoinSource, PartnerPersona, Program

_JSON_HELP = "JSON, e.g. "


class JSONListField(forms.CharField):
    """A textarea holding a JSON list (questions, conditions, channels)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, indent=1)
        return value

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return []
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}.") from exc
        if not isinstance(parsed, list):
            raise forms.ValidationError("Give a JSON list: [ … ].")
        return parsed


class ProgramForm(forms.ModelForm):
    application_fields = JSONListField(
        required=False,
        help_text=_JSON_HELP
        + '[{"name": "company_size", "label": "Company size", "type": "number", "required": true}]',
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "kind",
            "status",
            "currency",
            "application_mode",
            "attribution_window_days",
            "attribution_model",
            "hold_period_days",
            "payout_threshold_amount",
            "payout_schedule",
            "activation_target_days",
            "terms",
            "landing_headline",
            "landing_body",
            "application_fields",
        ]
        widgets = {
            "terms": forms.Textarea(attrs={"rows": 4}),
            "landing_body": forms.Textarea(attrs={"rows": 4}),
        }


class PersonaForm(forms.ModelForm):
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Whole vendor",
    )
    preferred_channels = JSONListField(required=False, help_text=_JSON_HELP + '["webinars"]')

    class Meta:
        model = PartnerPersona
        fields = [
            "name",
            "description",
            "wants",
            "needs",
            "goals",
            "pains",
            "preferred_channels",
            "typical_partner_type",
            "onboarding_track",
            "activation_target_days",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("description", "wants", "needs", "goals", "pains", "onboarding_track")
        }

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.for_vendor(vendor)  # type: ignore[attr-defined]
        if self.instance.pk and self.instance.program:
            self.initial["program"] = self.instance.program.public_id

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        program = data.pop("program", None)
        data["program_id"] = program.public_id if program else None
        return data


class PersonaRuleForm(forms.Form):
    conditions = JSONListField(
        help_text=_JSON_HELP + '[{"field": "company_size", "op": "gt", "value": 50}, '
        '{"field": "offers_services", "op": "true"}]'
    )
    priority = forms.IntegerField(min_value=0, initial=100)


class JoinSourceForm(forms.ModelForm):
    class Meta:
        model = JoinSource
        fields = ["name", "kind", "code", "utm_source", "referrer_domain", "is_active"]
