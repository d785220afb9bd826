"""Base classes of every tenant API view.

The vendor comes from the API key only. Querysets are built by the base class from
``tenant_model`` and the vendor in scope; subclasses may narrow them in
``scope_queryset`` but may not override ``get_queryset`` (checked at class creation), so that
no view can forget the vendor filter.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import generics, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from partnerhub.api.authentication import APIKeyPrincipal
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

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # Authentication and permissions passed: enter the key's vendor scope. The
        # VendorScopeMiddleware resets it when the request ends.
        principal = request.user
        assert isinstance(principal, APIKeyPrincipal)
        set_current_vendor(principal.vendor)

    @property
    def vendor(self) -> Vendor:
        principal = self.request.user  # type: ignore[attr-defined]
        assert isinstance(principal, APIKeyPrincipal)
        return principal.vendor

    def get_queryset(self) -> QuerySet[Any]:
        if self.tenant_model is None:
            raise NotImplementedError(f"{type(self).__name__} must set tenant_model")
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return self.tenant_model.objects.unscoped().none()  # type: ignore[attr-defined]
        queryset = self.tenant_model.objects.for_vendor(self.vendor)  # type: ignore[attr-defined]
        return self.scope_queryset(queryset)

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset


class VendorAPIView(VendorScopedMixin, APIView):
    pass


class VendorGenericAPIView(VendorScopedMixin, generics.GenericAPIView):
    pass


class VendorViewSet(VendorScopedMixin, viewsets.GenericViewSet):
    pass
