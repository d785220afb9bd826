"""Dashboard forms of programs, personas, persona rules and join sources."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from programs.models import Certification, Course, JoinSource, Lesson, PartnerPersona, Program

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
        fields = list(Program.EDITABLE_FIELDS)
        widgets = {
            "terms": forms.Textarea(attrs={"rows": 4}),
            "landing_body": forms.Textarea(attrs={"rows": 4}),
        }


class TargetFieldsMixin:
    """``program`` (and optionally ``persona``) choice fields by public id, for things that
    belong to one program/persona or (empty) to the whole vendor."""

    target_fields: tuple[str, ...] = ("program",)
    fields: Any
    initial: Any
    instance: Any
    cleaned_data: Any

    def add_target_fields(self, vendor: Any) -> None:
        models = {"program": Program, "persona": PartnerPersona}
        for name in self.target_fields:
            self.fields[name] = forms.ModelChoiceField(
                queryset=models[name].objects.for_vendor(vendor),
                to_field_name="public_id",
                required=False,
                empty_label="Any" if name == "persona" else "Whole vendor",
            )
            current = getattr(self.instance, name, None) if self.instance.pk else None
            if current is not None:
                self.initial[name] = current.public_id

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in self.target_fields:
            target = data.pop(name, None)
            data[f"{name}_id"] = target.public_id if target else None
        return data


class PersonaForm(TargetFieldsMixin, forms.ModelForm):
    preferred_channels = JSONListField(required=False, help_text=_JSON_HELP + '["webinars"]')

    class Meta:
        model = PartnerPersona
        fields = list(PartnerPersona.EDITABLE_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("description", "wants", "needs", "goals", "pains", "onboarding_track")
        }

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_target_fields(vendor)


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


class CourseForm(TargetFieldsMixin, forms.ModelForm):
    target_fields = ("program", "persona")

    class Meta:
        model = Course
        fields = ["title", "description", "position", "is_required", "is_published"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_target_fields(vendor)


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "kind", "position", "body", "url", "file"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class CertificationForm(TargetFieldsMixin, forms.ModelForm):
    target_fields = ("program", "persona")
    questions = JSONListField(
        help_text=_JSON_HELP
        + '[{"text": "Who pays commissions?", "choices": ["We do", "You do"], "answer": 0}]'
    )

    class Meta:
        model = Certification
        fields = [
            "title",
            "description",
            "questions",
            "pass_mark_percent",
            "is_required",
            "is_published",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_target_fields(vendor)


class LinesField(forms.CharField):
    """A textarea with one entry per line (landing paths, host names)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]
