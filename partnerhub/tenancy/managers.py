"""Managers for tenant models: every query is scoped to one vendor, or it fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from partnerhub.tenancy.context import require_current_vendor

if TYPE_CHECKING:
    from partnerhub.tenancy.models import Vendor

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    def for_vendor(self, vendor: Vendor | int) -> TenantQuerySet[_M]:
        vendor_id = vendor if isinstance(vendor, int) else vendor.pk
        return self.filter(vendor_id=vendor_id)


class TenantManager(models.Manager[_M]):
    """Default manager of every tenant model.

    ``Model.objects.all()`` (and every other call) filters on the vendor in scope and raises
    ``VendorScopeMissing`` when there is none. ``for_vendor(v)`` scopes explicitly and
    ``unscoped()`` is the one named way around it (admin, cross-tenant jobs, migrations).
    """

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        vendor = require_current_vendor()
        return self.unscoped().filter(vendor_id=vendor.pk)

    def for_vendor(self, vendor: Vendor | int) -> TenantQuerySet[_M]:
        return self.unscoped().for_vendor(vendor)

    def none(self) -> TenantQuerySet[_M]:
        # An empty queryset reveals nothing, so it needs no scope (schema generation uses it).
        return self.unscoped().none()

    def unscoped(self) -> TenantQuerySet[_M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_partner(self, partner: Any) -> TenantQuerySet[_M]:
        """The partner's own rows across vendors (the portal): the one other named scope. The
        model names the path to its partner in ``PARTNER_FIELD`` (e.g. ``partnership__partner``)."""
        field = getattr(self.model, "PARTNER_FIELD", None)
        if field is None:
            raise TypeError(f"{self.model.__name__} has no partner scope (PARTNER_FIELD)")
        return self.unscoped().filter(**{field: partner})

    def create(self, **kwargs: Any) -> _M:
        # Creating in scope fills in the vendor, and refuses a different one.
        vendor = require_current_vendor()
        given = kwargs.get("vendor")
        if given is not None and given.pk != vendor.pk:
            raise ValueError("vendor does not match the vendor in scope")
        kwargs["vendor"] = vendor
        return self.unscoped().create(**kwargs)
