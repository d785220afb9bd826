"""API: partnerships (list with filters, create = invite, corrections) and applications
(+ approve / reject). Thin: resolve in the vendor scope (404), parse, call a service."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from partnerhub.api.lean import ValuesListMixin
from partners.models import Application, Partnership
from partners.serializers import ApplicationOutputSerializer, PartnershipOutputSerializer
from partners.services.applications import application_approve, application_reject
from partners.services.partnerships import partnership_invite, partnership_update
from partners.stages import Stage


class PartnershipFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__public_id")
    persona = django_filters.CharFilter(field_name="persona__public_id")
    join_source = django_filters.CharFilter(field_name="join_source__public_id")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    status = django_filters.ChoiceFilter(choices=Partnership.Status.choices)

    class Meta:
        model = Partnership
        fields = ["program", "persona", "join_source", "stage", "status"]


class PartnershipInviteInputSerializer(serializers.Serializer[Any]):
    program_id = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    persona_id = serializers.CharField(required=False, allow_null=True)
    join_source_id = serializers.CharField(required=False, allow_null=True)
    send_email = serializers.BooleanField(required=False, default=True)


class PartnershipUpdateInputSerializer(serializers.Serializer[Any]):
    persona_id = serializers.CharField(required=False, allow_null=True)
    join_source_id = serializers.CharField(required=False, allow_null=True)
    recruited_by_id = serializers.CharField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Partnership.Status.choices, required=False)


@extend_schema_view(
    list=extend_schema(responses=PartnershipOutputSerializer),
    retrieve=extend_schema(responses=PartnershipOutputSerializer),
)
class PartnershipViewSet(
    ValuesListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    VendorViewSet,
):
    """Partners in the vendor's programs. Creating one invites the partner by e-mail."""

    tenant_model = Partnership
    serializer_class = PartnershipOutputSerializer
    lookup_url_kwarg = "partnership_id"
    filterset_class = PartnershipFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related(
            "program", "partner", "persona", "join_source", "recruited_by"
        )

    @extend_schema(
        request=PartnershipInviteInputSerializer, responses={201: PartnershipOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = PartnershipInviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partnership = partnership_invite(
            vendor=self.vendor,
            actor=self.actor,
            portal_url=request.build_absolute_uri("/portal/"),
            **data.validated_data,
        )
        return Response(
            PartnershipOutputSerializer(partnership).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=PartnershipUpdateInputSerializer, responses=PartnershipOutputSerializer)
    def partial_update(self, request: Request, partnership_id: str) -> Response:
        partnership = self.get_object()
        data = PartnershipUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        partnership = partnership_update(
            vendor=self.vendor,
            partnership_id=partnership.public_id,
            actor=self.actor,
            **data.validated_data,
        )
        return Response(PartnershipOutputSerializer(partnership).data)


class ApplicationFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__public_id")
    join_source = django_filters.CharFilter(field_name="join_source__public_id")
    status = django_filters.ChoiceFilter(choices=Application.Status.choices)

    class Meta:
        model = Application
        fields = ["program", "join_source", "status"]


class ApproveInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RejectInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=False)


@extend_schema_view(
    list=extend_schema(responses=ApplicationOutputSerializer),
    retrieve=extend_schema(responses=ApplicationOutputSerializer),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Submitted applications, with the join source and UTM they came through."""

    tenant_model = Application
    serializer_class = ApplicationOutputSerializer
    lookup_url_kwarg = "application_id"
    filterset_class = ApplicationFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related(
            "program",
            "partner",
            "partnership",
            "join_source",
            "suggested_persona",
            "recruited_by",
            "decided_by",
        )

    @extend_schema(request=ApproveInputSerializer, responses=ApplicationOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, application_id: str) -> Response:
        application = self.get_object()
        data = ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = application_approve(
            vendor=self.vendor,
            application_id=application.public_id,
            actor=self.actor,
            **data.validated_data,
        )
        return Response(ApplicationOutputSerializer(application).data)

    @extend_schema(request=RejectInputSerializer, responses=ApplicationOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, application_id: str) -> Response:
        application = self.get_object()
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = application_reject(
            vendor=self.vendor,
            application_id=application.public_id,
            actor=self.actor,
            **data.validated_data,
        )
        return Response(ApplicationOutputSerializer(application).data)
