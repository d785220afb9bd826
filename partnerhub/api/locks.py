"""Row locks of the api app."""

from __future__ import annotations

from partnerhub.api.models import VendorAPISettings
from partnerhub.tenancy.models import Vendor


def api_settings_lock(*, vendor: Vendor, requests_per_minute: int) -> VendorAPISettings:
    """The vendor's API settings row, locked for a change (created with this limit when the
    vendor has none yet)."""
    row, _ = (
        VendorAPISettings.objects.for_vendor(vendor)
        .select_for_update()
        .get_or_create(vendor=vendor, defaults={"requests_per_minute": requests_per_minute})
    )
    return row
