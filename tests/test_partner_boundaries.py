"""A partner user — even one with an approved partnership in the vendor — cannot reach any
/app/ page of that vendor, with any method, nor use the vendor picker to get in."""

from __future__ import annotations

import pytest
from django.test import Client

from partnerhub.tenancy.models import Membership
from partners.models import Partnership
from tests.factories import PartnershipFactory, PartnerUserFactory, ProgramFactory
from tests.test_isolation_matrix import (
    _send,
    _url,
    tenant_routes,
)
from tests.test_isolation_matrix import (
    world as world,  # the shared two-vendor fixture, re-exported for pytest
)

pytestmark = pytest.mark.django_db


def test_a_partner_user_cannot_reach_any_dashboard_route_of_its_vendor(world, capsys):
    partner_user = PartnerUserFactory()
    PartnershipFactory(program=ProgramFactory(vendor=world["mine"]), partner=partner_user.partner)
    client = Client()
    client.force_login(partner_user.user)
    members_before = Membership.objects.for_vendor(world["mine"]).count()
    covered = 0
    for route in tenant_routes():
        if route.is_api or "vendor_slug" not in route.kwargs:
            continue
        for method in sorted(route.methods):
            url = _url(route, "mine", world["my_objects"])
            response = _send(client, method, url)
            assert response.status_code in (403, 404), (method, url, response.status_code)
            covered += 1
    # Nothing changed on the vendor's side: no membership was made for the partner.
    assert Membership.objects.for_vendor(world["mine"]).count() == members_before
    assert not Membership.objects.unscoped().filter(user=partner_user.user).exists()
    assert (
        Partnership.objects.for_vendor(world["mine"]).filter(partner=partner_user.partner).exists()
    )
    with capsys.disabled():
        print(f"\npartner boundary: {covered} dashboard route/method pairs refused a partner")
    assert covered >= 50


def test_the_vendor_picker_offers_a_partner_user_no_vendor(world):
    partner_user = PartnerUserFactory()
    PartnershipFactory(program=ProgramFactory(vendor=world["mine"]), partner=partner_user.partner)
    client = Client()
    client.force_login(partner_user.user)

    response = client.get("/app/", follow=True)

    body = response.content.decode()
    assert f"/app/{world['mine'].slug}/" not in body
    assert world["mine"].name not in body
