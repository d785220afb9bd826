"""Celery entry points for tenancy. Tasks take ids, run inside the vendor scope, and are
idempotent: re-running one (a redelivery after a worker died) changes nothing further."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task
from django.utils import timezone

from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Vendor
from partnerhub.tenancy.services import vendor_health_summary_compute

F = TypeVar("F", bound=Callable[..., Any])


def vendor_task(func: F) -> F:
    """Run a task body inside the scope of the vendor named by its first argument.

    A vendor that no longer exists makes the task a no-op (it was deleted after enqueueing).
    """

    @functools.wraps(func)
    def wrapper(vendor_id: int, *args: Any, **kwargs: Any) -> Any:
        vendor = Vendor.objects.filter(pk=vendor_id).first()
        if vendor is None:
            return None
        with vendor_scope(vendor):
            return func(vendor, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@shared_task(name="partnerhub.tenancy.tasks.vendor_health_summary_task")
@vendor_task
def vendor_health_summary_task(vendor: Vendor, day: str | None = None) -> dict[str, Any]:
    when = dt.date.fromisoformat(day) if day else timezone.localdate()
    return vendor_health_summary_compute(vendor=vendor, day=when).metrics


@shared_task(name="partnerhub.tenancy.tasks.vendor_health_summary_fanout_task")
def vendor_health_summary_fanout_task(day: str | None = None) -> int:
    """Nightly: one task per vendor, so many workers share the work."""
    when = day or timezone.localdate().isoformat()
    vendor_ids = list(Vendor.objects.values_list("pk", flat=True))
    for vendor_id in vendor_ids:
        vendor_health_summary_task.delay(vendor_id, when)  # type: ignore[arg-type]
    return len(vendor_ids)
