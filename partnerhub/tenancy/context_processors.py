from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from partnerhub.tenancy.models import ROLE_RANK, Role
from partnerhub.tenancy.rls import rls_bypass
from partnerhub.tenancy.selectors import memberships_for_user


def _my_memberships(user: Any) -> list[Any]:
    # The vendor switcher lists the user's other vendors while one vendor is in scope.
    with rls_bypass():
        return list(memberships_for_user(user=user))


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
        context["my_memberships"] = SimpleLazyObject(lambda: _my_memberships(user))
    return context
