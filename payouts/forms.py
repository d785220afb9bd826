"""Forms of the payouts pages."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from payouts.services.revenue import MAX_BULK_ITEMS
from programs.models import Program

CSV_COLUMNS = (
    "external_id",
    "kind",
    "customer",
    "amount",
    "currency",
    "occurred_at",
    "period_start",
    "period_end",
    "refunds",
)


class RevenueUploadForm(forms.Form):
    file = forms.FileField(
        label="Revenue events (CSV)",
        help_text="Columns: " + ", ".join(CSV_COLUMNS) + ". Amounts in minor units (4999 = "
        "49.99). Up to 1,000 rows.",
    )

    def clean_file(self) -> list[dict[str, Any]]:
        upload = self.cleaned_data["file"]
        if upload.size > 2_000_000:
            raise ValidationError("The file is larger than 2 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.") from exc
        reader = csv.DictReader(io.StringIO(text))
        missing = {"external_id", "customer", "amount", "currency", "occurred_at"} - set(
            reader.fieldnames or []
        )
        if missing:
            raise ValidationError(f"Missing columns: {', '.join(sorted(missing))}.")
        rows = []
        for row in reader:
            item: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
            amount = item.get("amount", "")
            item["amount"] = int(amount) if amount.lstrip("-").isdigit() else amount
            item["kind"] = item.get("kind") or "invoice_paid"
            rows.append(item)
        if not rows:
            raise ValidationError("The file has no rows.")
        if len(rows) > MAX_BULK_ITEMS:
            raise ValidationError(f"At most {MAX_BULK_ITEMS} rows per upload.")
        return rows


class CustomerChurnForm(forms.Form):
    at = forms.DateTimeField(
        label="Subscription ended",
        help_text="When the customer stopped paying (not in the future).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class PayoutRunStartForm(forms.Form):
    program = forms.ChoiceField()
    period = forms.RegexField(
        regex=r"^\d{4}-\d{2}$", help_text="YYYY-MM, e.g. 2026-10.", label="Period"
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.public_id, p.name) for p in programs]  # type: ignore[attr-defined]


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        max_length=200, help_text="The bank transfer or PayPal batch reference."
    )
