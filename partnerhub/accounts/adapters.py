from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # An invitation link the user followed before signing in wins over the default.
        pending = request.session.pop("pending_invitation_url", None)
        if pending:
            return str(pending)
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        pending = request.session.pop("pending_invitation_url", None)
        if pending:
            return str(pending)
        return super().get_signup_redirect_url(request)
