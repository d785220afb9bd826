"""Dashboard pages of the platform: vendor picker and sign-up, home, members, API keys,
settings, and the invitation accept page. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from partnerhub.accounts.models import authenticated_user
from partnerhub.api.models import APIKey
from partnerhub.api.services import api_key_create, api_key_revoke
from partnerhub.tenancy import selectors, services
from partnerhub.tenancy.forms import (
    APIKeyForm,
    InvitationForm,
    RoleForm,
    SecuritySettingsForm,
    VendorCreateForm,
    VendorSettingsForm,
)
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from


def home_redirect(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:vendor_picker")
    return redirect("account_login")


@login_required
def vendor_picker(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_for_user(user=authenticated_user(request)))
    if len(memberships) == 1 and "stay" not in request.GET:
        return redirect("dashboard:home", vendor_slug=memberships[0].vendor.slug)
    return render(request, "tenancy/vendor_picker.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def vendor_create(request: HttpRequest) -> HttpResponse:
    form = VendorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vendor = services.vendor_create(owner=authenticated_user(request), **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"{vendor.name} is ready. Welcome aboard!")
            return redirect("dashboard:home", vendor_slug=vendor.slug)
    return render(request, "tenancy/vendor_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token=token)  # 404 for used/expired/unknown
    if not request.user.is_authenticated:
        request.session["pending_invitation_url"] = request.get_full_path()
        return render(request, "tenancy/invitation_anonymous.html", {"invitation": invitation})
    error = None
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=authenticated_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"You joined {membership.vendor.name} as {membership.role}.")
            return redirect("dashboard:home", vendor_slug=membership.vendor.slug)
    return render(
        request, "tenancy/invitation_accept.html", {"invitation": invitation, "error": error}
    )


class MembersView(VendorDashboardView):
    template_name = "tenancy/members.html"
    nav = "members"
    write_role = Role.OWNER  # owners manage members

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", InvitationForm())
        context["members"] = selectors.member_list(vendor=self.vendor)
        context["invitations"] = selectors.open_invitation_list(vendor=self.vendor)
        context["roles"] = Role.choices
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                created = services.invitation_create(
                    vendor=self.vendor,
                    actor=self.actor,
                    base_url=request.build_absolute_uri("/")[:-1],
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"Invitation sent to {created.invitation.email}.")
                return redirect("dashboard:members", vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MemberRoleView(VendorDashboardView):
    http_method_names = ["post"]
    write_role = Role.OWNER

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        # Resolve the member before reading the input: a foreign id is 404 whatever the body.
        get_object_or_404(selectors.member_list(vendor=self.vendor), public_id=kwargs["member_id"])
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose one of the roles.")
        else:
            try:
                membership = services.membership_change_role(
                    vendor=self.vendor,
                    membership_id=kwargs["member_id"],
                    actor=self.actor,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"{membership.user} is now {membership.role}.")
        return redirect("dashboard:members", vendor_slug=self.vendor.slug)


class MemberRemoveView(VendorDashboardView):
    template_name = "tenancy/member_remove.html"
    nav = "members"
    read_role = Role.OWNER
    write_role = Role.OWNER

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["member"] = get_object_or_404(
            selectors.member_list(vendor=self.vendor), public_id=kwargs["member_id"]
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            services.membership_remove(
                vendor=self.vendor,
                membership_id=kwargs["member_id"],
                actor=self.actor,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Member removed.")
        return redirect("dashboard:members", vendor_slug=self.vendor.slug)


class InvitationRevokeView(VendorDashboardView):
    http_method_names = ["post"]
    write_role = Role.OWNER

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        invitation = services.invitation_revoke(
            vendor=self.vendor,
            invitation_id=kwargs["invitation_id"],
            actor=self.actor,
        )
        messages.success(request, f"Invitation of {invitation.email} revoked.")
        return redirect("dashboard:members", vendor_slug=self.vendor.slug)


class APIKeysView(VendorDashboardView):
    template_name = "tenancy/api_keys.html"
    nav = "api_keys"
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", APIKeyForm())
        context["api_keys"] = APIKey.objects.for_vendor(self.vendor).select_related("created_by")
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = APIKeyForm(request.POST)
        if form.is_valid():
            try:
                created = api_key_create(
                    vendor=self.vendor,
                    actor=self.actor,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                # Shown once, on this response only; never stored in clear.
                return self.render_to_response(
                    self.get_context_data(new_key=created.raw_key, new_key_obj=created.api_key)
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class APIKeyRevokeView(VendorDashboardView):
    template_name = "tenancy/api_key_revoke.html"
    nav = "api_keys"
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["api_key"] = get_object_or_404(
            APIKey.objects.for_vendor(self.vendor), public_id=kwargs["key_id"]
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        api_key = api_key_revoke(
            vendor=self.vendor,
            key_id=kwargs["key_id"],
            actor=self.actor,
        )
        messages.success(request, f"Key {api_key.prefix}… revoked; it no longer works.")
        return redirect("dashboard:api_keys", vendor_slug=self.vendor.slug)


class SettingsView(VendorDashboardView):
    template_name = "tenancy/settings.html"
    nav = "settings"
    write_role = Role.ADMIN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form",
            VendorSettingsForm(
                initial={
                    "name": self.vendor.name,
                    "default_currency": self.vendor.default_currency,
                    "time_zone": self.vendor.time_zone,
                }
            ),
        )
        context.setdefault(
            "security_form",
            SecuritySettingsForm(
                initial={"require_mfa_for_owners": self.vendor.require_mfa_for_owners}
            ),
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = VendorSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.vendor_update(vendor=self.vendor, actor=self.actor, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "Settings saved.")
                return HttpResponseRedirect(
                    reverse("dashboard:settings", kwargs={"vendor_slug": self.vendor.slug})
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SecuritySettingsView(SettingsView):
    """The vendor's security policy (two-factor authentication for owners): owners only."""

    http_method_names = ["post"]
    write_role = Role.OWNER

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = SecuritySettingsForm(request.POST)
        if form.is_valid():
            try:
                services.vendor_mfa_policy_set(
                    vendor=self.vendor, actor=self.actor, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "Security settings saved.")
                return HttpResponseRedirect(
                    reverse("dashboard:settings", kwargs={"vendor_slug": self.vendor.slug})
                )
        return self.render_to_response(self.get_context_data(security_form=form), status=400)
