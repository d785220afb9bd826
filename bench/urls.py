"""The product's URLs plus the floor of the API-read benchmark: a bare DRF view returning the
same 100 rows from ``.values()`` (no authentication, no serializer, no pagination).
Mounted only by ``bench.settings``; never part of the product."""

from typing import Any

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from payouts.models import Commission
from web.urls import urlpatterns as product_urlpatterns

_FIELDS = {
    "partnerships": (Partnership, ("public_id", "status", "stage", "referral_code", "created_at")),
    "commissions": (
        Commission,
        ("public_id", "status", "kind", "amount", "currency", "occurred_at"),
    ),
}


class BareView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def get(self, request: Request, slug: str, what: str) -> Response:
        vendor = Vendor.objects.get(slug=slug)
        model, fields = _FIELDS[what]
        with vendor_scope(vendor):
            rows = list(model.objects.for_vendor(vendor).order_by("-id").values(*fields)[:100])
        return Response({"results": rows})


urlpatterns = [
    # Not "vendor_slug": VendorScopeMiddleware treats that kwarg as a dashboard URL and
    # redirects an anonymous request to the log-in page (which the floor then measured).
    path("bench/bare/<slug:slug>/<str:what>/", BareView.as_view()),
    *product_urlpatterns,
]
