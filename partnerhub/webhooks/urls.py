from django.urls import path

from partnerhub.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("<slug:vendor_slug>/webhooks/", views.WebhookEndpointsView.as_view(), name="endpoints"),
    path(
        "<slug:vendor_slug>/webhooks/<str:webhook_endpoint_id>/",
        views.WebhookEndpointView.as_view(),
        name="endpoint",
    ),
    path(
        "<slug:vendor_slug>/webhooks/<str:webhook_endpoint_id>/delete/",
        views.WebhookEndpointDeleteView.as_view(),
        name="endpoint_delete",
    ),
    path(
        "<slug:vendor_slug>/webhooks/<str:webhook_endpoint_id>/deliveries/<str:delivery_id>/resend/",
        views.WebhookDeliveryResendView.as_view(),
        name="delivery_resend",
    ),
]
