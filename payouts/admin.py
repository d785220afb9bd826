"""Platform-staff admin. Commission plans are edited here for now (no dashboard page yet);
the ledger, events and payouts are read-only: the database refuses amount changes anyway."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partnerhub.tenancy.admin import UnscopedAdmin
from payouts.models import (
    BillingIntegration,
    Commission,
    CommissionPlan,
    CommissionPlanTier,
    Customer,
    PartnerPayoutDetails,
    Payout,
    PayoutRun,
    RevenueEvent,
)


class CommissionPlanTierInline(admin.TabularInline):
    model = CommissionPlanTier
    extra = 0
    exclude = ["public_id", "vendor"]


@admin.register(CommissionPlan)
class CommissionPlanAdmin(UnscopedAdmin):
    list_display = ["name", "program", "kind", "rate", "bounty_amount", "duration_months"]
    list_filter = ["kind", "is_active"]
    inlines = [CommissionPlanTierInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for tier in formset.save(commit=False):
            tier.vendor = form.instance.vendor
            tier.save()
        formset.save_m2m()


class ReadOnlyAdmin(UnscopedAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "partnership", "kind", "amount", "currency", "status"]
    list_filter = ["status", "kind"]


@admin.register(RevenueEvent)
class RevenueEventAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "kind", "amount", "currency", "occurred_at"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "partnership", "amount", "currency", "status"]


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "program", "period_start", "status"]


@admin.register(Customer)
class CustomerAdmin(UnscopedAdmin):
    list_display = ["external_id", "partnership", "status", "mrr_amount"]
    raw_id_fields = ["partnership"]


@admin.register(PartnerPayoutDetails)
class PartnerPayoutDetailsAdmin(UnscopedAdmin):
    list_display = ["partner", "vendor", "method", "country", "tax_form", "tax_form_status"]
    list_filter = ["tax_form_status"]


@admin.register(BillingIntegration)
class BillingIntegrationAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "provider", "is_active", "last_received_at"]
