"""API: ``POST /api/v1/referrals`` (attach a referral to a signup) and ``leads`` (+ accept /
reject). Thin: parse, resolve in the vendor scope (404), call a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from attribution.serializers import LeadOutputSerializer
from attribution.services import destinations
from attribution.services.leads import lead_accept, lead_reject
from attribution.services.referrals import referral_attach
from partnerhub.api.base import VendorAPIView, VendorViewSet
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.api.partnerships import ApproveInputSerializer, RejectInputSerializer
from partners.models import Lead
from payouts.serializers import CustomerOutputSerializer


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
        result = referral_attach(vendor=self.vendor, actor=self.actor, **data.validated_data)
        body = {
            "outcome": result.outcome,
            "created": result.created,
            "customer": CustomerOutputSerializer(result.customer).data,
        }
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


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
            actor=self.actor,
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
            actor=self.actor,
            **data.validated_data,
        )
        return Response(LeadOutputSerializer(lead).data)


class ReferralDestinationSerializer(serializers.Serializer[Any]):
    website_url = serializers.CharField(max_length=200, help_text="https://acme.example")
    allowed_paths = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=destinations.MAX_ENTRIES,
        help_text="Path prefixes ?to= may name (/pricing, /blog/); empty: any path.",
    )
    allowed_hosts = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=destinations.MAX_ENTRIES,
        help_text="Other hosts of the vendor ?to= may name as a full https URL.",
    )


class ProgramReferralDestinationActions:
    """``/api/v1/programs/{id}/referral-destination``: mixed into the programs viewset by
    ``web.api``, so the program resource keeps one URL tree."""

    vendor: Vendor
    actor: Actor

    if TYPE_CHECKING:  # provided by the viewset it is mixed into

        def get_object(self) -> Any: ...

    @extend_schema(methods=["GET"], request=None, responses={200: ReferralDestinationSerializer})
    @extend_schema(
        methods=["PUT"],
        request=ReferralDestinationSerializer,
        responses={200: ReferralDestinationSerializer},
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["get", "put", "delete"], url_path="referral-destination")
    def referral_destination(self, request: Request, program_id: str) -> Response:
        """Where the program's referral links land: GET it (404 when none is set: links go
        to the public program page), PUT it whole, DELETE it."""
        program = self.get_object()
        if request.method == "PUT":
            data = ReferralDestinationSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            destination = destinations.referral_destination_set(
                vendor=self.vendor,
                program_id=program.public_id,
                actor=self.actor,
                **data.validated_data,
            )
            return Response(ReferralDestinationSerializer(destination).data)
        if request.method == "DELETE":
            destinations.referral_destination_remove(
                vendor=self.vendor, program_id=program.public_id, actor=self.actor
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        current = destinations.referral_destination_get(vendor=self.vendor, program=program)
        if current is None:
            raise NotFound("This program has no referral destination: links go to its page.")
        return Response(ReferralDestinationSerializer(current).data)
