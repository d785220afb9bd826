from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from partnerhub.api.views import MemberViewSet, VendorApi
from partnerhub.webhooks.api import EventViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter(trailing_slash=False)
router.register("members", MemberViewSet, basename="member")
router.register("events", EventViewSet, basename="event")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/vendor", VendorApi.as_view(), name="api_vendor"),
    path(
        "v1/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="api_schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api_schema", authentication_classes=[], permission_classes=[]
        ),
        name="api_docs",
    ),
]
urlpatterns += [path("v1/", include(router.urls))]
