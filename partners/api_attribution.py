"""API: ``POST /api/v1/referrals`` (attach a referral to a signup) and ``leads`` (+ accept /
reject). Thin: parse, resolve in the vendor scope (404), call a service."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorAPIView, VendorViewSet
from partners.api import ApproveInputSerializer, RejectInputSerializer
from partners.attribution import referral_attach
from partners.leads import lead_accept, lead_reject
from partners.models import Lead
from payouts.api import CustomerOutputSerializer


def _label(request: Request) -> str:
    return f"api key {request.user}"


class ReferralInputSerializer(serializers.Serializer[Any]):
    external_id = serializers.CharField(max_length=200, help_text="Your id of the customer.")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    referral_code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    click_id = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="ph_click"
    )
    lead_id = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="An accepted deal."
    )


class ReferralOutputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(
        choices=["attributed", "kept", "expired", "self_referral", "unknown"],
        help_text="attributed; kept (first-click: already attributed elsewhere); expired "
        "(click older than the attribution window); self_referral (flagged, not attributed); "
        "unknown (partnership not approved)",
    )
    created = serializers.BooleanField()
    customer = CustomerOutputSerializer()


class ReferralApi(VendorAPIView):
    """Attach a referral (code, click id or accepted deal) to a customer's signup."""

    @extend_schema(
        request=ReferralInputSerializer,
        responses={201: ReferralOutputSerializer, 200: ReferralOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ReferralInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = referral_attach(
            vendor=self.vendor, actor_label=_label(request), **data.validated_data
        )
        body = {
            "outcome": result.outcome,
            "created": result.created,
            "customer": CustomerOutputSerializer(result.customer).data,
        }
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


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


class LeadFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(field_name="partnership__public_id")
    program = django_filters.CharFilter(field_name="partnership__program__public_id")
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)

    class Meta:
        model = Lead
        fields = ["partnership", "program", "status"]


@extend_schema_view(
    list=extend_schema(responses=LeadOutputSerializer),
    retrieve=extend_schema(responses=LeadOutputSerializer),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Leads and deals registered by partners; managers accept or reject them."""

    tenant_model = Lead
    serializer_class = LeadOutputSerializer
    lookup_url_kwarg = "lead_id"
    filterset_class = LeadFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("partnership")

    @extend_schema(request=ApproveInputSerializer, responses=LeadOutputSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, lead_id: str) -> Response:
        lead = self.get_object()
        data = ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_accept(
            vendor=self.vendor,
            lead_id=lead.public_id,
            actor_label=_label(request),
            **data.validated_data,
        )
        return Response(LeadOutputSerializer(lead).data)

    @extend_schema(request=RejectInputSerializer, responses=LeadOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, lead_id: str) -> Response:
        lead = self.get_object()
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_reject(
            vendor=self.vendor,
            lead_id=lead.public_id,
            actor_label=_label(request),
            **data.validated_data,
        )
        return Response(LeadOutputSerializer(lead).data)
