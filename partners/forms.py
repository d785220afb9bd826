"""Forms of the partners pages: the public application, invitations, partnership edits,
imports, decisions and notes."""

from __future__ import annotations

from typing import Any

from django import forms

from partners.models import Partnership
from programs.models import JoinSource, PartnerPersona, Program


class ApplicationForm(forms.Form):
    """The program's application form: contact fields plus the program's own questions."""

    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(label="E-mail address")
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    landing_referrer = forms.CharField(required=False, widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(label="I accept the program terms")

    def __init__(self, *args: Any, program: Program, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_names: list[str] = []
        if email:  # signed in: apply as this account
            self.fields["email"].initial = email
            self.fields["email"].disabled = True
        if not program.terms:
            del self.fields["accept_terms"]
        for question in program.application_fields or []:
            name, kind = question["name"], question.get("type", "text")
            required = bool(question.get("required")) and kind != "boolean"
            label = question.get("label", name)
            field: forms.Field
            if kind == "number":
                field = forms.DecimalField(label=label, required=required)
            elif kind == "boolean":
                field = forms.BooleanField(label=label, required=False)
            elif kind == "choice":
                choices = [("", "—")] + [(c, c) for c in question.get("choices", [])]
                field = forms.ChoiceField(label=label, required=required, choices=choices)
            else:
                field = forms.CharField(label=label, required=required, max_length=2000)
            self.fields[f"q_{name}"] = field
            self.question_names.append(name)

    def answers(self) -> dict[str, Any]:
        return {
            name: (
                str(self.cleaned_data[f"q_{name}"])
                if self.cleaned_data.get(f"q_{name}") is not None
                else ""
            )
            for name in self.question_names
        }


class InviteForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), to_field_name="public_id")
    email = forms.EmailField()
    name = forms.CharField(max_length=200, required=False)
    persona = forms.ModelChoiceField(
        queryset=PartnerPersona.objects.none(), to_field_name="public_id", required=False
    )

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.for_vendor(vendor)  # type: ignore[attr-defined]
        self.fields["persona"].queryset = PartnerPersona.objects.for_vendor(vendor)  # type: ignore[attr-defined]


class PartnershipEditForm(forms.Form):
    persona = forms.ModelChoiceField(
        queryset=PartnerPersona.objects.none(), to_field_name="public_id", required=False
    )
    join_source = forms.ModelChoiceField(
        queryset=JoinSource.objects.none(), to_field_name="public_id", required=False
    )
    status = forms.ChoiceField(choices=[])

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["persona"].queryset = PartnerPersona.objects.for_vendor(vendor)  # type: ignore[attr-defined]
        self.fields["join_source"].queryset = JoinSource.objects.for_vendor(vendor)  # type: ignore[attr-defined]
        self.fields["status"].choices = Partnership.Status.choices  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), to_field_name="public_id")
    file = forms.FileField(
        help_text="CSV with a header line: email, name, company_name, persona, join_source."
    )

    def __init__(self, *args: Any, vendor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.for_vendor(vendor)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note",
        required=False,  # the service says why an empty note is refused, next to the field
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Call summary, agreement, next step…"}
        ),
        help_text="Visible to every member of your team, never to the partner.",
    )
