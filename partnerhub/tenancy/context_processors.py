from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from partnerhub.tenancy.models import ROLE_RANK, Role
from partnerhub.tenancy.selectors import memberships_for_user


def vendor(request: HttpRequest) -> dict[str, Any]:
    """The vendor in scope, the user's role in it, and the vendor switcher's list (lazy)."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    context: dict[str, Any] = {
        "vendor": getattr(request, "vendor", None),
        "membership": membership,
        "can": {},
    }
    if membership is not None:
        rank = ROLE_RANK[Role(membership.role)]
        context["can"] = {
            "manage": rank >= ROLE_RANK[Role.MANAGER],
            "admin": rank >= ROLE_RANK[Role.ADMIN],
            "own": rank >= ROLE_RANK[Role.OWNER],
        }
    if user is not None and user.is_authenticated:
        context["my_memberships"] = SimpleLazyObject(lambda: list(memberships_for_user(user=user)))
    return context
