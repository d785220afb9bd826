"""Base of every dashboard page under ``/app/<vendor_slug>/``.

The VendorScopeMiddleware has already resolved the vendor and the user's membership (404 for
a vendor the user is not a member of); this base adds the role check per HTTP method: viewers
read, ``write_role`` (manager by default) is needed for anything else, and the vendor's
"require MFA for owners" policy.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.generic import TemplateView

from partnerhub.accounts.models import authenticated_user
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor, role_at_least
from partnerhub.tenancy.selectors import membership_needs_mfa_setup


class VendorDashboardView(LoginRequiredMixin, TemplateView):
    read_role: ClassVar[str] = Role.VIEWER
    write_role: ClassVar[str] = Role.MANAGER
    nav: ClassVar[str] = ""

    vendor: Vendor
    membership: Membership
    actor: Actor  # the signed-in user, named on every change this page makes

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = getattr(request, "membership", None)
        if membership is None:  # a view under /app/ must carry <vendor_slug>
            raise PermissionDenied
        self.membership = membership
        self.vendor = membership.vendor
        self.actor = Actor.for_user(authenticated_user(request))
        if membership_needs_mfa_setup(membership=membership):
            # The vendor requires two-factor authentication for owners: until this owner sets
            # up an authenticator app, every dashboard page explains how instead.
            return render(request, "tenancy/mfa_required.html", status=403)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        required = self.read_role if safe else self.write_role
        if not role_at_least(membership.role, required):
            raise PermissionDenied(f"Your role ({membership.role}) cannot do this.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["nav"] = self.nav
        return context


def form_errors_from(exc: ValidationError, form: BaseForm) -> None:
    """A service's ValidationError shown next to the field it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else field.removesuffix("_id")
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
