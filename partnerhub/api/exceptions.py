"""One error shape for the whole API:

    {"error": {"type": "...", "code": "...", "message": "...", "field": "name" | null,
               "errors": [{"code", "message", "field"}, ...]}}

``type`` is the family (invalid_request_error, authentication_error, permission_error,
not_found, conflict, rate_limit_error, api_error); ``code`` is the machine reason; ``field``
the first failing field as a dotted path (``items.3.amount``) when there is one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found",
    405: "invalid_request_error",
    406: "invalid_request_error",
    409: "conflict",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error_body(
    status_code: int,
    code: str,
    message: str,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "error": {
            "type": _TYPE_BY_STATUS.get(status_code, "api_error"),
            "code": code,
            "message": message,
            "field": field,
            "errors": errors or [],
        }
    }


def _flatten(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested ``detail`` into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            sub = str(key) if key != "non_field_errors" else ""
            items.extend(_flatten(value, f"{path}.{sub}" if path and sub else (sub or path)))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and not isinstance(value, exceptions.ErrorDetail):
                items.extend(_flatten(value, f"{path}.{index}" if path else str(index)))
            else:
                items.extend(_flatten(value, path))
        return items
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "code": str(code), "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    errors = _flatten(exc.detail)
    first = errors[0] if errors else {"field": None, "code": "error", "message": str(exc)}
    if isinstance(exc, exceptions.ValidationError):
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        code = first["code"]
    else:
        message = first["message"]
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    response.data = error_body(
        response.status_code, str(code), str(message), first["field"], errors
    )
    return response


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message), status=status_code)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(404, "not_found", "No such API route or object.")


def api_server_error(request: HttpRequest) -> JsonResponse:
    return _json_error(500, "server_error", "Something went wrong on our side; it was logged.")


def api_concurrent_update(request: HttpRequest) -> JsonResponse:
    return _json_error(
        409,
        "concurrent_update",
        "Another change to the same records was saved at the same moment and nothing of this "
        "request was written; send it again.",
    )


def api_service_unavailable(request: HttpRequest) -> JsonResponse:
    return _json_error(
        503, "service_unavailable", "The database is unavailable for a moment; retry the request."
    )


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(400, "bad_request", str(exception) if exception else "Bad request.")


def api_forbidden(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(403, "forbidden", "You may not do this.")
