"""The public referral link ``/r/<code>`` (and ``/r/<vendor>/<code>``): record the click, set
the attribution cookie for the program's window, redirect to the vendor's site."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from attribution.services.destinations import landing_url
from attribution.services.referrals import (
    COOKIE_NAME,
    click_record,
    partnership_for_link,
    redirect_with_referral,
)


def _client_ip(request: HttpRequest) -> str:
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


@require_GET
def referral_redirect(request: HttpRequest, referral_code: str, vendor: str = "") -> HttpResponse:
    partnership = partnership_for_link(referral_code=referral_code, vendor_slug=vendor)
    program_page = request.build_absolute_uri(
        reverse(
            "program_page",
            kwargs={"vendor": partnership.vendor.slug, "program_slug": partnership.program.slug},
        )
    )
    url = landing_url(
        partnership=partnership, to=request.GET.get("to", ""), program_page=program_page
    )
    click = click_record(
        partnership=partnership,
        landing=url,
        referrer=request.META.get("HTTP_REFERER", ""),
        ip=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    response = HttpResponseRedirect(
        redirect_with_referral(url=url, partnership=partnership, click=click)
    )
    response.set_cookie(
        COOKIE_NAME,
        f"{partnership.vendor.slug}.{partnership.referral_code}.{click.public_id}",
        max_age=partnership.program.attribution_window_days * 86400,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
