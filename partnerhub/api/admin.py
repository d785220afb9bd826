from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partnerhub.api.models import APIKey, VendorAPISettings
from partnerhub.api.ratelimit import vendor_rate_limit_forget
from partnerhub.tenancy.admin import UnscopedAdmin


@admin.register(APIKey)
class APIKeyAdmin(UnscopedAdmin):
    list_display = ["vendor", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]


@admin.register(VendorAPISettings)
class VendorAPISettingsAdmin(UnscopedAdmin):
    """Platform staff raise or lower a vendor's API rate limit here."""

    list_display = ["vendor", "requests_per_minute", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        vendor_rate_limit_forget(vendor_id=obj.vendor_id)
