"""Filters shared by every API resource."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UTCIsoDateTimeField(IsoDateTimeField):
    """ISO-8601 with any offset, normalised to UTC. An offset PostgreSQL cannot store (it
    allows ±15:59) or a moment outside the representable range is a 400, not a 500."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("This timestamp is out of range.", code="invalid") from exc


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """Use for every timestamp filter, e.g. ``created_after``/``created_before``."""

    field_class = UTCIsoDateTimeField
