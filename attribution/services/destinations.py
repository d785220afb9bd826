"""Where a program's referral links land: the program's ``ReferralDestination`` (the vendor's
website, the landing paths and the extra hosts ``/r/<code>?to=`` may name), its validation,
and the open-redirect guard that picks the landing of one click.

The guarantee: a referral link only ever redirects to the program's website host, one of the
hosts the vendor listed, or (without a destination) the public program page — whatever
``?to=`` says. Destinations are https unless ``REFERRAL_DESTINATIONS_ALLOW_HTTP`` is set
(development settings only).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership, ReferralDestination
from programs.models import Program

MAX_ENTRIES = 50
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def _schemes() -> set[str]:
    return {"https", "http"} if settings.REFERRAL_DESTINATIONS_ALLOW_HTTP else {"https"}


def _unsafe_chars(text: str) -> bool:
    return "\\" in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _valid_host(host: str) -> bool:
    if host in _LOCAL_HOSTS:  # a developer's own site
        return bool(settings.REFERRAL_DESTINATIONS_ALLOW_HTTP)
    return bool(_HOST_RE.match(host))


def clean_website_url(url: Any) -> str:
    """An absolute https URL of a host name, without credentials, query or fragment."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(
            {"website_url": "Give the website's address, e.g. https://acme.example."}
        )
    url = url.strip()
    if _unsafe_chars(url) or len(url) > 200:
        raise ValidationError({"website_url": "This is not a valid web address."})
    parts = urlsplit(url)
    if parts.scheme not in _schemes():
        raise ValidationError({"website_url": "The website must use https://."})
    if "@" in parts.netloc or not parts.hostname or not _valid_host(parts.hostname):
        raise ValidationError({"website_url": "Give a host name, e.g. https://acme.example."})
    if parts.query or parts.fragment:
        raise ValidationError({"website_url": "Leave out the ?query and #fragment."})
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, "", ""))


def clean_allowed_paths(paths: Any) -> list[str]:
    """Path prefixes such as ``/pricing`` or ``/blog/`` (no host, no query)."""
    if paths is None:
        return []
    if not isinstance(paths, list) or len(paths) > MAX_ENTRIES:
        raise ValidationError({"allowed_paths": f"Give a list of up to {MAX_ENTRIES} paths."})
    cleaned: list[str] = []
    for value in paths:
        if not isinstance(value, str):
            raise ValidationError({"allowed_paths": "Each path is text such as /pricing."})
        value = value.strip()
        if (
            not value.startswith("/")
            or value.startswith("//")
            or _unsafe_chars(value)
            or any(ch in value for ch in "?#")
            or len(value) > 200
        ):
            raise ValidationError(
                {"allowed_paths": f"{value!r} is not a path on the website, e.g. /pricing."}
            )
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def clean_allowed_hosts(hosts: Any, *, website_host: str) -> list[str]:
    """Extra host names of the vendor (``docs.acme.example``); exact names, no wildcards."""
    if hosts is None:
        return []
    if not isinstance(hosts, list) or len(hosts) > MAX_ENTRIES:
        raise ValidationError({"allowed_hosts": f"Give a list of up to {MAX_ENTRIES} hosts."})
    cleaned: list[str] = []
    for value in hosts:
        host = value.strip().lower().rstrip(".") if isinstance(value, str) else ""
        if not _valid_host(host):
            raise ValidationError(
                {"allowed_hosts": f"{value!r} is not a host name such as docs.acme.example."}
            )
        if host != website_host and host not in cleaned:
            cleaned.append(host)
    return cleaned


def _audit_data(destination: ReferralDestination | None) -> dict[str, Any] | None:
    if destination is None:
        return None
    return {
        "website_url": destination.website_url,
        "allowed_paths": list(destination.allowed_paths or []),
        "allowed_hosts": list(destination.allowed_hosts or []),
    }


