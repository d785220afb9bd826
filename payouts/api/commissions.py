"""API: ``commissions`` (list, retrieve; read-only, the ledger is append-only)."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins

from partnerhub.api.base import VendorViewSet
from partnerhub.api.lean import ValuesListMixin
from payouts.models import (
    Commission,
    CommissionStatus,
)
from payouts.serializers import CommissionOutputSerializer
from payouts.services import runs


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
