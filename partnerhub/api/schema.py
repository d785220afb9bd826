"""OpenAPI generation: every operation documents the error shape and the shared headers.

Errors are the same for every endpoint, so they are added here once instead of on each view:
400 validation, 401 missing key, 403 role, 404 (not found or another vendor's), 415 and 429,
plus 409/422 for POSTs (``Idempotency-Key`` conflicts), and ``Idempotency-Key`` itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from partnerhub.api.serializers import ErrorSerializer

_ERRORS = {
    "400": ("Invalid request: the `field` names what to fix.", "required", "name"),
    "401": ("Missing, malformed or revoked API key.", "not_authenticated", None),
    "403": ("The API key's role does not allow this.", "permission_denied", None),
    "404": ("No such object (or it belongs to another vendor).", "not_found", None),
    "415": ("Send `Content-Type: application/json`.", "unsupported_media_type", None),
    "429": ("Rate limit exceeded: wait `Retry-After` seconds.", "throttled", None),
}
_POST_ERRORS = {
    "409": (
        "Conflicts with the current state, or a request with this Idempotency-Key is still "
        "running (retry shortly).",
        "idempotency_key_in_progress",
        None,
    ),
    "422": (
        "This Idempotency-Key was used with a different request.",
        "idempotency_key_reused",
        None,
    ),
}


def _error_response(description: str, code: str, field: str | None, status: str) -> Any:
    from partnerhub.api.exceptions import error_body

    body = error_body(int(status), code, description, field)
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[OpenApiExample(code, value=body, response_only=True, status_codes=[status])],
    )


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "Any unique string (e.g. a UUID), up to 255 characters. A retry with "
                        "the same key and body returns the first response and changes "
                        "nothing, for 24 hours; the same key with another body answers 422."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ERRORS)
        if self.method == "POST":
            errors.update(_POST_ERRORS)
        if self.method not in ("POST", "PUT", "PATCH"):
            errors.pop("415")
        for status, (description, code, field) in errors.items():
            if status in responses:
                continue
            responses[status] = self._get_response_for_code(
                _error_response(description, code, field, status), status, direction=direction
            )
        if "429" in responses:
            responses["429"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds until the key may send requests again.",
                }
            }
        return responses
