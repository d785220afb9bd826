"""API: ``payout-runs`` and ``payouts`` (start a run, approve, mark paid)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from partnerhub.tenancy.models import Role
from payouts.models import (
    Payout,
    PayoutRun,
    PayoutStatus,
)
from payouts.serializers import PayoutOutputSerializer, PayoutRunOutputSerializer
from payouts.services import runs


class PayoutRunInputSerializer(serializers.Serializer[Any]):
    program = serializers.CharField(help_text="The program (`prg_…`).")
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", help_text="The period, YYYY-MM (quarterly programs: its first month)."
    )


class MarkPaidInputSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=200, help_text="Bank/PayPal payment reference.")


class ApproveBulkInputSerializer(serializers.Serializer[Any]):
    payouts = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=1000, help_text="`po_…` ids."
    )


class ApproveResultSerializer(serializers.Serializer[Any]):
    approved = PayoutOutputSerializer(many=True)
    held = PayoutOutputSerializer(many=True)


class PayoutFilter(django_filters.FilterSet):
    run = django_filters.CharFilter(field_name="run__public_id")
    partnership = django_filters.CharFilter(field_name="partnership__public_id")
    status = django_filters.ChoiceFilter(choices=PayoutStatus.choices)

    class Meta:
        model = Payout
        fields = ["run", "partnership", "status"]


@extend_schema_view(
    create=extend_schema(
        request=PayoutRunInputSerializer, responses={202: PayoutRunOutputSerializer}
    )
)
class PayoutRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Payout runs, one per program and period. POST starts (or returns) the run and answers
    202; poll it for progress."""

    tenant_model = PayoutRun
    serializer_class = PayoutRunOutputSerializer
    lookup_url_kwarg = "payout_run_id"
    write_role = Role.ADMIN

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("program")

    def create(self, request: Request) -> Response:
        data = PayoutRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, _ = runs.payout_run_start(
            vendor=self.vendor,
            program_id=data.validated_data["program"],
            period=data.validated_data["period"],
            actor=self.actor,
        )
        return Response(PayoutRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PayoutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Payouts: review, approve (admins), mark paid with the payment reference."""

    tenant_model = Payout
    serializer_class = PayoutOutputSerializer
    lookup_url_kwarg = "payout_id"
    filterset_class = PayoutFilter
    write_role = Role.ADMIN

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("run", "program", "partnership")

    @extend_schema(request=None, responses={200: PayoutOutputSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, payout_id: str) -> Response:
        """Approve a draft payout. A held payout stays held (400) until the partner's payout
        details are complete."""
        self.get_object()
        result = runs.payouts_approve(vendor=self.vendor, payout_ids=[payout_id], actor=self.actor)
        if result.held:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": [result.held[0].held_reason]})
        return Response(PayoutOutputSerializer(result.approved[0]).data)

    @extend_schema(
        request=ApproveBulkInputSerializer,
        responses={200: ApproveResultSerializer},
        operation_id="payouts_approve_bulk",
    )
    @action(detail=False, methods=["post"], url_path="approve")
    def approve_bulk(self, request: Request) -> Response:
        """Approve many payouts at once; held ones are listed with their reason."""
        data = ApproveBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = runs.payouts_approve(
            vendor=self.vendor,
            payout_ids=data.validated_data["payouts"],
            actor=self.actor,
        )
        return Response(
            {
                "approved": PayoutOutputSerializer(result.approved, many=True).data,
                "held": PayoutOutputSerializer(result.held, many=True).data,
            }
        )

    @extend_schema(request=MarkPaidInputSerializer, responses={200: PayoutOutputSerializer})
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request: Request, payout_id: str) -> Response:
        """Record that an approved payout was paid outside PartnerHub (bank, PayPal)."""
        self.get_object()
        data = MarkPaidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout = runs.payout_mark_paid(
            vendor=self.vendor,
            payout_id=payout_id,
            reference=data.validated_data["reference"],
            actor=self.actor,
        )
        return Response(PayoutOutputSerializer(payout).data)
