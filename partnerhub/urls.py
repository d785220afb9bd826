from django.contrib import admin
from django.urls import include, path

from partnerhub import health
from partnerhub.tenancy import views as tenancy_views
from partners.views_public import program_application_confirm, program_page
from partners.views_referral import referral_redirect
from payouts.stripe_hooks import stripe_webhook

urlpatterns = [
    path("", tenancy_views.home_redirect, name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", tenancy_views.invitation_accept, name="invitation_accept"),
    path("p/<slug:vendor>/<slug:program_slug>/", program_page, name="program_page"),
    path(
        "p/<slug:vendor>/<slug:program_slug>/confirm/<str:confirmation>/",
        program_application_confirm,
        name="program_application_confirm",
    ),
    path("r/<str:referral_code>", referral_redirect, name="referral_link"),
    path("r/<slug:vendor>/<str:referral_code>", referral_redirect, name="referral_link_vendor"),
    path("hooks/stripe/<str:integration_id>/", stripe_webhook, name="stripe_webhook"),
    path("portal/income/", include("payouts.urls_portal")),
    path("portal/", include("partners.urls_portal")),
    path("app/", include("partnerhub.tenancy.urls")),
    path("app/<slug:vendor_slug>/", include("programs.urls")),
    path("app/<slug:vendor_slug>/", include("partners.urls")),
    path("app/", include("partnerhub.webhooks.urls")),
    path("app/", include("journey.urls")),
    path("app/", include("payouts.urls")),
    path("app/<slug:vendor_slug>/exports/", include("partnerhub.dashboard.urls")),
    path("api/", include("partnerhub.api.urls")),
]

handler400 = "partnerhub.errors.bad_request"
handler403 = "partnerhub.errors.permission_denied"
handler404 = "partnerhub.errors.page_not_found"
handler500 = "partnerhub.errors.server_error"
