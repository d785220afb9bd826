from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerhub.tenancy.models import Membership, Vendor


def api_representation(
    serializer_class: type[serializers.BaseSerializer[Any]], instance: Any
) -> dict[str, Any]:
    """``instance`` as the API renders it, for an event payload. Rendered in UTC like every API
    response, whatever time zone the page that caused the change has activated."""
    with timezone.override(dt.UTC):
        return dict(serializer_class(instance).data)


@extend_schema_field(OpenApiTypes.STR)
class PublicIdField(serializers.RelatedField[Any, Any, str]):
    """A related object rendered as its public id (``prg_…``), ``null`` when empty."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        # Nullable exactly when the model's foreign key is, so the schema says so too.
        model = getattr(getattr(parent, "Meta", None), "model", None)
        if model is not None:
            model_field = model._meta.get_field(self.source or field_name)
            self.allow_null = bool(getattr(model_field, "null", False))

    def to_representation(self, value: Any) -> str:
        return str(value.public_id)


class VendorOutputSerializer(serializers.ModelSerializer[Vendor]):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Vendor
        fields = ["id", "slug", "name", "default_currency", "time_zone", "created_at"]
        read_only_fields = fields


class VendorUpdateInputSerializer(serializers.Serializer[Vendor]):
    name = serializers.CharField(max_length=200, required=False, allow_blank=False)
    default_currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        error_messages={"invalid": "Use a three-letter ISO-4217 code in capitals, e.g. USD."},
    )
    time_zone = serializers.CharField(max_length=64, required=False)

    def validate_time_zone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Unknown IANA time zone, e.g. Europe/Berlin.")
        return value


class MemberOutputSerializer(serializers.ModelSerializer[Membership]):
    id = serializers.CharField(source="public_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "created_at"]
        read_only_fields = fields


class ErrorItemSerializer(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class ErrorDetailSerializer(serializers.Serializer[dict[str, Any]]):
    type = serializers.ChoiceField(
        choices=[
            "invalid_request_error",
            "authentication_error",
            "permission_error",
            "not_found",
            "conflict",
            "rate_limit_error",
            "api_error",
        ]
    )
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `required`.")
    message = serializers.CharField()
    field = serializers.CharField(
        allow_null=True, help_text="The first failing field as a dotted path, or null."
    )
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    """Every error answer of the API has this shape."""

    error = ErrorDetailSerializer()


def related_public_id(field: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.public_id", read_only=True, allow_null=True)
