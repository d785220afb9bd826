"""The API representation of partners, partnerships and applications. Used by the API and by
the services for event payloads, so that a webhook carries exactly what the API returns."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from partnerhub.api.serializers import PublicIdField, api_representation
from partners.models import Application, Partner, Partnership, PartnershipNote


class PartnerOutputSerializer(serializers.ModelSerializer[Partner]):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "kind", "name", "email", "company_name", "website", "country"]
        read_only_fields = fields


class TrackingOutputSerializer(serializers.Serializer[Any]):
    utm_source = serializers.CharField()
    utm_medium = serializers.CharField()
    utm_campaign = serializers.CharField()
    utm_term = serializers.CharField()
    utm_content = serializers.CharField()
    referrer = serializers.CharField()


class PartnershipOutputSerializer(serializers.ModelSerializer[Partnership]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = PublicIdField()
    partner = PartnerOutputSerializer(read_only=True)
    persona = PublicIdField()
    join_source = PublicIdField()
    recruited_by = PublicIdField()
    tracking = serializers.SerializerMethodField()
    # For .values()-rendered lists (partnerhub/api/lean.py): tracking is this over the row.
    values_method_fields: ClassVar[dict[str, type[serializers.Serializer[Any]]]] = {
        "tracking": TrackingOutputSerializer
    }

    class Meta:
        model = Partnership
        fields = [
            "id",
            "program",
            "partner",
            "persona",
            "join_source",
            "recruited_by",
            "referral_code",
            "status",
            "stage",
            "stage_entered_at",
            "approved_at",
            "invited_at",
            "tracking",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tracking(self, obj: Partnership) -> dict[str, str]:
        return dict(TrackingOutputSerializer(obj).data)


class ApplicationOutputSerializer(serializers.ModelSerializer[Application]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = PublicIdField()
    partnership = PublicIdField()
    partner = PartnerOutputSerializer(read_only=True)
    join_source = PublicIdField()
    suggested_persona = PublicIdField()
    recruited_by = PublicIdField()
    tracking = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "program",
            "partnership",
            "partner",
            "answers",
            "join_source",
            "suggested_persona",
            "recruited_by",
            "source_code",
            "referral_code_used",
            "tracking",
            "status",
            "decision_reason",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_tracking(self, obj: Application) -> dict[str, str]:
        return dict(TrackingOutputSerializer(obj).data)

    def get_decided_by(self, obj: Application) -> str | None:
        return obj.decided_by.email if obj.decided_by else None


class NoteOutputSerializer(serializers.ModelSerializer[PartnershipNote]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = serializers.CharField(source="partnership.public_id", read_only=True)
    author = serializers.CharField(source="author_label", read_only=True)

    class Meta:
        model = PartnershipNote
        fields = ["id", "partnership", "author", "body", "created_at"]
        read_only_fields = fields


def partnership_data(partnership: Partnership) -> dict[str, Any]:
    return api_representation(PartnershipOutputSerializer, partnership)


def application_data(application: Application) -> dict[str, Any]:
    return api_representation(ApplicationOutputSerializer, application)


def note_data(note: PartnershipNote) -> dict[str, Any]:
    return api_representation(NoteOutputSerializer, note)
