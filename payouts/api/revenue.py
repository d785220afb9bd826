"""API: ``revenue-events`` (single and bulk ingestion, list, retrieve)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import BulkRateLimitMixin, GCPausedPostMixin, VendorViewSet
from partnerhub.api.renderers import FastJSONRenderer
from payouts.models import (
    RevenueBatch,
    RevenueEvent,
)
from payouts.serializers import RevenueEventOutputSerializer
from payouts.services.revenue import IngestReport, revenue_events_accept, revenue_events_ingest

_BULK_EXAMPLE = OpenApiExample(
    "bulk",
    value={
        "items": [
            {
                "external_id": "in_1001",
                "kind": "invoice_paid",
                "customer": "cust_42",
                "amount": 4999,
                "currency": "USD",
                "occurred_at": "2026-10-01T09:00:00Z",
                "period_start": "2026-10-01",
                "period_end": "2026-11-01",
            }
        ]
    },
    request_only=True,
)


class RevenueEventInputSerializer(serializers.Serializer[Any]):
    """One revenue event. Validated per item by the service (so a bulk request reports each
    item); this serializer documents the shape."""

    external_id = serializers.CharField(help_text="Your id of the event; resending is a no-op.")
    kind = serializers.ChoiceField(choices=RevenueEvent.Kind.choices, default="invoice_paid")
    customer = serializers.CharField(help_text="The customer's external id (or `cus_…`).")
    amount = serializers.IntegerField(min_value=1, help_text="Minor units, e.g. 4999 = 49.99.")
    currency = serializers.CharField(min_length=3, max_length=3)
    occurred_at = serializers.DateTimeField()
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    refunds = serializers.CharField(
        required=False, help_text="Refunds/chargebacks: the external id of the invoice event."
    )


class RevenueEventBulkInputSerializer(serializers.Serializer[Any]):
    items = RevenueEventInputSerializer(many=True, help_text="Up to 1,000 events.")


class ItemResultSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["stored", "duplicate", "refused"])
    external_id = serializers.CharField(required=False)
    id = serializers.CharField(required=False, help_text="The stored event (`rev_…`).")
    reason = serializers.CharField(required=False)
    field = serializers.CharField(required=False)


class BulkResultSerializer(serializers.Serializer[Any]):
    stored = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    refused = serializers.IntegerField()
    commissions = serializers.ChoiceField(
        choices=["pending", "none"],
        help_text="`pending`: the stored events' commissions (and their `commission.created` "
        "/ `commission.reversed` webhooks) are computed after this response, within seconds; "
        "`none`: nothing was stored.",
    )
    batch = serializers.CharField(
        allow_null=True, help_text="The batch of the stored events (`rvb_…`), or null."
    )
    results = ItemResultSerializer(many=True)


class RevenueEventFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__public_id")
    kind = django_filters.ChoiceFilter(choices=RevenueEvent.Kind.choices)
    batch = django_filters.CharFilter(
        method="filter_batch", help_text="The events a bulk request stored (`rvb_…`)."
    )

    class Meta:
        model = RevenueEvent
        fields = ["customer", "kind", "batch"]

    def filter_batch(self, queryset: Any, name: str, value: str) -> Any:
        # The batch is looked up in the key's vendor: another vendor's batch lists nothing,
        # exactly like one that does not exist.
        batches = RevenueBatch.objects.for_vendor(self.request.user.vendor)
        event_ids = batches.filter(public_id=value).values_list("event_ids", flat=True).first()
        return queryset.filter(id__in=event_ids or [])


def _bulk_body(report: IngestReport, batch: str) -> dict[str, Any]:
    return {
        "stored": report.count("stored"),
        "duplicate": report.count("duplicate"),
        "refused": report.count("refused"),
        "commissions": "pending" if batch else "none",
        "batch": batch or None,
        "results": [r.as_dict() for r in report.results],
    }


@extend_schema_view(
    create=extend_schema(
        request=RevenueEventInputSerializer,
        responses={201: RevenueEventOutputSerializer, 200: RevenueEventOutputSerializer},
    )
)
class RevenueEventViewSet(
    GCPausedPostMixin,
    BulkRateLimitMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    VendorViewSet,
):
    """Money received from (invoice paid) or returned to (refund, chargeback) customers.
    Unique per external id: sending an event again stores nothing new."""

    tenant_model = RevenueEvent
    serializer_class = RevenueEventOutputSerializer
    lookup_url_kwarg = "revenue_event_id"
    filterset_class = RevenueEventFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("customer", "partnership", "refunded_event")

    def create(self, request: Request) -> Response:
        """One event: 201 when stored, 200 for a duplicate, 400 naming the field otherwise."""
        report = revenue_events_ingest(vendor=self.vendor, items=[request.data], source="api")
        result = report.results[0]
        if result.outcome == "refused":
            from rest_framework.exceptions import ValidationError

            raise ValidationError({result.field: [result.reason]})
        event = self.get_queryset().get(public_id=result.id)
        code = status.HTTP_201_CREATED if result.outcome == "stored" else status.HTTP_200_OK
        return Response(RevenueEventOutputSerializer(event).data, status=code)

    @extend_schema(
        request=RevenueEventBulkInputSerializer,
        responses={200: BulkResultSerializer},
        examples=[_BULK_EXAMPLE],
    )
    # orjson writes the 1,000 per-item results (the body has no floats: see the renderer).
    @action(detail=False, methods=["post"], renderer_classes=[FastJSONRenderer])
    def bulk(self, request: Request) -> Response:
        """Up to 1,000 events; each item is stored, a duplicate, or refused with its reason
        (the valid items are kept). The stored events' commissions are computed right after
        the response (``"commissions": "pending"``), within seconds."""
        items = request.data.get("items") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"items": ['Send {"items": [...]} with up to 1,000 events.']})
        report, batch = revenue_events_accept(vendor=self.vendor, items=items, source="api")
        return Response(_bulk_body(report, batch))
