"""Who makes a change: a dashboard user, an API key, a rule or the system.

Built once where a request or task starts (``VendorDashboardView.actor``,
``VendorScopedMixin.actor``, tasks) and passed to every write service, which records it on
the audit row and the outbox event through ``partnerhub.audit.services.change_record``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from partnerhub.accounts.models import User
    from partnerhub.api.models import APIKey

ActorKind = Literal["user", "api_key", "rule", "system"]


@dataclass(frozen=True)
class Actor:
    """``kind`` and ``id`` (a public id or a rule's name) go on events and audit rows;
    ``label`` is what a person reads in the audit log; ``user`` / ``api_key`` are the rows
    behind it, for foreign keys (``AuditEntry.actor_user``, ``StageTransition.actor_api_key``)."""

    kind: ActorKind
    id: str
    label: str
    user: User | None = field(default=None, compare=False, repr=False)
    api_key: APIKey | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(kind="user", id=user.public_id, label=user.email, user=user)

    @classmethod
    def for_api_key(cls, key: APIKey) -> Actor:
        return cls(kind="api_key", id=key.public_id, label=f"api key {key.prefix}", api_key=key)

    @classmethod
    def rule(cls, name: str) -> Actor:
        """A rule or a schedule that decides by itself (a stage rule, the payout schedule)."""
        return cls(kind="rule", id=name[:40], label=name)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The platform itself (a worker, a provider's webhook, a data fix); ``label`` says
        which part of it, e.g. ``"stripe"``."""
        return cls(kind="system", id="", label=label)

    @property
    def event_actor(self) -> dict[str, str]:
        """An outbox event's ``actor_type`` / ``actor_id``: ``**actor.event_actor``."""
        return {"actor_type": self.kind, "actor_id": self.id}
