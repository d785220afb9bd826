import pytest

from partnerhub.tenancy.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_members_list_is_cursor_paginated_and_scoped(vendor, other_vendor, api_client_for):
    mine = [MembershipFactory(vendor=vendor, role=Role.MANAGER) for _ in range(5)]
    theirs = MembershipFactory(vendor=other_vendor)
    client = api_client_for(vendor)

    seen: list[str] = []
    response = client.get("/api/v1/members", {"limit": 2})
    pages = 0
    while True:
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        assert len(body["results"]) <= 2
        seen += [item["id"] for item in body["results"]]
        pages += 1
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert pages == 3
    assert sorted(seen) == sorted(m.public_id for m in mine)
    assert theirs.public_id not in seen


def test_members_filter_by_role_and_refuse_an_unknown_role(vendor, owner, viewer, api_client_for):
    client = api_client_for(vendor)
    body = client.get("/api/v1/members", {"role": "viewer"}).json()
    assert [item["email"] for item in body["results"]] == [viewer.email]
    response = client.get("/api/v1/members", {"role": "emperor"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "role"


def test_member_detail_by_public_id(vendor, owner, api_client_for):
    member = owner.memberships.get()
    body = api_client_for(vendor).get(f"/api/v1/members/{member.public_id}").json()
    assert body == {
        "id": member.public_id,
        "email": "owner@acme.example",
        "name": owner.full_name,
        "role": "owner",
        "created_at": member.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def test_another_vendors_member_is_404_like_a_missing_one(vendor, other_owner, api_client_for):
    client = api_client_for(vendor)
    theirs = other_owner.memberships.get()
    foreign = client.get(f"/api/v1/members/{theirs.public_id}")
    missing = client.get("/api/v1/members/mem_doesnotexist")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_limit_above_100_is_capped(vendor, api_client_for):
    for _ in range(3):
        MembershipFactory(vendor=vendor)
    assert len(api_client_for(vendor).get("/api/v1/members", {"limit": 500}).json()["results"]) == 3
