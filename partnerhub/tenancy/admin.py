from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from partnerhub.tenancy.models import Invitation, Membership, Vendor, VendorHealthSnapshot
from partnerhub.tenancy.services import vendor_delete


class UnscopedAdmin(admin.ModelAdmin):
    """Platform staff see every tenant; the named bypass keeps that explicit."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model.objects.unscoped()


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_currency", "time_zone", "created_at"]
    search_fields = ["name", "slug"]

    # Deleting a vendor purges its immutable audit log, which only the service may do.
    def delete_model(self, request: HttpRequest, obj: Vendor) -> None:
        vendor_delete(vendor=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Vendor]) -> None:
        for vendor in queryset:
            vendor_delete(vendor=vendor)


@admin.register(Membership)
class MembershipAdmin(UnscopedAdmin):
    list_display = ["vendor", "user", "role", "created_at"]
    list_filter = ["role"]


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdmin):
    list_display = ["vendor", "email", "role", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_hash"]


@admin.register(VendorHealthSnapshot)
class VendorHealthSnapshotAdmin(UnscopedAdmin):
    list_display = ["vendor", "day"]
