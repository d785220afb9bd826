"""Reads about people's accounts."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled

from partnerhub.accounts.models import User


def user_has_totp(*, user: User) -> bool:
    """Whether the user signs in with an authenticator app (TOTP) as a second factor."""
    return bool(is_mfa_enabled(user, [Authenticator.Type.TOTP]))
