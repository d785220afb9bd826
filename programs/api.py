"""API: programs, personas, join sources. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from partnerhub.api.serializers import PublicIdField
from programs import services
from programs.models import JoinSource, PartnerPersona, Program

_PROGRAM_FIELDS = list(Program.EDITABLE_FIELDS)


class ProgramOutputSerializer(serializers.ModelSerializer[Program]):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Program
        fields = ["id", *_PROGRAM_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class ProgramInputSerializer(serializers.ModelSerializer[Program]):
    class Meta:
        model = Program
        fields = _PROGRAM_FIELDS
        # Uniqueness per vendor is the service's to check (the vendor is not in the input).
        validators: list[Any] = []


class ProgramFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Program.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Program.Kind.choices)

    class Meta:
        model = Program
        fields = ["status", "kind"]


class _CreateUpdateMixin:
    """create / partial_update through a service; the response is the output serializer."""

    input_serializer: type[serializers.Serializer[Any]]
    output_serializer: type[serializers.Serializer[Any]]

    def _create(self, request: Request, **extra: Any) -> Response:
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        obj = self.create_object(**data.validated_data, **extra)  # type: ignore[attr-defined]
        return Response(self.output_serializer(obj).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Request) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]  # 404 before reading the body
        data = self.input_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        obj = self.update_object(instance, **data.validated_data)  # type: ignore[attr-defined]
        return Response(self.output_serializer(obj).data)


@extend_schema_view(
    list=extend_schema(responses=ProgramOutputSerializer),
    retrieve=extend_schema(responses=ProgramOutputSerializer),
)
class ProgramViewSet(
    _CreateUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet
):
    """The vendor's partner programs."""

    tenant_model = Program
    serializer_class = ProgramOutputSerializer
    input_serializer = ProgramInputSerializer
    output_serializer = ProgramOutputSerializer
    lookup_url_kwarg = "program_id"
    filterset_class = ProgramFilter

    def create_object(self, **fields: Any) -> Program:
        return services.program_create(vendor=self.vendor, actor=self.actor, **fields)

    def update_object(self, instance: Program, **fields: Any) -> Program:
        return services.program_update(
            vendor=self.vendor, actor=self.actor, program_id=instance.public_id, **fields
        )

    @extend_schema(request=ProgramInputSerializer, responses={201: ProgramOutputSerializer})
    def create(self, request: Request) -> Response:
        return self._create(request)

    @extend_schema(request=ProgramInputSerializer, responses=ProgramOutputSerializer)
    def partial_update(self, request: Request, program_id: str) -> Response:
        return self._update(request)


_PERSONA_FIELDS = list(PartnerPersona.EDITABLE_FIELDS)


class PersonaOutputSerializer(serializers.ModelSerializer[PartnerPersona]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = PublicIdField()

    class Meta:
        model = PartnerPersona
        fields = ["id", "program", *_PERSONA_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class PersonaInputSerializer(serializers.ModelSerializer[PartnerPersona]):
    program_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = PartnerPersona
        fields = ["program_id", *_PERSONA_FIELDS]


class PersonaFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__public_id")

    class Meta:
        model = PartnerPersona
        fields = ["program"]


@extend_schema_view(
    list=extend_schema(responses=PersonaOutputSerializer),
    retrieve=extend_schema(responses=PersonaOutputSerializer),
)
class PersonaViewSet(
    _CreateUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet
):
    """Partner personas, per program or (``program`` null) for the whole vendor."""

    tenant_model = PartnerPersona
    serializer_class = PersonaOutputSerializer
    input_serializer = PersonaInputSerializer
    output_serializer = PersonaOutputSerializer
    lookup_url_kwarg = "persona_id"
    filterset_class = PersonaFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("program")

    def create_object(self, **fields: Any) -> PartnerPersona:
        return services.persona_create(vendor=self.vendor, actor=self.actor, **fields)

    def update_object(self, instance: PartnerPersona, **fields: Any) -> PartnerPersona:
        if "program_id" not in fields:
            fields["program_id"] = instance.program.public_id if instance.program else None
        return services.persona_update(
            vendor=self.vendor, actor=self.actor, persona_id=instance.public_id, **fields
        )

    @extend_schema(request=PersonaInputSerializer, responses={201: PersonaOutputSerializer})
    def create(self, request: Request) -> Response:
        return self._create(request)

    @extend_schema(request=PersonaInputSerializer, responses=PersonaOutputSerializer)
    def partial_update(self, request: Request, persona_id: str) -> Response:
        return self._update(request)


_SOURCE_FIELDS = ["name", "kind", "code", "utm_source", "referrer_domain", "is_active"]


class JoinSourceOutputSerializer(serializers.ModelSerializer[JoinSource]):
    id = serializers.CharField(source="public_id", read_only=True)
    category = serializers.CharField(read_only=True)

    class Meta:
        model = JoinSource
        fields = ["id", *_SOURCE_FIELDS, "category", "created_at", "updated_at"]
        read_only_fields = fields


class JoinSourceInputSerializer(serializers.ModelSerializer[JoinSource]):
    class Meta:
        model = JoinSource
        fields = _SOURCE_FIELDS
        validators: list[Any] = []


class JoinSourceFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=JoinSource.Kind.choices)

    class Meta:
        model = JoinSource
        fields = ["kind"]


@extend_schema_view(
    list=extend_schema(responses=JoinSourceOutputSerializer),
    retrieve=extend_schema(responses=JoinSourceOutputSerializer),
)
class JoinSourceViewSet(
    _CreateUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet
):
    """Join sources: the channels partners apply through, with their tracking codes."""

    tenant_model = JoinSource
    serializer_class = JoinSourceOutputSerializer
    input_serializer = JoinSourceInputSerializer
    output_serializer = JoinSourceOutputSerializer
    lookup_url_kwarg = "join_source_id"
    filterset_class = JoinSourceFilter

    def create_object(self, **fields: Any) -> JoinSource:
        return services.join_source_create(vendor=self.vendor, actor=self.actor, **fields)

    def update_object(self, instance: JoinSource, **fields: Any) -> JoinSource:
        return services.join_source_update(
            vendor=self.vendor, actor=self.actor, join_source_id=instance.public_id, **fields
        )

    @extend_schema(request=JoinSourceInputSerializer, responses={201: JoinSourceOutputSerializer})
    def create(self, request: Request) -> Response:
        return self._create(request)

    @extend_schema(request=JoinSourceInputSerializer, responses=JoinSourceOutputSerializer)
    def partial_update(self, request: Request, join_source_id: str) -> Response:
        return self._update(request)
