from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from partnerhub.api.authentication import APIKeyPrincipal
from partnerhub.tenancy.models import Role, role_at_least


class HasVendorRole(BasePermission):
    """Reads need ``read_role`` (viewer), writes ``write_role`` (manager), per view."""

    message = "This API key's role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, APIKeyPrincipal):
            return False
        if request.method in SAFE_METHODS:
            required = getattr(view, "read_role", Role.VIEWER)
        else:
            required = getattr(view, "write_role", Role.MANAGER)
        return role_at_least(principal.role, required)
