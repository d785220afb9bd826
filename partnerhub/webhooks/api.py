"""API of events and webhooks: ``/events``, ``/webhook-endpoints``, ``/webhook-deliveries``."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorViewSet
from partnerhub.api.filters import UTCIsoDateTimeFilter
from partnerhub.tenancy.models import Role
from partnerhub.webhooks import selectors
from partnerhub.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from partnerhub.webhooks.services.deliveries import webhook_delivery_resend
from partnerhub.webhooks.services.endpoints import (
    MAX_EVENT_TYPES,
    CreatedWebhookEndpoint,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_secret_rotate,
    webhook_endpoint_update,
)

# --- serializers ----------------------------------------------------------------------------


class EventOutputSerializer(serializers.ModelSerializer[Event]):
    id = serializers.CharField(source="public_id", read_only=True)
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="The object as the API renders it, plus change details."
    )

    class Meta:
        model = Event
        fields = ["id", "type", "data", "actor_type", "actor_id", "created_at"]
        read_only_fields = fields


class WebhookEndpointOutputSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    id = serializers.CharField(source="public_id", read_only=True)
    event_types = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`). Shown only in this response: store it now.",
    )

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


def _with_secret(created: CreatedWebhookEndpoint) -> dict[str, Any]:
    """The body of ``WebhookEndpointCreatedSerializer``: the endpoint and its new secret (the
    stored one is encrypted, so it comes from the service, once)."""
    return {**WebhookEndpointOutputSerializer(created.endpoint).data, "secret": created.secret}


class WebhookEndpointInputSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=2000)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        help_text='Event types to receive, e.g. ["partnership.created"]; ["*"] for all.',
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        required=False,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class WebhookAttemptOutputSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    succeeded = serializers.BooleanField()
    response_status = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer[WebhookDelivery]):
    id = serializers.CharField(source="public_id", read_only=True)
    endpoint = serializers.CharField(source="endpoint.public_id", read_only=True)
    event = serializers.CharField(source="event.public_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempts = WebhookAttemptOutputSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_response_status",
            "last_duration_ms",
            "last_error",
            "delivered_at",
            "created_at",
            "attempts",
        ]
        read_only_fields = fields


# --- filters --------------------------------------------------------------------------------


class EventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(help_text="Only events of this type, e.g. payout.paid.")
    created_after = UTCIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO-8601; events at or after it."
    )
    created_before = UTCIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO-8601; events before it."
    )

    class Meta:
        model = Event
        fields = ["type", "created_after", "created_before"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint = django_filters.CharFilter(
        field_name="endpoint__public_id", help_text="A webhook endpoint id (`we_…`)."
    )
    event = django_filters.CharFilter(field_name="event__public_id", help_text="An event id.")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "event", "status"]


# --- views ----------------------------------------------------------------------------------

_ENDPOINT_EXAMPLE = OpenApiExample(
    "endpoint",
    value={
        "url": "https://example.com/webhooks/partnerhub",
        "event_types": ["partnership.created"],
    },
    request_only=True,
)


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """The vendor's event log (the outbox webhooks are delivered from), newest first."""

    tenant_model = Event
    serializer_class = EventOutputSerializer
    lookup_url_kwarg = "event_id"
    filterset_class = EventFilter


@extend_schema_view(
    create=extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        examples=[_ENDPOINT_EXAMPLE],
    ),
    partial_update=extend_schema(
        request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointOutputSerializer
    ),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Webhook endpoints. They hold signing secrets, so only admin keys may read or change
    them."""

    tenant_model = WebhookEndpoint
    serializer_class = WebhookEndpointOutputSerializer
    lookup_url_kwarg = "webhook_endpoint_id"
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request) -> Response:
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = webhook_endpoint_create(
            vendor=self.vendor, actor=self.actor, **data.validated_data
        )
        body = _with_secret(created)
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, webhook_endpoint_id: str) -> Response:
        self.get_object()  # 404 first, whatever the body
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(
            vendor=self.vendor,
            endpoint_id=webhook_endpoint_id,
            actor=self.actor,
            **data.validated_data,
        )
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, webhook_endpoint_id: str) -> Response:
        webhook_endpoint_delete(
            vendor=self.vendor, endpoint_id=webhook_endpoint_id, actor=self.actor
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=WebhookEndpointCreatedSerializer,
        operation_id="webhook_endpoints_rotate_secret",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, webhook_endpoint_id: str) -> Response:
        """Replace the signing secret. The new one is in this response only; the old one
        stops verifying at once."""
        self.get_object()
        rotated = webhook_endpoint_secret_rotate(
            vendor=self.vendor, endpoint_id=webhook_endpoint_id, actor=self.actor
        )
        return Response(_with_secret(rotated))

    @extend_schema(
        responses=WebhookDeliveryOutputSerializer(many=True),
        filters=False,
        operation_id="webhook_endpoints_deliveries_list",
    )
    @action(detail=True, methods=["get"], url_path="deliveries")
    def deliveries(self, request: Request, webhook_endpoint_id: str) -> Response:
        """The delivery log of one endpoint, newest first, with every attempt."""
        endpoint = self.get_object()
        queryset = selectors.webhook_delivery_list(vendor=self.vendor, endpoint=endpoint)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VendorViewSet):
    """Deliveries of events to endpoints, with their attempts; ``resend`` sends one again."""

    tenant_model = WebhookDelivery
    serializer_class = WebhookDeliveryOutputSerializer
    lookup_url_kwarg = "delivery_id"
    filterset_class = WebhookDeliveryFilter
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def scope_queryset(self, queryset: Any) -> Any:
        return selectors.webhook_delivery_list(vendor=self.vendor)

    @extend_schema(request=None, responses={202: WebhookDeliveryOutputSerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, delivery_id: str) -> Response:
        """Queue the delivery for another attempt now (the endpoint must be enabled)."""
        self.get_object()
        webhook_delivery_resend(vendor=self.vendor, delivery_id=delivery_id, actor=self.actor)
        delivery = self.get_queryset().get(public_id=delivery_id)
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
