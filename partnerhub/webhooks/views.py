"""Dashboard pages of webhooks: endpoints, their delivery log, resend. Admins only (the
pages show where the vendor's data goes and hold the signing secrets)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from
from partnerhub.webhooks import selectors
from partnerhub.webhooks.forms import DeliveryFilterForm, WebhookEndpointForm
from partnerhub.webhooks.models import WebhookEndpoint
from partnerhub.webhooks.services.deliveries import webhook_delivery_resend
from partnerhub.webhooks.services.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_secret_rotate,
    webhook_endpoint_update,
)

DELIVERIES_PER_PAGE = 25


class _WebhooksView(VendorDashboardView):
    nav = "webhooks"
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(
            selectors.webhook_endpoint_list(vendor=self.vendor),
            public_id=self.kwargs["webhook_endpoint_id"],
        )


class WebhookEndpointsView(_WebhooksView):
    template_name = "webhooks/endpoints.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", WebhookEndpointForm())
        context["endpoints"] = selectors.webhook_endpoint_list(vendor=self.vendor)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            try:
                created = webhook_endpoint_create(
                    vendor=self.vendor, actor=self.actor, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                # The secret is shown on this response only.
                return self.render_to_response(
                    self.get_context_data(new_secret=created.secret, new_endpoint=created.endpoint)
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WebhookEndpointView(_WebhooksView):
    """One endpoint: its settings, enable/disable, and its delivery log."""

    template_name = "webhooks/endpoint.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoint = self.endpoint()
        filters = DeliveryFilterForm(self.request.GET or None)
        deliveries = selectors.webhook_delivery_list(
            vendor=self.vendor, endpoint=endpoint, status=filters.status_value()
        )
        page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(endpoint=endpoint, filters=filters, page=page)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        endpoint = self.endpoint()  # 404 before reading the input
        if request.POST.get("action") == "rotate_secret":
            rotated = webhook_endpoint_secret_rotate(
                vendor=self.vendor,
                endpoint_id=endpoint.public_id,
                actor=self.actor,
            )
            # The new secret is shown on this response only.
            return self.render_to_response(self.get_context_data(new_secret=rotated.secret))
        enable = request.POST.get("enabled") == "true"
        webhook_endpoint_update(
            vendor=self.vendor,
            endpoint_id=endpoint.public_id,
            actor=self.actor,
            enabled=enable,
        )
        messages.success(request, f"Endpoint {'enabled' if enable else 'disabled'}.")
        return redirect("webhooks:endpoint", self.vendor.slug, endpoint.public_id)


class WebhookEndpointDeleteView(_WebhooksView):
    template_name = "webhooks/endpoint_delete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["endpoint"] = self.endpoint()
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        endpoint = self.endpoint()
        webhook_endpoint_delete(
            vendor=self.vendor, endpoint_id=endpoint.public_id, actor=self.actor
        )
        messages.success(request, f"Endpoint {endpoint.url} deleted; nothing more is sent to it.")
        return redirect("webhooks:endpoints", self.vendor.slug)


class WebhookDeliveryResendView(_WebhooksView):
    """Confirm, then queue one delivery for another attempt."""

    template_name = "webhooks/delivery_resend.html"

    def delivery(self) -> Any:
        return get_object_or_404(
            selectors.webhook_delivery_list(vendor=self.vendor, endpoint=self.endpoint()),
            public_id=self.kwargs["delivery_id"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        delivery = self.delivery()
        context.update(delivery=delivery, endpoint=delivery.endpoint)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        delivery = self.delivery()
        try:
            webhook_delivery_resend(
                vendor=self.vendor,
                delivery_id=delivery.public_id,
                actor=self.actor,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Delivery of {delivery.event.type} queued again.")
        return redirect("webhooks:endpoint", self.vendor.slug, delivery.endpoint.public_id)
