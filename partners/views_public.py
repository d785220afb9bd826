"""The public program page ``/p/<vendor>/<program>/``: landing text and application form.

The join source is captured from the link: ``?source=<code>``, ``utm_*``, ``?ref=<code>`` of
a recruiting partner (kept in the form's action URL across the POST) and the HTTP referrer
of the first visit (kept in a hidden field).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from partners.forms import ApplicationForm
from partners.services import Tracking, application_submit
from programs.selectors import program_for_public_page


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
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = application_submit(
                    program=program,
                    email=email or data["email"],
                    name=data["name"],
                    company_name=data["company_name"],
                    answers=form.answers(),
                    tracking=Tracking.from_params(
                        request.GET, referrer=data.get("landing_referrer", "")
                    ),
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
        status = 400
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
