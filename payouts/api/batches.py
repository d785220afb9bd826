"""API of bulk ingestion batches: ``/api/v1/revenue-batches`` (list, retrieve).

``POST /api/v1/revenue-events/bulk`` answers with the events stored and ``"commissions":
"pending"`` plus the batch id (``rvb_…``); a worker computes the commissions within seconds.
This is where an integrator reads whether that has happened (``status``: ``pending`` →
``settled``, with ``settled_at``) and, for a settled batch, what the commissions came to per
currency. The batch's events are listed by ``GET /api/v1/revenue-events?batch=rvb_…``.
Read-only: batches are written by ingestion only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import django_filters
from django.db.models import F, Func, IntegerField
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from payouts.models import RevenueBatch
from payouts.selectors.ledger import revenue_batch_commission_totals


class RevenueBatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=RevenueBatch.Status.choices, help_text="pending or settled."
    )

    class Meta:
        model = RevenueBatch
        fields = ["status"]


class RevenueBatchOutputSerializer(serializers.ModelSerializer[RevenueBatch]):
    id = serializers.CharField(source="public_id", read_only=True)
    events = serializers.IntegerField(
        source="events_count", read_only=True, help_text="How many events the batch stored."
    )

    class Meta:
        model = RevenueBatch
        fields = ["id", "status", "source", "events", "created_at", "settled_at"]
        read_only_fields = fields


class BatchCommissionTotalSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units; clawbacks are negative.")
    count = serializers.IntegerField()


class RevenueBatchDetailSerializer(RevenueBatchOutputSerializer):
    commissions = serializers.SerializerMethodField(
        help_text="The commissions of the batch's events per currency; empty while pending."
    )

    class Meta(RevenueBatchOutputSerializer.Meta):
        fields = [*RevenueBatchOutputSerializer.Meta.fields, "commissions"]
        read_only_fields = fields

    @extend_schema_field(BatchCommissionTotalSerializer(many=True))
    def get_commissions(self, batch: RevenueBatch) -> list[dict[str, Any]]:
        return [asdict(total) for total in self.context["totals"]]


class RevenueBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Bulk ingestion batches and whether their commissions are computed yet."""

    tenant_model = RevenueBatch
    serializer_class = RevenueBatchOutputSerializer
    lookup_url_kwarg = "revenue_batch_id"
    filterset_class = RevenueBatchFilter

    def scope_queryset(self, queryset: Any) -> Any:
        # The count comes from the array's length in SQL; a list page does not ship up to
        # 1,000 event ids per batch to Python.
        events = Func(F("event_ids"), function="cardinality", output_field=IntegerField())
        queryset = queryset.annotate(events_count=events)
        return queryset if self.action == "retrieve" else queryset.defer("event_ids")

    @extend_schema(responses={200: RevenueBatchDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        batch = self.get_object()
        totals = (
            revenue_batch_commission_totals(vendor=self.vendor, batch=batch)
            if batch.status == RevenueBatch.Status.SETTLED
            else []
        )
        return Response(RevenueBatchDetailSerializer(batch, context={"totals": totals}).data)
