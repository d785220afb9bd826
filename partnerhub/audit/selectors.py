"""Reads of the audit log."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.db.models import Q, QuerySet

from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Vendor


def _start_of_day(day: dt.date, vendor: Vendor) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(vendor.time_zone))


def audit_entry_list(
    *,
    vendor: Vendor,
    action: str = "",
    target: str = "",
    actor: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """The vendor's audit entries, newest first, narrowed by the given filters.

    ``target`` matches a target type (``api_key``) or a target id (``key_…``) exactly;
    ``actor`` matches part of the actor's label (e-mail or key prefix); ``since`` and
    ``until`` are whole days, inclusive, in the vendor's time zone.
    """
    entries = AuditEntry.objects.for_vendor(vendor)
    if action:
        entries = entries.filter(action=action)
    if target:
        entries = entries.filter(Q(target_type=target) | Q(target_id=target))
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if since:
        entries = entries.filter(created_at__gte=_start_of_day(since, vendor))
    if until:
        entries = entries.filter(created_at__lt=_start_of_day(until + dt.timedelta(days=1), vendor))
    return entries.order_by("-created_at", "-id")


def audit_action_list(*, vendor: Vendor) -> list[str]:
    """The actions that occur in the vendor's log, for the filter's choices."""
    return list(
        AuditEntry.objects.for_vendor(vendor)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def audit_entry_batches(entries: QuerySet[AuditEntry], *, size: int = 2000) -> Iterator[AuditEntry]:
    """Every entry of a newest-first ``audit_entry_list``, fetched ``size`` rows at a time by
    keyset (no server-side cursor, so it works behind PgBouncer), for exports of any length."""
    last: AuditEntry | None = None
    while True:
        batch = entries
        if last is not None:
            batch = entries.filter(
                Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.pk)
            )
        rows = list(batch[:size])
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]
