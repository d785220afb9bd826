from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from partnerhub.tenancy.context import reset_current_vendor, set_current_vendor
from partnerhub.tenancy.selectors import vendor_membership_for_user


class VendorScopeMiddleware:
    """Resolves ``<vendor_slug>`` in dashboard URLs to a vendor the user belongs to.

    Every request starts with no vendor in scope and ends with the scope reset, whatever the
    view did. The membership check happens before the view runs: an unknown slug and another
    vendor's slug both answer 404.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_current_vendor(None)
        try:
            return self.get_response(request)
        finally:
            reset_current_vendor(token)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get("vendor_slug")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = vendor_membership_for_user(user=request.user, vendor_slug=slug)
        request.membership = membership  # type: ignore[attr-defined]
        request.vendor = membership.vendor  # type: ignore[attr-defined]
        set_current_vendor(membership.vendor)
        return None
