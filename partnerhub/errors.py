"""Error pages: JSON in the API's error shape under /api/, HTML everywhere else."""

from __future__ import annotations

import sys

from django import db
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


_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head>
<body><h1>Temporarily unavailable</h1>
<p>We lost our connection to the database for a moment. Please try again in a few seconds.</p>
</body></html>"""


# Another transaction held what this one needed (a payout run linking the commissions a
# refund reverses, two bulk writes crossing): PostgreSQL aborted this one. Nothing was
# written; the same request sent again succeeds, so say 409 with a code saying so.
_CONFLICT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}


_CONFLICT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Please try again</title></head>
<body><h1>Please try again</h1>
<p>Another change to the same records was being saved at the same moment, so nothing was
saved. Go back and send the form again.</p>
</body></html>"""


def _database_conflict() -> bool:
    exc = sys.exc_info()[1]
    if not isinstance(exc, db.OperationalError):
        return False
    return getattr(exc.__cause__, "pgcode", None) in _CONFLICT_SQLSTATES


def _database_unavailable() -> bool:
    """The request failed because the database connection dropped (server restart, failover,
    a terminated backend): the request can be retried as it is, so say 503, not 500."""
    exc = sys.exc_info()[1]
    return isinstance(exc, db.OperationalError | db.InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    if _database_conflict():
        if _is_api(request):
            response: HttpResponse = api_errors.api_concurrent_update(request)
        else:
            response = HttpResponse(_CONFLICT_PAGE, status=409)
        response["Retry-After"] = "1"
        return response
    if _database_unavailable():
        # The broken connection is closed at the end of the request (Django's
        # close_if_unusable_or_obsolete), so the next request opens a fresh one.
        if _is_api(request):
            response = api_errors.api_service_unavailable(request)
        else:
            response = HttpResponse(_UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = "1"
        return response
    if _is_api(request):
        return api_errors.api_server_error(request)
    return defaults.server_error(request)
