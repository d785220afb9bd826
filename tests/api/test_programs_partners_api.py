import pytest

from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import Event
from partners.models import Partnership
from tests.factories import (
    ApplicationFactory,
    JoinSourceFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def test_create_program_personas_and_join_sources_through_the_api(vendor, api_client_for):
    client = api_client_for(vendor, Role.MANAGER)
    program = client.post(
        "/api/v1/programs",
        {
            "name": "Resellers",
            "slug": "resellers",
            "kind": "reseller",
            "status": "active",
            "currency": "EUR",
            "payout_threshold_amount": 5000,
        },
        format="json",
    )
    assert program.status_code == 201, program.content
    body = program.json()
    assert body["id"].startswith("prg_")
    assert (body["attribution_window_days"], body["hold_period_days"]) == (90, 30)
    assert body["activation_target_days"] == 60
    assert body["payout_threshold_amount"] == 5000
    for name in ("Agency", "Freelancer"):
        response = client.post(
            "/api/v1/personas", {"name": name, "program_id": body["id"]}, format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["program"] == body["id"]
    for code, kind in (("web", "website"), ("news", "email"), ("ref", "partner_referral")):
        response = client.post(
            "/api/v1/join-sources", {"name": code, "code": code, "kind": kind}, format="json"
        )
        assert response.status_code == 201, response.content
    assert len(client.get("/api/v1/personas", {"program": body["id"]}).json()["results"]) == 2
    sources = client.get("/api/v1/join-sources").json()["results"]
    assert {s["category"] for s in sources} == {"owned", "referral"}
    patched = client.patch(
        f"/api/v1/programs/{body['id']}", {"application_mode": "open"}, format="json"
    )
    assert patched.json()["application_mode"] == "open"


def test_duplicate_slug_or_code_is_a_400_naming_the_field(vendor, other_vendor, api_client_for):
    ProgramFactory(vendor=vendor, slug="taken")
    ProgramFactory(vendor=other_vendor, slug="free-here")
    JoinSourceFactory(vendor=vendor, code="web")
    client = api_client_for(vendor)
    bad = client.post("/api/v1/programs", {"name": "X", "slug": "taken"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "slug"
    ok = client.post("/api/v1/programs", {"name": "X", "slug": "free-here"}, format="json")
    assert ok.status_code == 201
    bad = client.post("/api/v1/join-sources", {"name": "W", "code": "web"}, format="json")
    assert bad.json()["error"]["field"] == "code"
    bad = client.post(
        "/api/v1/programs", {"name": "Y", "slug": "y", "currency": "euro"}, format="json"
    )
    assert bad.json()["error"]["field"] == "currency"


def test_persona_with_another_vendors_program_is_refused(vendor, other_vendor, api_client_for):
    theirs = ProgramFactory(vendor=other_vendor)
    response = api_client_for(vendor).post(
        "/api/v1/personas", {"name": "A", "program_id": theirs.public_id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "program_id"


def test_partnership_list_filters_and_bounded_queries(
    vendor, other_vendor, api_client_for, django_assert_max_num_queries
):
    program, other_program = ProgramFactory(vendor=vendor), ProgramFactory(vendor=vendor)
    agency = PartnerPersonaFactory(vendor=vendor)
    web = JoinSourceFactory(vendor=vendor)
    wanted = PartnershipFactory(
        program=program, persona=agency, join_source=web, stage="activation"
    )
    for _ in range(5):
        PartnershipFactory(program=program, persona=agency, stage="recruitment")
    PartnershipFactory(program=other_program, persona=agency, join_source=web, stage="activation")
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    client = api_client_for(vendor)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/partnerships").json()
    assert len(body["results"]) == 7
    filtered = client.get(
        "/api/v1/partnerships",
        {
            "program": program.public_id,
            "persona": agency.public_id,
            "join_source": web.public_id,
            "stage": "activation",
            "status": "approved",
        },
    ).json()["results"]
    assert [p["id"] for p in filtered] == [wanted.public_id]
    assert filtered[0]["partner"]["email"] == wanted.partner.email
    assert client.get("/api/v1/partnerships", {"stage": "nirvana"}).status_code == 400


def test_create_partnership_invites_and_records_event(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor)
    client = api_client_for(vendor)
    response = client.post(
        "/api/v1/partnerships",
        {"program_id": program.public_id, "email": "new@partner.example"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["stage"]) == ("approved", "recruitment")
    event = Event.objects.for_vendor(vendor).get(type="partnership.created")
    assert event.data["id"] == body["id"]
    assert (event.actor_type, event.actor_id) == ("api_key", client.api_key.public_id)
    again = client.post(
        "/api/v1/partnerships",
        {"program_id": program.public_id, "email": "new@partner.example"},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["field"] == "email"
    bad = client.post(
        "/api/v1/partnerships", {"program_id": program.public_id, "email": "nope"}, format="json"
    )
    assert bad.json()["error"]["field"] == "email"
    assert Partnership.objects.for_vendor(vendor).count() == 1


def test_patch_partnership_corrects_persona_and_emits_updated(vendor, api_client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    persona = PartnerPersonaFactory(vendor=vendor)
    response = api_client_for(vendor).patch(
        f"/api/v1/partnerships/{partnership.public_id}",
        {"persona_id": persona.public_id},
        format="json",
    )
    assert response.json()["persona"] == persona.public_id
    assert Event.objects.for_vendor(vendor).filter(type="partnership.updated").count() == 1


def test_approve_and_reject_applications(vendor, other_vendor, api_client_for):
    first = ApplicationFactory(partnership__program__vendor=vendor)
    second = ApplicationFactory(partnership__program__vendor=vendor)
    theirs = ApplicationFactory(partnership__program__vendor=other_vendor)
    client = api_client_for(vendor, Role.MANAGER)
    approved = client.post(f"/api/v1/applications/{first.public_id}/approve", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    no_reason = client.post(f"/api/v1/applications/{second.public_id}/reject", {}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["field"] == "reason"
    rejected = client.post(
        f"/api/v1/applications/{second.public_id}/reject", {"reason": "Too small"}, format="json"
    )
    assert rejected.json()["decision_reason"] == "Too small"
    twice = client.post(f"/api/v1/applications/{first.public_id}/approve", {}, format="json")
    assert twice.status_code == 400
    assert "already approved" in twice.json()["error"]["message"]
    foreign = client.post(f"/api/v1/applications/{theirs.public_id}/approve", {}, format="json")
    assert foreign.status_code == 404
    types = set(Event.objects.for_vendor(vendor).values_list("type", flat=True))
    assert {"application.approved", "application.rejected", "partnership.updated"} <= types
    assert not Event.objects.for_vendor(other_vendor).exists()
    viewer = api_client_for(vendor, Role.VIEWER)
    listed = viewer.get("/api/v1/applications", {"status": "rejected"}).json()["results"]
    assert [a["id"] for a in listed] == [second.public_id]


def test_new_resources_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/programs",
        "/api/v1/personas",
        "/api/v1/join-sources",
        "/api/v1/partnerships/{partnership_id}",
        "/api/v1/applications/{application_id}/approve",
        "/api/v1/applications/{application_id}/reject",
    ):
        assert path in schema


def test_invite_replayed_with_the_same_idempotency_key_invites_once(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor)
    client = api_client_for(vendor)
    body = {"program_id": program.public_id, "email": "once@partner.example"}
    first = client.post("/api/v1/partnerships", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/partnerships", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Partnership.objects.for_vendor(vendor).count() == 1
    assert Event.objects.for_vendor(vendor).filter(type="partnership.created").count() == 1
