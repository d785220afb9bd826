"""The platform's own routes (health, admin, accounts, invitations). The root URLconf is
``web.urls``, which includes these beside the domain apps' routes."""

from django.contrib import admin
from django.urls import include, path

from partnerhub import health
from partnerhub.tenancy import views as tenancy_views

urlpatterns = [
    path("", tenancy_views.home_redirect, name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", tenancy_views.invitation_accept, name="invitation_accept"),
]
