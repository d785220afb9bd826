"""Error pages: JSON in the API's error shape under /api/, HTML everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from partnerhub.api import exceptions as api_errors


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_errors.api_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_errors.api_forbidden(request, exception)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_errors.api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return api_errors.api_server_error(request)
    return defaults.server_error(request)
