"""Writes to the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partnerhub.accounts.models import User
from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Vendor


def audit_record(
    *,
    vendor: Vendor,
    action: str,
    target_type: str,
    target_id: str,
    actor: User | None = None,
    actor_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Record one change in the caller's transaction (it rolls back with the change)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    return AuditEntry.objects.for_vendor(vendor).create(
        vendor=vendor,
        actor_user=actor,
        actor_label=actor_label or (actor.email if actor else "system"),
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason,
    )
