"""API of payouts: ``customers``, ``revenue-events`` (single and bulk), ``commissions``,
``payout-runs`` and ``payouts`` (+ ``approve``, ``mark-paid``). Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import BulkRateLimitMixin, GCPausedPostMixin, VendorViewSet
from partnerhub.api.lean import ValuesListMixin
from partnerhub.api.renderers import FastJSONRenderer
from partnerhub.tenancy.models import Role
from payouts import runs, services
from payouts.models import (
    AttributionMethod,
    Commission,
    CommissionStatus,
    Customer,
    Payout,
    PayoutRun,
    PayoutStatus,
    RevenueBatch,
    RevenueEvent,
)

# --- serializers ----------------------------------------------------------------------------


def _pid(field: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.public_id", read_only=True, allow_null=True)


class CustomerOutputSerializer(serializers.ModelSerializer[Customer]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = _pid("partnership")
    # Self-referral: the partnership whose link/code was used but not attributed (or null).
    flagged_partnership = _pid("flagged_partnership")
    # Both may be empty ("") for a customer not yet attributed or without a known address.
    email = serializers.CharField(read_only=True)
    attribution_method = serializers.ChoiceField(
        choices=[*AttributionMethod.choices, ("", "Not attributed")], read_only=True
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "email",
            "name",
            "partnership",
            "attribution_method",
            "attribution_ref",
            "attributed_at",
            "status",
            "first_paid_at",
            "churned_at",
            "mrr_amount",
            "mrr_currency",
            "signed_up_at",
            "flagged_partnership",
            "flag_reason",
            "created_at",
        ]
        read_only_fields = fields


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


class RevenueEventOutputSerializer(serializers.ModelSerializer[RevenueEvent]):
    id = serializers.CharField(source="public_id", read_only=True)
    customer = _pid("customer")
    partnership = _pid("partnership")
    refunds = _pid("refunded_event")

    class Meta:
        model = RevenueEvent
        fields = [
            "id",
            "external_id",
            "kind",
            "customer",
            "partnership",
            "amount",
            "currency",
            "occurred_at",
            "period_start",
            "period_end",
            "mrr_amount",
            "refunds",
            "source",
            "created_at",
        ]
        read_only_fields = fields


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


class CommissionOutputSerializer(serializers.ModelSerializer[Commission]):
    id = serializers.CharField(source="public_id", read_only=True)
    partnership = _pid("partnership")
    plan = _pid("plan")
    revenue_event = _pid("revenue_event")
    customer = _pid("customer")
    reverses = _pid("reverses")
    payout = _pid("payout")

    class Meta:
        model = Commission
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "rate",
            "base_amount",
            "status",
            "partnership",
            "plan",
            "revenue_event",
            "customer",
            "reverses",
            "payout",
            "occurred_at",
            "available_at",
            "created_at",
        ]
        read_only_fields = fields


class PayoutRunOutputSerializer(serializers.ModelSerializer[PayoutRun]):
    id = serializers.CharField(source="public_id", read_only=True)
    program = _pid("program")
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = PayoutRun
        fields = [
            "id",
            "program",
            "period_start",
            "period_end",
            "status",
            "progress_percent",
            "partnerships_total",
            "partnerships_done",
            "payouts_created",
            "carried_forward",
            "started_at",
            "finished_at",
            "created_at",
        ]
        read_only_fields = fields


class PayoutRunInputSerializer(serializers.Serializer[Any]):
    program = serializers.CharField(help_text="The program (`prg_…`).")
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", help_text="The period, YYYY-MM (quarterly programs: its first month)."
    )


class PayoutOutputSerializer(serializers.ModelSerializer[Payout]):
    id = serializers.CharField(source="public_id", read_only=True)
    run = _pid("run")
    program = _pid("program")
    partnership = _pid("partnership")

    class Meta:
        model = Payout
        fields = [
            "id",
            "run",
            "program",
            "partnership",
            "amount",
            "currency",
            "commissions_count",
            "status",
            "held_reason",
            "provider",
            "provider_reference",
            "failure_reason",
            "approved_at",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


class MarkPaidInputSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=200, help_text="Bank/PayPal payment reference.")


class ApproveBulkInputSerializer(serializers.Serializer[Any]):
    payouts = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=1000, help_text="`po_…` ids."
    )


class ApproveResultSerializer(serializers.Serializer[Any]):
    approved = PayoutOutputSerializer(many=True)
    held = PayoutOutputSerializer(many=True)


# --- filters --------------------------------------------------------------------------------


class CustomerFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(field_name="partnership__public_id")
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    external_id = django_filters.CharFilter()

    class Meta:
        model = Customer
        fields = ["partnership", "status", "external_id"]


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


class CommissionFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(
        field_name="partnership__public_id", help_text="A partnership (`ptn_…`)."
    )
    status = django_filters.ChoiceFilter(choices=CommissionStatus.choices)
    currency = django_filters.CharFilter()
    period = django_filters.CharFilter(
        method="filter_period", help_text="Month the revenue occurred in, YYYY-MM."
    )
    payout = django_filters.CharFilter(field_name="payout__public_id")

    class Meta:
        model = Commission
        fields = ["partnership", "status", "currency", "period", "payout"]

    def filter_period(self, queryset: Any, name: str, value: str) -> Any:
        start, end = runs.period_bounds(value)
        return queryset.filter(occurred_at__date__gte=start, occurred_at__date__lt=end)


class PayoutFilter(django_filters.FilterSet):
    run = django_filters.CharFilter(field_name="run__public_id")
    partnership = django_filters.CharFilter(field_name="partnership__public_id")
    status = django_filters.ChoiceFilter(choices=PayoutStatus.choices)

    class Meta:
        model = Payout
        fields = ["run", "partnership", "status"]


# --- views ----------------------------------------------------------------------------------


def _label(request: Request) -> str:
    return f"api key {request.user}"


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
        customer, created = services.customer_create(
            vendor=self.vendor,
            partnership_id=values.pop("partnership"),
            actor_label=_label(request),
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
        customer, _ = services.customer_churn(
            vendor=self.vendor,
            customer_id=customer_id,
            at=data.validated_data["at"],
            actor_label=_label(request),
        )
        return Response(CustomerOutputSerializer(customer).data)


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


def _bulk_body(report: services.IngestReport, batch: str) -> dict[str, Any]:
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
        report = services.revenue_events_ingest(
            vendor=self.vendor, items=[request.data], source="api"
        )
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
        report, batch = services.revenue_events_accept(
            vendor=self.vendor, items=items, source="api"
        )
        return Response(_bulk_body(report, batch))


class CommissionViewSet(
    ValuesListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet
):
    """The commission ledger (append-only; clawbacks are negative and point at what they
    reverse)."""

    tenant_model = Commission
    serializer_class = CommissionOutputSerializer
    lookup_url_kwarg = "commission_id"
    filterset_class = CommissionFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related(
            "partnership", "plan", "revenue_event", "customer", "reverses", "payout"
        )


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
            actor_label=_label(request),
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
        result = runs.payouts_approve(
            vendor=self.vendor, payout_ids=[payout_id], actor_label=_label(request)
        )
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
            actor_label=_label(request),
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
            actor_label=_label(request),
        )
        return Response(PayoutOutputSerializer(payout).data)
