"""Refuse oversized request bodies before anything reads them.

Django enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.POST`` or ``request.body``
is read, and DRF's parsers read the raw stream, which bypasses that check. This middleware
looks at the declared ``Content-Length`` first and answers 413 at once: the body of a refused
request is never read, parsed or buffered. The limits are in settings and docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from partnerhub.api.exceptions import error_body


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def body_limit_for(request: HttpRequest) -> int:
    """File uploads (multipart) may be larger than other bodies (JSON, forms)."""
    if request.content_type == "multipart/form-data":
        return int(settings.REQUEST_UPLOAD_MAX_BYTES)
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(status, code, message), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(
                request, 400, "bad_content_length", "The Content-Length header is not a size."
            )
        limit = body_limit_for(request)
        if length > limit:
            return _refuse(
                request,
                413,
                "request_too_large",
                f"The request body is {_mb(length)}; the limit here is {_mb(limit)}.",
            )
        return self.get_response(request)
