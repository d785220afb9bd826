"""The public program page ``/p/<vendor>/<program>/``: landing text and application form.

A signed-in user (allauth only lets in verified e-mail addresses) applies at once, as their
account. Anyone else gets a confirmation link e-mailed to the address they typed, and the
application is made only when it is followed (``.../confirm/<token>/``): nobody can apply
under someone else's e-mail address.

The join source is captured from the link: ``?source=<code>``, ``utm_*``, ``?ref=<code>`` of
a recruiting partner (kept in the form's action URL across the POST) and the HTTP referrer
of the first visit (kept in a hidden field).

Confirmation e-mails are rate limited (``ACCOUNT_RATE_LIMITS["program_application_email"]``,
counted by django-allauth in the shared Redis cache) per address and per client IP, so the
form cannot be used to flood someone's inbox; docs/security.md lists the limits.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from partners.forms import ApplicationForm
from partners.services.applications import (
    Tracking,
    application_confirm,
    application_confirmation_read,
    application_confirmation_send,
    application_submit,
)
from programs.selectors import program_for_public_page

CONFIRMATION_RATE_LIMIT_ACTION = "program_application_email"
TOO_MANY_CONFIRMATIONS = (
    "Too many confirmation e-mails were asked for this address or from your network. "
    "Check your inbox for the link already sent, or try again in an hour."
)


@require_http_methods(["GET", "POST"])
def program_page(request: HttpRequest, vendor: str, program_slug: str) -> HttpResponse:
    try:
        program = program_for_public_page(vendor_slug=vendor, program_slug=program_slug)
    except Http404:
        return render(request, "partners/public/not_found.html", status=404)
    user = request.user if request.user.is_authenticated else None
    email = getattr(user, "email", "")
    if request.method == "POST":
        form = ApplicationForm(request.POST, program=program, email=email)
        status = 400
        if (
            form.is_valid()
            and user is None
            and not ratelimit.consume(
                request,
                action=CONFIRMATION_RATE_LIMIT_ACTION,
                key=form.cleaned_data["email"].strip().lower(),
            )
        ):
            form.add_error(None, TOO_MANY_CONFIRMATIONS)
            status = 429
        if form.is_valid():
            data = form.cleaned_data
            tracking = Tracking.from_params(request.GET, referrer=data.get("landing_referrer", ""))
            try:
                if user is None:
                    application_confirmation_send(
                        program=program,
                        email=data["email"],
                        name=data["name"],
                        company_name=data["company_name"],
                        answers=form.answers(),
                        tracking=tracking,
                        confirm_url=lambda token: request.build_absolute_uri(
                            reverse(
                                "program_application_confirm", args=[vendor, program_slug, token]
                            )
                        ),
                    )
                    return render(
                        request,
                        "partners/public/check_inbox.html",
                        {"program": program, "email": data["email"]},
                    )
                application = application_submit(
                    program=program,
                    email=email,
                    name=data["name"],
                    company_name=data["company_name"],
                    answers=form.answers(),
                    tracking=tracking,
                    user=user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = f"q_{field}" if f"q_{field}" in form.fields else field
                    form.add_error(target if target in form.fields else None, errors)
            else:
                return render(
                    request,
                    "partners/public/applied.html",
                    {"program": program, "application": application},
                )
    else:
        form = ApplicationForm(
            program=program,
            email=email,
            initial={
                "landing_referrer": request.META.get("HTTP_REFERER", "")[:500],
                "name": getattr(user, "full_name", ""),
            },
        )
        status = 200
    return render(
        request,
        "partners/public/program.html",
        {"program": program, "form": form, "open": program.accepts_applications},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def program_application_confirm(
    request: HttpRequest, vendor: str, program_slug: str, confirmation: str
) -> HttpResponse:
    """The link of the confirmation e-mail: GET shows what will be sent (mail scanners that
    open links change nothing), POST makes the application."""
    try:
        program = program_for_public_page(vendor_slug=vendor, program_slug=program_slug)
    except Http404:
        return render(request, "partners/public/not_found.html", status=404)
    try:
        if request.method == "POST":
            application = application_confirm(program=program, token=confirmation)
            return render(
                request,
                "partners/public/applied.html",
                {"program": program, "application": application},
            )
        read = application_confirmation_read(program=program, token=confirmation)
    except ValidationError as exc:
        errors = [e for messages in exc.message_dict.values() for e in messages]
        return render(
            request,
            "partners/public/confirm.html",
            {"program": program, "errors": errors},
            status=400,
        )
    return render(
        request, "partners/public/confirm.html", {"program": program, "confirmation": read}
    )
