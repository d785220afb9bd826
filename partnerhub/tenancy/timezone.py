"""Times on /app/<vendor_slug>/ pages are shown in the vendor's time zone.

Runs after ``VendorScopeMiddleware`` (which resolves ``request.vendor`` in ``process_view``),
activates the vendor's zone for the template rendering of that request and deactivates it
afterwards, so a thread never carries one vendor's zone into the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class VendorTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        vendor = getattr(request, "vendor", None)
        if vendor is not None:
            try:
                timezone.activate(ZoneInfo(vendor.time_zone or "UTC"))
            except ZoneInfoNotFoundError:  # an unknown zone name: keep UTC rather than fail
                timezone.deactivate()
