"""Base classes of every tenant API view.

The vendor comes from the API key only. Querysets are built by the base class from
``tenant_model`` and the vendor in scope; subclasses may narrow them in
``scope_queryset`` but may not override ``get_queryset`` (checked at class creation), so that
no view can forget the vendor filter.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from rest_framework import generics, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partnerhub.api import idempotency
from partnerhub.api.authentication import APIKeyPrincipal
from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import set_current_vendor
from partnerhub.tenancy.models import Role, Vendor


class VendorScopedMixin:
    tenant_model: ClassVar[type[Model] | None] = None
    read_role: ClassVar[str] = Role.VIEWER
    write_role: ClassVar[str] = Role.MANAGER
    lookup_field = "public_id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; narrow the vendor-scoped queryset in "
                "scope_queryset() instead."
            )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not idempotency.wants_idempotency(request):
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        # The request's writes and its idempotency record commit (or roll back) together.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        claim = idempotency.wants_idempotency(request)
        if claim:
            # Read the raw body before anything parses it: it is part of the fingerprint.
            body = request._request.body
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # Authentication and permissions passed: enter the key's vendor scope. The
        # VendorScopeMiddleware resets it when the request ends.
        principal = request.user
        assert isinstance(principal, APIKeyPrincipal)
        set_current_vendor(principal.vendor)
        if claim:
            self.idempotency_record = idempotency.idempotency_claim(
                vendor=principal.vendor,
                key=request.META[idempotency.META_KEY],
                method=request.method or "POST",
                path=request.path,
                body=body,
            )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.IdempotentReplay):
            return idempotency.idempotency_replay_response(exc.record)
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        record = getattr(self, "idempotency_record", None)
        if record is not None and isinstance(response, Response) and response.status_code < 500:
            idempotency.idempotency_store(record=record, response=response)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]

    def rate_limit_cost(self, request: Request) -> int:
        """How many units of the key's rate limit this request uses: one, except for bulk
        endpoints, which override this (see ``BulkRateLimitMixin``) to count their items."""
        return 1

    @property
    def vendor(self) -> Vendor:
        principal = self.request.user  # type: ignore[attr-defined]
        assert isinstance(principal, APIKeyPrincipal)
        return principal.vendor

    @property
    def actor(self) -> Actor:
        """The calling API key, named on every change this request makes."""
        principal = self.request.user  # type: ignore[attr-defined]
        assert isinstance(principal, APIKeyPrincipal)
        return principal.actor

    def get_queryset(self) -> QuerySet[Any]:
        if self.tenant_model is None:
            raise NotImplementedError(f"{type(self).__name__} must set tenant_model")
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return self.tenant_model.objects.unscoped().none()  # type: ignore[attr-defined]
        queryset = self.tenant_model.objects.for_vendor(self.vendor)  # type: ignore[attr-defined]
        return self.scope_queryset(queryset)

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset


class BulkRateLimitMixin:
    """For bulk endpoints: each item of the list in ``bulk_items_field`` costs one unit.

    List it before the base class: ``class RevenueEventBulkApi(BulkRateLimitMixin, VendorAPIView)``.
    """

    bulk_items_field: ClassVar[str] = "items"

    def rate_limit_cost(self, request: Request) -> int:
        data = request.data
        items = data.get(self.bulk_items_field) if isinstance(data, dict) else data
        return max(1, len(items)) if isinstance(items, list) else 1


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off inside the block; it runs again after (its
    next collection then finds the block's objects already freed by reference counting).

    A 1,000-item bulk request keeps ~10,000 small containers alive while it works (parsed
    items, rows, per-item results): about a dozen young collections per request, and each
    object alive at one of them is promoted, so that every ~20 requests the collector walked
    the whole heap (80-260 ms in the benchmark process, 4-13 ms per request on average). None
    of these objects form cycles, so nothing is left for the collector to do meanwhile. If
    another thread paused it already, that thread resumes it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class GCPausedPostMixin:
    """POSTs (bulk endpoints) are handled with the cyclic collector paused: ``gc_paused``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        with gc_paused():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class VendorAPIView(VendorScopedMixin, APIView):
    pass


class VendorGenericAPIView(VendorScopedMixin, generics.GenericAPIView):
    pass


class VendorViewSet(VendorScopedMixin, viewsets.GenericViewSet):
    pass
