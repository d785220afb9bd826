from django.contrib import admin

from partnerhub.api.models import APIKey
from partnerhub.tenancy.admin import UnscopedAdmin


@admin.register(APIKey)
class APIKeyAdmin(UnscopedAdmin):
    list_display = ["vendor", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
