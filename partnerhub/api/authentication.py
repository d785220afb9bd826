from __future__ import annotations

from dataclasses import dataclass, field

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from partnerhub.api.models import APIKey
from partnerhub.api.services import api_key_authenticate
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor


@dataclass(frozen=True)
class APIKeyPrincipal:
    """``request.user`` for API calls: the key acts for its vendor with its role."""

    api_key: APIKey
    # Built once per request from the key: the actor of every change the request makes.
    actor: Actor = field(init=False, compare=False)

    is_authenticated = True
    is_anonymous = False

    @property
    def vendor(self) -> Vendor:
        return self.api_key.vendor

    @property
    def role(self) -> str:
        return self.api_key.role

    def __post_init__(self) -> None:
        object.__setattr__(self, "actor", Actor.for_api_key(self.api_key))

    def __str__(self) -> str:
        return self.actor.label


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer phk_…``. Missing, malformed, unknown and revoked keys all 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[APIKeyPrincipal, APIKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <api key>'.",
                code="malformed_authorization",
            )
        api_key = api_key_authenticate(raw_key=parts[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked API key.", code="invalid_api_key"
            )
        return APIKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "partnerhub.api.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "phk_…"}
