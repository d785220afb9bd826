"""The ``/api/v1`` router: every app's resources under one versioned URL tree, with the
OpenAPI schema and its interactive docs."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from attribution.api import LeadViewSet, ProgramReferralDestinationActions, ReferralApi
from journey.api import FunnelApi, PartnershipTransitionApi, PartnershipTransitionsApi
from partnerhub.api.views import MemberViewSet, VendorApi
from partnerhub.webhooks.api import EventViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet
from partners.api.notes import PartnershipNotesApi
from partners.api.partnerships import ApplicationViewSet, PartnershipViewSet
from payouts.api.batches import RevenueBatchViewSet
from payouts.api.commissions import CommissionViewSet
from payouts.api.customers import CustomerViewSet
from payouts.api.payouts import PayoutRunViewSet, PayoutViewSet
from payouts.api.plans import CommissionPlanViewSet
from payouts.api.revenue import RevenueEventViewSet
from programs import api as programs_api
from programs.api import JoinSourceViewSet, PersonaViewSet


class ProgramViewSet(ProgramReferralDestinationActions, programs_api.ProgramViewSet):
    """The vendor's partner programs."""


router = SimpleRouter(trailing_slash=False)
router.register("members", MemberViewSet, basename="member")
router.register("events", EventViewSet, basename="event")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("programs", ProgramViewSet, basename="program")
router.register("personas", PersonaViewSet, basename="persona")
router.register("join-sources", JoinSourceViewSet, basename="join-source")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("applications", ApplicationViewSet, basename="application")
router.register("leads", LeadViewSet, basename="lead")
router.register("customers", CustomerViewSet, basename="customer")
router.register("revenue-events", RevenueEventViewSet, basename="revenue-event")
router.register("revenue-batches", RevenueBatchViewSet, basename="revenue-batch")
router.register("commissions", CommissionViewSet, basename="commission")
router.register("commission-plans", CommissionPlanViewSet, basename="commission-plan")
router.register("payout-runs", PayoutRunViewSet, basename="payout-run")
router.register("payouts", PayoutViewSet, basename="payout")

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/vendor", VendorApi.as_view(), name="api_vendor"),
    # The partner journey (journey/api.py): extra routes of the partnerships resource.
    path(
        "v1/partnerships/<str:partnership_id>/transition",
        PartnershipTransitionApi.as_view(),
        name="api_partnership_transition",
    ),
    path(
        "v1/partnerships/<str:partnership_id>/transitions",
        PartnershipTransitionsApi.as_view(),
        name="api_partnership_transitions",
    ),
    path(
        "v1/partnerships/<str:partnership_id>/notes",
        PartnershipNotesApi.as_view(),
        name="api_partnership_notes",
    ),
    path("v1/analytics/funnel", FunnelApi.as_view(), name="api_analytics_funnel"),
    path("v1/referrals", ReferralApi.as_view(), name="api_referrals"),
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
