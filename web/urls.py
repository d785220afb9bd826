"""The root URLconf: the platform's routes, the public pages, the partner portal, the
``/app/<vendor_slug>/`` dashboard tree and the ``/api/v1`` router. Apps below this layer
export plain ``urlpatterns``; the namespaces the templates reverse are composed here."""

from django.urls import include, path

from attribution import urls as attribution_urls
from attribution.views.referrals import referral_redirect
from partnerhub.tenancy import urls as tenancy_urls
from partnerhub.urls import urlpatterns as platform_urlpatterns
from partners import urls as partners_urls
from partners.views.public import program_application_confirm, program_page
from payouts.stripe_hooks import stripe_webhook
from payouts.views import portal as payouts_portal
from programs import urls as programs_urls
from web import exports, portal
from web.partnership import PartnershipDetailView, PartnershipNoteAddView
from web.programs import ProgramFormView
from web.views import HomeView

# The platform's dashboard pages and the vendor home share the ``dashboard`` namespace; the
# home's ``<vendor_slug>/`` comes last so it never shadows ``new/``.
dashboard_urlpatterns = (
    [
        *tenancy_urls.urlpatterns,
        path("<slug:vendor_slug>/", HomeView.as_view(), name="home"),
    ],
    "dashboard",
)

# The program's edit page shows its referral destination and plans, so it is composed here;
# it comes after the programs app's routes so ``programs/new/`` is not read as an id.
programs_urlpatterns = (
    [
        *programs_urls.urlpatterns,
        path("programs/<str:program_id>/", ProgramFormView.as_view(), name="program_edit"),
    ],
    "programs",
)

partners_urlpatterns = (
    [
        *partners_urls.urlpatterns,
        path(
            "partnerships/<str:partnership_id>/",
            PartnershipDetailView.as_view(),
            name="partnership_detail",
        ),
        path(
            "partnerships/<str:partnership_id>/notes/",
            PartnershipNoteAddView.as_view(),
            name="partnership_note_add",
        ),
        *attribution_urls.urlpatterns,
    ],
    "partners",
)

portal_urlpatterns = (
    [
        path("", portal.portal_home, name="home"),
        path("partnerships/<str:partnership_id>/", portal.portal_partnership, name="partnership"),
        path("partnerships/<str:partnership_id>/leads/", portal.portal_leads, name="leads"),
        path(
            "partnerships/<str:partnership_id>/lessons/<str:lesson_id>/complete/",
            portal.PortalLessonCompleteView.as_view(),
            name="lesson_complete",
        ),
        path(
            "partnerships/<str:partnership_id>/certifications/<str:certification_id>/",
            portal.portal_certification,
            name="certification",
        ),
    ],
    "portal",
)

portal_income_urlpatterns = (
    [
        path("", payouts_portal.passive_income_view, name="home"),
        path(
            "partnerships/<str:partnership_id>/payout-details/",
            payouts_portal.payout_details_view,
            name="payout_details",
        ),
    ],
    "portal_income",
)

exports_urlpatterns = (
    [
        path("partnerships.csv", exports.PartnershipsExport.as_view(), name="partnerships"),
        path("applications.csv", exports.ApplicationsExport.as_view(), name="applications"),
        path("customers.csv", exports.CustomersExport.as_view(), name="customers"),
        path("commissions.csv", exports.CommissionsExport.as_view(), name="commissions"),
        path(
            "commission-plans.csv",
            exports.CommissionPlansExport.as_view(),
            name="commission_plans",
        ),
        path("payout-runs.csv", exports.PayoutRunsExport.as_view(), name="payout_runs"),
    ],
    "exports",
)

urlpatterns = [
    *platform_urlpatterns,
    path("p/<slug:vendor>/<slug:program_slug>/", program_page, name="program_page"),
    path(
        "p/<slug:vendor>/<slug:program_slug>/confirm/<str:confirmation>/",
        program_application_confirm,
        name="program_application_confirm",
    ),
    path("r/<str:referral_code>", referral_redirect, name="referral_link"),
    path("r/<slug:vendor>/<str:referral_code>", referral_redirect, name="referral_link_vendor"),
    path("hooks/stripe/<str:integration_id>/", stripe_webhook, name="stripe_webhook"),
    path("portal/income/", include(portal_income_urlpatterns)),
    path("portal/", include(portal_urlpatterns)),
    path("app/", include(dashboard_urlpatterns)),
    path("app/<slug:vendor_slug>/", include(programs_urlpatterns)),
    path("app/<slug:vendor_slug>/", include(partners_urlpatterns)),
    path("app/", include("partnerhub.webhooks.urls")),
    path("app/", include("journey.urls")),
    path("app/", include("payouts.urls")),
    path("app/<slug:vendor_slug>/exports/", include(exports_urlpatterns)),
    path("api/", include("web.api")),
]

handler400 = "partnerhub.errors.bad_request"
handler403 = "partnerhub.errors.permission_denied"
handler404 = "partnerhub.errors.page_not_found"
handler500 = "partnerhub.errors.server_error"
