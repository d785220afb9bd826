"""API: ``customers`` (list, retrieve, create, churn)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from payouts.models import (
    AttributionMethod,
    Customer,
)
from payouts.serializers import CustomerOutputSerializer
from payouts.services.customers import customer_churn, customer_create

# --- serializers ----------------------------------------------------------------------------


class CustomerChurnInputSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the subscription ended (ISO 8601); now when omitted.",
    )


class CustomerInputSerializer(serializers.Serializer[Any]):
    external_id = serializers.CharField(max_length=200, help_text="Your id of the customer.")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    partnership = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Attribute to `ptn_…`."
    )
    attribution_method = serializers.ChoiceField(
        choices=AttributionMethod.choices, required=False, default=AttributionMethod.API
    )
    attribution_ref = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    signed_up_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


# --- filters --------------------------------------------------------------------------------


class CustomerFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(field_name="partnership__public_id")
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    external_id = django_filters.CharFilter()

    class Meta:
        model = Customer
        fields = ["partnership", "status", "external_id"]


# --- views ----------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=CustomerInputSerializer,
        responses={201: CustomerOutputSerializer, 200: CustomerOutputSerializer},
    )
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """The vendor's customers and the partnership each is attributed to."""

    tenant_model = Customer
    serializer_class = CustomerOutputSerializer
    lookup_url_kwarg = "customer_id"
    filterset_class = CustomerFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("partnership", "flagged_partnership")

    def create(self, request: Request) -> Response:
        """Create a customer (or return the existing one with the same external id: 200)."""
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        customer, created = customer_create(
            vendor=self.vendor,
            partnership_id=values.pop("partnership"),
            actor=self.actor,
            **values,
        )
        return Response(
            CustomerOutputSerializer(customer).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=CustomerChurnInputSerializer, responses={200: CustomerOutputSerializer})
    @action(detail=True, methods=["post"])
    def churn(self, request: Request, customer_id: str) -> Response:
        """The customer stopped paying: it leaves its partnership's paying customers and
        attributed MRR (its commissions so far stay). Churning it again changes nothing; an
        invoice paid after ``at`` makes it paying again. 400 for a customer that never paid."""
        self.get_object()
        data = CustomerChurnInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer, _ = customer_churn(
            vendor=self.vendor,
            customer_id=customer_id,
            at=data.validated_data["at"],
            actor=self.actor,
        )
        return Response(CustomerOutputSerializer(customer).data)
