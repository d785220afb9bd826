"""The journey's API: a manager's stage move, a partnership's stage history, the funnel.

Routes are added in ``partnerhub/api/urls.py`` next to the partnerships resource:
``POST partnerships/{id}/transition``, ``GET partnerships/{id}/transitions`` and
``GET analytics/funnel``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from journey.models import StageTransition
from journey.selectors import GROUPINGS, funnel
from journey.services.moves import StageMoveNotAllowed, partnership_stage_move
from partnerhub.api.base import VendorAPIView, VendorGenericAPIView
from partnerhub.api.exceptions import error_body
from partnerhub.api.pagination import CursorPagination
from partnerhub.core.access import vendor_object_get
from partners.models import Partnership
from partners.stages import Stage


class ActorSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=StageTransition.ActorType.choices)
    id = serializers.CharField(allow_null=True, help_text="User or API key id, or the rule")


class TransitionOutputSerializer(serializers.ModelSerializer[StageTransition]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = serializers.CharField(source="partnership.public_id", read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = StageTransition
        fields = [
            "id", "partnership", "from_stage", "to_stage", "at", "actor", "rule", "reason",
            "metrics",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ActorSerializer)
    def get_actor(self, obj: StageTransition) -> dict[str, Any]:
        if obj.actor_type == StageTransition.ActorType.RULE:
            return {"type": "rule", "id": obj.rule}
        if obj.actor_type == StageTransition.ActorType.API_KEY:
            key = obj.actor_api_key
            return {"type": "api_key", "id": key.public_id if key else None}
        user = obj.actor_user
        return {"type": "user", "id": user.public_id if user else None}


class TransitionInputSerializer(serializers.Serializer[Any]):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(max_length=2000, help_text="Why the partnership moves.")


class TransitionConflictSerializer(serializers.Serializer[Any]):
    error = serializers.DictField(
        help_text='The error shape, plus "allowed_moves": the stages it may move to.'
    )


class PartnershipTransitionApi(VendorGenericAPIView):
    """A manager (API key with the manager role or above) moves a partnership to another
    stage, with a reason. 409 with the allowed moves when the stage machine refuses."""

    tenant_model = Partnership
    lookup_url_kwarg = "partnership_id"
    serializer_class = TransitionInputSerializer

    @extend_schema(
        operation_id="partnership_transition",
        request=TransitionInputSerializer,
        responses={201: TransitionOutputSerializer, 409: TransitionConflictSerializer},
    )
    def post(self, request: Request, partnership_id: str) -> Response:
        partnership = self.get_object()  # 404 before reading the body
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            transition = partnership_stage_move(
                vendor=self.vendor,
                partnership_id=partnership.public_id,
                to_stage=data.validated_data["to_stage"],
                reason=data.validated_data["reason"],
                actor=self.actor,
            )
        except StageMoveNotAllowed as refused:
            body = error_body(409, "stage_move_not_allowed", str(refused), "to_stage")
            body["error"]["allowed_moves"] = refused.allowed
            return Response(body, status=409)
        return Response(TransitionOutputSerializer(transition).data, status=201)


class TransitionFilter(django_filters.FilterSet):
    to_stage = django_filters.ChoiceFilter(choices=Stage.choices)
    from_stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = StageTransition
        fields = ["to_stage", "from_stage"]


class TransitionPagination(CursorPagination):
    ordering = ("-at", "-id")


class PartnershipTransitionsApi(VendorGenericAPIView):
    """A partnership's stage history, newest first (filter by ``to_stage``/``from_stage``)."""

    tenant_model = StageTransition
    serializer_class = TransitionOutputSerializer
    filterset_class = TransitionFilter
    pagination_class = TransitionPagination

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(partnership__public_id=self.kwargs["partnership_id"]).select_related(
            "partnership", "actor_user", "actor_api_key"
        )

    @extend_schema(
        operation_id="partnership_transitions_list",
        responses=TransitionOutputSerializer(many=True),
    )
    def get(self, request: Request, partnership_id: str) -> Response:
        vendor_object_get(Partnership, vendor=self.vendor, public_id=partnership_id)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FunnelQuerySerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(choices=GROUPINGS, default="all")
    program = serializers.CharField(required=False, help_text="A program id")
    persona = serializers.CharField(required=False, help_text="A persona id")
    join_source = serializers.CharField(required=False, help_text="A join source id")
    joined_from = serializers.DateField(required=False)
    joined_to = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("joined_from"), attrs.get("joined_to")
        if start and end and start > end:
            raise serializers.ValidationError({"joined_to": "Must not be before joined_from."})
        return attrs


class StatsSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)


class WithinTargetSerializer(serializers.Serializer[Any]):
    eligible = serializers.IntegerField()
    activated = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class FunnelGroupSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="all, an object id, 'none', or a month YYYY-MM")
    name = serializers.CharField()
    partnerships = serializers.IntegerField()
    stages = serializers.DictField(child=serializers.IntegerField())
    reached = serializers.DictField(child=serializers.IntegerField())
    conversion = serializers.DictField(child=serializers.FloatField(allow_null=True))
    days_between = serializers.DictField(child=StatsSerializer())
    approval_to_activation_days = StatsSerializer()
    activated_within_target = WithinTargetSerializer()


class FunnelOutputSerializer(serializers.Serializer[Any]):
    group_by = serializers.CharField()
    groups = FunnelGroupSerializer(many=True)


class FunnelApi(VendorAPIView):
    """Funnel analytics: partnerships per stage now, conversion to the next stage, days
    between stages, and the share activated within the activation target, per group."""

    @extend_schema(
        operation_id="analytics_funnel",
        parameters=[FunnelQuerySerializer],
        responses=FunnelOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        query = FunnelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        groups = funnel(
            vendor=self.vendor,
            group_by=params["group_by"],
            program_id=params.get("program"),
            persona_id=params.get("persona"),
            join_source_id=params.get("join_source"),
            joined_from=params.get("joined_from"),
            joined_to=params.get("joined_to"),
        )
        return Response({"group_by": params["group_by"], "groups": groups})
