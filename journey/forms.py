from __future__ import annotations

import json
from typing import Any

from django import forms

from journey.selectors import GROUPINGS
from partners.stages import Stage
from programs.models import Program


class FunnelFilterForm(forms.Form):
    group_by = forms.ChoiceField(
        choices=[(g, g.replace("_", " ").capitalize()) for g in GROUPINGS if g != "all"],
        required=False,
        initial="program",
    )
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(), required=False, to_field_name="public_id"
    )
    joined_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    joined_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.for_vendor(vendor)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("joined_from"), data.get("joined_to")
        if start and end and start > end:
            self.add_error("joined_to", "Must not be before the start of the period.")
        return data


class StageMoveForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move to")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class StageRulesForm(forms.Form):
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "class": "mono"}),
        help_text=(
            'A JSON list of {"stage", "kind": "entry"|"regression", "criteria": [[condition, '
            '...], ...]} in journey order; a condition is {"metric", "op", "value"}. Stages '
            "without a rule use the defaults."
        ),
    )

    def clean_rules(self) -> Any:
        try:
            return json.loads(self.cleaned_data["rules"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