def referral_destination_get(*, vendor: Vendor, program: Program) -> ReferralDestination | None:
    return ReferralDestination.objects.for_vendor(vendor).filter(program=program).first()


@transaction.atomic
def referral_destination_set(
    *,
    vendor: Vendor,
    program_id: str,
    website_url: str,
    allowed_paths: list[str] | None = None,
    allowed_hosts: list[str] | None = None,
    actor: Actor,
) -> ReferralDestination:
    """Create or replace the program's destination (validated whole before writing; audited
    as ``referral_destination.updated`` with before/after)."""
    program = vendor_object_get(
        Program, vendor=vendor, public_id=program_id, field="program", lock=True
    )
    url = clean_website_url(website_url)
    host = urlsplit(url).hostname or ""
    paths = clean_allowed_paths(allowed_paths)
    hosts = clean_allowed_hosts(allowed_hosts, website_host=host)
    destination = referral_destination_get(vendor=vendor, program=program)
    before = _audit_data(destination)
    if destination is None:
        destination = ReferralDestination(vendor=vendor, program=program)
    destination.website_url = url
    destination.allowed_paths = paths
    destination.allowed_hosts = hosts
    destination.save()
    after = _audit_data(destination)
    if after != before:
        change_record(
            vendor=vendor,
            actor=actor,
            action="referral_destination.updated",
            target_type="program",
            target_id=program.public_id,
            before=before,
            after=after,
        )
    return destination


@transaction.atomic
def referral_destination_remove(*, vendor: Vendor, program_id: str, actor: Actor) -> None:
    """Remove the destination: the program's links land on its public program page again."""
    program = vendor_object_get(
        Program, vendor=vendor, public_id=program_id, field="program", lock=True
    )
    destination = referral_destination_get(vendor=vendor, program=program)
    if destination is None:
        return
    change_record(
        vendor=vendor,
        actor=actor,
        action="referral_destination.removed",
        target_type="program",
        target_id=program.public_id,
        before=_audit_data(destination),
    )
    destination.delete()


# --- one click ------------------------------------------------------------------------------


def _path_allowed(path: str, allowed: list[str]) -> bool:
    if not allowed:
        return True
    return any(
        path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/")
        for prefix in allowed
        if prefix.startswith("/")
    )


def _safe_target(to: str, destination: ReferralDestination) -> str | None:
    """The landing ``to`` names if it is safe, else None. A relative path (``/…``, not
    ``//``) is joined to the website; a full URL must use an allowed scheme and name the
    website's host or a listed host, without credentials. Either way the path must be under
    one of the allowed paths (when the destination lists any)."""
    if not to or _unsafe_chars(to):
        return None
    allowed_paths = list(destination.allowed_paths or [])
    if to.startswith("/") and not to.startswith("//"):
        parts = urlsplit(to)
        if parts.scheme or parts.netloc or not _path_allowed(parts.path, allowed_paths):
            return None
        return destination.website_url.rstrip("/") + to
    parts, site = urlsplit(to), urlsplit(destination.website_url)
    hosts = {site.hostname, *(destination.allowed_hosts or [])}
    if parts.scheme not in _schemes() or "@" in parts.netloc or parts.hostname not in hosts:
        return None
    try:
        port = parts.port
    except ValueError:  # "host:abc"
        return None
    if port is not None and (parts.hostname, port) != (site.hostname, site.port):
        return None
    path = parts.path or "/"
    if not _path_allowed(path, allowed_paths):
        return None
    return urlunsplit(SplitResult(parts.scheme, parts.netloc.lower(), path, parts.query, ""))


def landing_url(*, partnership: Partnership, to: str, program_page: str) -> str:
    """Where the click goes: an allowed ``to``, else the website's root; without a
    destination, the public program page. Never another host."""
    destination = referral_destination_get(vendor=partnership.vendor, program=partnership.program)
    if destination is None:
        return program_page
    return _safe_target(to, destination) or destination.website_url.rstrip("/") + "/"
