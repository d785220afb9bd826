"""A program's referral destination (website, landing paths, other hosts): validation,
the settings page, the programs API, and ``/r/<code>?to=`` honouring it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from attribution.services import destinations
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from partners.models import ReferralDestination
from tests.factories import PartnershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(vendor):
    return PartnershipFactory(program=ProgramFactory(vendor=vendor), status="approved")


def _set(vendor, program, url="https://acme.example", **extra):
    return destinations.referral_destination_set(
        vendor=vendor, program_id=program.public_id, website_url=url, actor=Actor.system(), **extra
    )


def _landing(partnership, to):
    response = Client().get(f"/r/{partnership.referral_code}", {"to": to})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    return f"{location.scheme}://{location.netloc}{location.path}"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://acme.example", "must use https"),
        ("ftp://acme.example", "must use https"),
        ("javascript:alert(1)", "must use https"),
        ("https://user:pw@acme.example", "host name"),
        ("https://acme.example/?next=https://evil.example", "query"),
        ("https://", "host name"),
        ("https://localhost:8000", "host name"),
        ("https://acme.example\\@evil.example", "not a valid"),
        ("", "website's address"),
    ],
)
def test_website_must_be_an_https_host_without_tricks(vendor, partnership, url, reason, settings):
    settings.REFERRAL_DESTINATIONS_ALLOW_HTTP = False  # production
    with pytest.raises(ValidationError) as exc:
        _set(vendor, partnership.program, url)
    assert reason in exc.value.message_dict["website_url"][0]
    assert not ReferralDestination.objects.for_vendor(vendor).exists()


def test_http_and_localhost_are_allowed_only_when_the_dev_setting_says_so(
    vendor, partnership, settings
):
    settings.REFERRAL_DESTINATIONS_ALLOW_HTTP = True
    destination = _set(vendor, partnership.program, "http://localhost:8001/shop")
    assert destination.website_url == "http://localhost:8001/shop"
    assert _landing(partnership, "/cart") == "http://localhost:8001/shop/cart"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allowed_paths", ["pricing"]),
        ("allowed_paths", ["//evil.example"]),
        ("allowed_paths", ["/a?b"]),
        ("allowed_paths", "/pricing"),
        ("allowed_hosts", ["evil.example/path"]),
        ("allowed_hosts", ["*.acme.example"]),
        ("allowed_hosts", ["https://docs.acme.example"]),
        ("allowed_hosts", [42]),
    ],
)
def test_paths_and_hosts_are_validated(vendor, partnership, field, value):
    with pytest.raises(ValidationError) as exc:
        _set(vendor, partnership.program, **{field: value})
    assert field in exc.value.message_dict


def test_referral_link_honours_the_destination_paths_and_hosts(vendor, partnership, settings):
    settings.REFERRAL_DESTINATIONS_ALLOW_HTTP = False
    _set(
        vendor,
        partnership.program,
        allowed_paths=["/pricing", "/blog/"],
        allowed_hosts=["Docs.Acme.Example", "acme.example"],  # the site's own host is implied
    )
    destination = ReferralDestination.objects.for_vendor(vendor).get()
    assert destination.allowed_hosts == ["docs.acme.example"]
    assert _landing(partnership, "/pricing") == "https://acme.example/pricing"
    assert _landing(partnership, "/blog/launch") == "https://acme.example/blog/launch"
    assert _landing(partnership, "https://docs.acme.example/pricing") == (
        "https://docs.acme.example/pricing"
    )
    assert _landing(partnership, "https://acme.example/blog/x") == "https://acme.example/blog/x"
    for refused in [
        "/admin",  # not an allowed path
        "https://docs.acme.example/admin",  # allowed host, path not allowed
        "https://evil.example/pricing",  # another host
        "https://docs.acme.example.evil.example/pricing",
        "https://evil.example@docs.acme.example/pricing",  # credentials
        "http://docs.acme.example/pricing",  # http in production
        "https://docs.acme.example:8443/pricing",  # another port
        "https://docs.acme.example:bad/pricing",
        "//docs.acme.example/pricing",
    ]:
        assert _landing(partnership, refused) == "https://acme.example/", refused


def test_without_a_destination_links_go_to_the_program_page(vendor, partnership):
    _set(vendor, partnership.program)
    destinations.referral_destination_remove(
        actor=Actor.system(), vendor=vendor, program_id=partnership.program.public_id
    )
    program = partnership.program
    assert _landing(partnership, "/pricing") == f"http://testserver/p/{vendor.slug}/{program.slug}/"
    actions = AuditEntry.objects.for_vendor(vendor).order_by("created_at")
    assert [a.action for a in actions] == [
        "referral_destination.updated",
        "referral_destination.removed",
    ]


def test_manager_sets_the_destination_on_the_program_settings_page(
    vendor, partnership, manager, viewer, client_for
):
    program = partnership.program
    url = f"/app/{vendor.slug}/programs/{program.public_id}/"
    client = client_for(manager)
    assert "Website and referral links" in client.get(url).content.decode()
    bad = client.post(url, {"form": "destination", "website_url": "http://acme.example"})
    assert bad.status_code == 400
    assert "The website must use https://." in bad.content.decode()
    response = client.post(
        url,
        {
            "form": "destination",
            "website_url": "https://acme.example",
            "allowed_paths": "/pricing\n/blog/\n",
            "allowed_hosts": "docs.acme.example",
        },
    )
    assert response.status_code == 302
    destination = ReferralDestination.objects.for_vendor(vendor).get()
    assert (destination.allowed_paths, destination.allowed_hosts) == (
        ["/pricing", "/blog/"],
        ["docs.acme.example"],
    )
    assert AuditEntry.objects.for_vendor(vendor).get().actor_user == manager
    assert _landing(partnership, "https://docs.acme.example/blog/") == (
        "https://docs.acme.example/blog/"
    )
    page = client.get(url).content.decode()
    assert "/pricing\n/blog/" in page
    # Emptying the website removes the destination.
    client.post(url, {"form": "destination", "website_url": ""})
    assert not ReferralDestination.objects.for_vendor(vendor).exists()
    readonly = client_for(viewer)
    post = readonly.post(url, {"form": "destination", "website_url": "https://x.example"})
    assert post.status_code == 403


def test_programs_api_reads_replaces_and_removes_the_destination(
    vendor, other_vendor, partnership, api_client_for
):
    api = api_client_for(vendor, Role.MANAGER)
    url = f"/api/v1/programs/{partnership.program.public_id}/referral-destination"
    assert api.get(url).status_code == 404  # none yet: links go to the program page
    body = {
        "website_url": "https://acme.example",
        "allowed_paths": ["/pricing"],
        "allowed_hosts": ["docs.acme.example"],
    }
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert api.get(url).json() == body
    assert _landing(partnership, "https://docs.acme.example/pricing/annual") == (
        "https://docs.acme.example/pricing/annual"
    )
    bad = api.put(url, {**body, "website_url": "https://acme.example@evil.example"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "website_url"
    assert api.get(url).json() == body  # unchanged
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    viewer = api_client_for(vendor, Role.VIEWER)
    assert viewer.put(url, body, format="json").status_code == 403
    theirs = ProgramFactory(vendor=other_vendor)
    foreign = f"/api/v1/programs/{theirs.public_id}/referral-destination"
    assert api.put(foreign, body, format="json").status_code == 404
