from django.contrib import admin

from partnerhub.tenancy.admin import UnscopedAdmin
from partnerhub.webhooks.models import Event, WebhookDelivery, WebhookEndpoint


@admin.register(Event)
class EventAdmin(UnscopedAdmin):
    list_display = ["vendor", "type", "public_id", "created_at"]
    list_filter = ["type"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(UnscopedAdmin):
    list_display = ["vendor", "url", "enabled", "consecutive_failures", "created_at"]
    list_filter = ["enabled"]
    exclude = ["secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(UnscopedAdmin):
    list_display = ["vendor", "endpoint", "event", "status", "attempt_count", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["endpoint", "event"]
