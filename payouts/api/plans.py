"""API of commission plans: ``/api/v1/commission-plans`` (list, retrieve, create, partial
update, ``/{id}/deactivate``, ``/{id}/reactivate``), tiers nested. Admins write (plans are
money); managers and viewers read. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from partnerhub.tenancy.models import Role
from payouts.models import CommissionPlan, CommissionPlanTier
from payouts.selectors.ledger import commission_plan_list
from payouts.serializers import CommissionPlanOutputSerializer, TierSerializer, rate_field
from payouts.services import plans


class CommissionPlanInputSerializer(serializers.Serializer[Any]):
    program = serializers.CharField(help_text="The program (`prg_…`); fixed once created.")
    persona = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Only this persona."
    )
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CommissionPlan.Kind.choices)
    rate = rate_field("Percent plans: fraction of revenue, 0.15 = 15%.", required=False)
    bounty_amount = serializers.IntegerField(
        required=False, allow_null=True, help_text="Bounty plans: minor units of the currency."
    )
    duration_months = serializers.IntegerField(
        required=False, allow_null=True, help_text="Percent plans: months; null = lifetime."
    )
    cap_per_customer_amount = serializers.IntegerField(required=False, allow_null=True)
    tiers = TierSerializer(many=True, required=False, help_text="Replaces every tier.")

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "program" in data:
            data["program_id"] = data.pop("program")
        if "persona" in data:
            data["persona_id"] = data.pop("persona") or None
        return data


class DeactivateInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CommissionPlanFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__public_id", help_text="`prg_…`")
    kind = django_filters.ChoiceFilter(choices=CommissionPlan.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = CommissionPlan
        fields = ["program", "kind", "is_active"]


@extend_schema_view(
    list=extend_schema(responses=CommissionPlanOutputSerializer),
    retrieve=extend_schema(responses=CommissionPlanOutputSerializer),
)
class CommissionPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Commission plans of the vendor's programs. A change applies to revenue events whose
    commissions are computed after it; commissions already computed keep their rate."""

    tenant_model = CommissionPlan
    serializer_class = CommissionPlanOutputSerializer
    lookup_url_kwarg = "commission_plan_id"
    filterset_class = CommissionPlanFilter
    write_role = Role.ADMIN

    def scope_queryset(self, queryset: Any) -> Any:
        tiers = CommissionPlanTier.objects.for_vendor(self.vendor)
        return queryset.select_related("program", "persona").prefetch_related(
            Prefetch("tiers", queryset=tiers)
        )

    def _render(self, plan: CommissionPlan, code: int = status.HTTP_200_OK) -> Response:
        fresh = commission_plan_list(vendor=self.vendor).get(pk=plan.pk)
        return Response(CommissionPlanOutputSerializer(fresh).data, status=code)

    @extend_schema(
        request=CommissionPlanInputSerializer, responses={201: CommissionPlanOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = CommissionPlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plans.commission_plan_create(
            vendor=self.vendor, actor=self.actor, **data.service_fields()
        )
        return self._render(plan, status.HTTP_201_CREATED)

    @extend_schema(request=CommissionPlanInputSerializer, responses=CommissionPlanOutputSerializer)
    def partial_update(self, request: Request, commission_plan_id: str) -> Response:
        plan = self.get_object()  # 404 before reading the body
        data = CommissionPlanInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        plan = plans.commission_plan_update(
            vendor=self.vendor,
            plan_id=plan.public_id,
            actor=self.actor,
            **data.service_fields(),
        )
        return self._render(plan)

    @extend_schema(request=DeactivateInputSerializer, responses=CommissionPlanOutputSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, commission_plan_id: str) -> Response:
        """Stop the plan paying for revenue computed from now on (its commissions stay)."""
        return self._switch(request, plans.commission_plan_deactivate)

    @extend_schema(request=DeactivateInputSerializer, responses=CommissionPlanOutputSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, commission_plan_id: str) -> Response:
        """Switch a deactivated plan back on for revenue computed from now on. While another
        active plan of its kind pays the same program and persona, 400 on `kind`."""
        return self._switch(request, plans.commission_plan_reactivate)

    def _switch(self, request: Request, service: Callable[..., CommissionPlan]) -> Response:
        plan = self.get_object()  # 404 before reading the body
        data = DeactivateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = service(
            vendor=self.vendor,
            plan_id=plan.public_id,
            reason=data.validated_data.get("reason", ""),
            actor=self.actor,
        )
        return self._render(plan)
