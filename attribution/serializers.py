"""The API representation of leads: rendered by the API and carried by the lead events."""

from __future__ import annotations

from rest_framework import serializers

from partners.models import Lead


class LeadOutputSerializer(serializers.ModelSerializer[Lead]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = serializers.CharField(source="partnership.public_id", read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "partnership",
            "company",
            "contact_name",
            "contact_email",
            "value_amount",
            "currency",
            "notes",
            "status",
            "decision_reason",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields
