"""The vendor in scope for the current request or task.

A ``ContextVar`` rather than a thread-local so that it is correct under threads, Celery's
thread pool and async views alike. The scope is entered by the dashboard middleware (from the
``/app/<vendor_slug>/`` URL after a membership check), by the API base view (from the API key)
and by ``vendor_task`` (from the task's ``vendor_id``), and it is always reset afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partnerhub.tenancy.models import Vendor


class VendorScopeMissing(RuntimeError):
    """A tenant model was queried with no vendor in scope (fail closed)."""


_current_vendor: ContextVar[Vendor | None] = ContextVar("partnerhub_current_vendor", default=None)


def get_current_vendor() -> Vendor | None:
    return _current_vendor.get()


def require_current_vendor() -> Vendor:
    vendor = _current_vendor.get()
    if vendor is None:
        raise VendorScopeMissing(
            "No vendor in scope: use Model.objects.for_vendor(vendor), enter vendor_scope(), "
            "or name the bypass explicitly with Model.objects.unscoped()."
        )
    return vendor


def set_current_vendor(vendor: Vendor | None) -> Token[Vendor | None]:
    return _current_vendor.set(vendor)


def reset_current_vendor(token: Token[Vendor | None]) -> None:
    _current_vendor.reset(token)


@contextlib.contextmanager
def vendor_scope(vendor: Vendor) -> Iterator[Vendor]:
    token = _current_vendor.set(vendor)
    try:
        yield vendor
    finally:
        _current_vendor.reset(token)
