"""Writes to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from partnerhub.accounts.models import User
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor


def change_record(
    *,
    vendor: Vendor,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    event: tuple[str, dict[str, Any]] | None = None,
    events: Sequence[tuple[str, dict[str, Any]]] = (),
) -> AuditEntry:
    """Record one change made by ``actor``: its audit row and, when given, its outbox event
    (``event=(type, data)``, or several: ``events=[…]``), all naming the same actor and all
    in the caller's transaction, so they roll back with the change and nothing is announced
    that did not happen."""
    entry = audit_record(
        vendor=vendor,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason,
    )
    specs = [*([event] if event is not None else []), *events]
    if specs:
        # Imported here: the webhooks app's own services record their changes through this.
        from partnerhub.webhooks.services.outbox import EventSpec, event_record_many

        event_record_many(
            vendor=vendor,
            events=[EventSpec(type=t, data=data, **actor.event_actor) for t, data in specs],
        )
    return entry


def audit_record(
    *,
    vendor: Vendor,
    action: str,
    target_type: str,
    target_id: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Record one change in the caller's transaction (it rolls back with the change).
    Services call ``change_record``; this is its audit half."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    user: User | None = actor.user
    return AuditEntry.objects.for_vendor(vendor).create(
        vendor=vendor,
        actor_user=user,
        actor_label=actor.label,
        actor_type=actor.kind,
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason,
    )
