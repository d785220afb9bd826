"""One way to resolve "this vendor's X by public id": missing and another vendor's object
answer alike (Zulip's ``access_*_by_id``), as a 404 for an id in the URL or a field error for
an id in the request body."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404

from partnerhub.tenancy.models import Vendor

_M = TypeVar("_M", bound=Model)


def vendor_object_get(
    model: type[_M],
    *,
    vendor: Vendor | int,
    public_id: str | None,
    field: str | None = None,
    message: str = "",
    lock: bool = False,
    related: tuple[str, ...] = (),
) -> _M:
    """The vendor's ``model`` row with ``public_id``, read through the vendor scope.

    Without ``field`` an unknown id raises ``Http404`` (ids in URLs); with it, a
    ``ValidationError`` on that field (ids in a request body), with ``message`` or "Unknown
    <noun>.". ``lock`` takes the row lock (``SELECT … FOR UPDATE``) in the caller's transaction;
    ``related`` names foreign keys to join in the same query.
    """
    manager: Any = model.objects  # type: ignore[attr-defined]
    queryset = manager.for_vendor(vendor)
    if lock:
        queryset = queryset.select_for_update()
    if related:
        queryset = queryset.select_related(*related)
    obj: _M | None = queryset.filter(public_id=public_id).first() if public_id else None
    if obj is None:
        noun = model._meta.verbose_name
        if field is None:
            raise Http404(f"No such {noun}")
        raise ValidationError({field: message or f"Unknown {noun}."})
    return obj


def vendor_object_or_none(
    model: type[_M],
    *,
    vendor: Vendor | int,
    public_id: str | None,
    field: str,
    message: str = "",
    lock: bool = False,
) -> _M | None:
    """``vendor_object_get`` for an optional id in a request body: ``None`` when it is empty."""
    if not public_id:
        return None
    return vendor_object_get(
        model, vendor=vendor, public_id=public_id, field=field, message=message, lock=lock
    )
