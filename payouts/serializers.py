"""The API representation of the payouts resources: customers, revenue events, commissions,
commission plans, payout runs and payouts. The API renders them and the services build event
payloads from them, so a webhook carries exactly what the API returns."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from partnerhub.api.serializers import related_public_id
from partners.stages import Stage, stage_rank
from payouts.models import (
    AttributionMethod,
    Commission,
    CommissionPlan,
    Customer,
    Payout,
    PayoutRun,
    RevenueEvent,
)


class CustomerOutputSerializer(serializers.ModelSerializer[Customer]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = related_public_id("partnership")
    # Self-referral: the partnership whose link/code was used but not attributed (or null).
    flagged_partnership = related_public_id("flagged_partnership")
    # Both may be empty ("") for a customer not yet attributed or without a known address.
    email = serializers.CharField(read_only=True)
    attribution_method = serializers.ChoiceField(
        choices=[*AttributionMethod.choices, ("", "Not attributed")], read_only=True
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "email",
            "name",
            "partnership",
            "attribution_method",
            "attribution_ref",
            "attributed_at",
            "status",
            "first_paid_at",
            "churned_at",
            "mrr_amount",
            "mrr_currency",
            "signed_up_at",
            "flagged_partnership",
            "flag_reason",
            "created_at",
        ]
        read_only_fields = fields


class RevenueEventOutputSerializer(serializers.ModelSerializer[RevenueEvent]):
    id = serializers.CharField(source="public_id", read_only=True)
    customer = related_public_id("customer")
    partnership = related_public_id("partnership")
    refunds = related_public_id("refunded_event")

    class Meta:
        model = RevenueEvent
        fields = [
            "id",
            "external_id",
            "kind",
            "customer",
            "partnership",
            "amount",
            "currency",
            "occurred_at",
            "period_start",
            "period_end",
            "mrr_amount",
            "refunds",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class CommissionOutputSerializer(serializers.ModelSerializer[Commission]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = related_public_id("partnership")
    plan = related_public_id("plan")
    revenue_event = related_public_id("revenue_event")
    customer = related_public_id("customer")
    reverses = related_public_id("reverses")
    payout = related_public_id("payout")

    class Meta:
        model = Commission
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "rate",
            "base_amount",
            "status",
            "partnership",
            "plan",
            "revenue_event",
            "customer",
            "reverses",
            "payout",
            "occurred_at",
            "available_at",
            "created_at",
        ]
        read_only_fields = fields


class PayoutRunOutputSerializer(serializers.ModelSerializer[PayoutRun]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = related_public_id("program")
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = PayoutRun
        fields = [
            "id",
            "program",
            "period_start",
            "period_end",
            "status",
            "progress_percent",
            "partnerships_total",
            "partnerships_done",
            "payouts_created",
            "carried_forward",
            "started_at",
            "finished_at",
            "created_at",
        ]
        read_only_fields = fields


class PayoutOutputSerializer(serializers.ModelSerializer[Payout]):
    id = serializers.CharField(source="public_id", read_only=True)
    run = related_public_id("run")
    program = related_public_id("program")
    partnership = related_public_id("partnership")

    class Meta:
        model = Payout
        fields = [
            "id",
            "run",
            "program",
            "partnership",
            "amount",
            "currency",
            "commissions_count",
            "status",
            "held_reason",
            "provider",
            "provider_reference",
            "failure_reason",
            "approved_at",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


def rate_field(help_text: str, *, required: bool = True) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=7, decimal_places=6, required=required, help_text=help_text
    )


class TierSerializer(serializers.Serializer[Any]):
    from_stage = serializers.ChoiceField(choices=Stage.choices)
    rate = rate_field("Fraction: 0.2 = 20%.")


class CommissionPlanOutputSerializer(serializers.ModelSerializer[CommissionPlan]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = serializers.CharField(source="program.public_id", read_only=True)
    persona = serializers.CharField(source="persona.public_id", read_only=True, allow_null=True)
    currency = serializers.CharField(source="program.currency", read_only=True)
    tiers = serializers.SerializerMethodField()

    class Meta:
        model = CommissionPlan
        fields = [
            "id",
            "program",
            "persona",
            "name",
            "kind",
            "currency",
            "rate",
            "bounty_amount",
            "duration_months",
            "cap_per_customer_amount",
            "is_active",
            "tiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(TierSerializer(many=True))
    def get_tiers(self, plan: CommissionPlan) -> list[dict[str, Any]]:
        tiers = sorted(plan.tiers.all(), key=lambda t: stage_rank(t.from_stage))
        return [{"from_stage": t.from_stage, "rate": str(t.rate)} for t in tiers]
