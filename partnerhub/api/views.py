from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorAPIView, VendorViewSet
from partnerhub.api.serializers import (
    MemberOutputSerializer,
    VendorOutputSerializer,
    VendorUpdateInputSerializer,
)
from partnerhub.tenancy.models import Membership, Role
from partnerhub.tenancy.services import vendor_update


class VendorApi(VendorAPIView):
    """The vendor that owns the API key."""

    write_role = Role.ADMIN

    @extend_schema(responses=VendorOutputSerializer, operation_id="vendor_retrieve")
    def get(self, request: Request) -> Response:
        return Response(VendorOutputSerializer(self.vendor).data)

    @extend_schema(
        request=VendorUpdateInputSerializer,
        responses=VendorOutputSerializer,
        operation_id="vendor_update",
    )
    def patch(self, request: Request) -> Response:
        data = VendorUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vendor = vendor_update(vendor=self.vendor, actor=self.actor, **data.validated_data)
        return Response(VendorOutputSerializer(vendor).data)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Members of the vendor (people with dashboard access) and their roles."""

    tenant_model = Membership
    serializer_class = MemberOutputSerializer
    lookup_url_kwarg = "member_id"

    filterset_fields = ["role"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("user")
