import pytest

from journey.models import StageTransition
from partnerhub.tenancy.models import Role
from tests.factories import PartnershipFactory, ProgramFactory, StageTransitionFactory

pytestmark = pytest.mark.django_db


def test_manager_key_moves_a_partnership_and_history_shows_it(vendor, api_client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    client = api_client_for(vendor, role=Role.MANAGER)
    response = client.post(
        f"/api/v1/partnerships/{partnership.public_id}/transition",
        {"to_stage": "activation", "reason": "Closed a deal offline"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["from_stage"] == "recruitment"
    assert body["to_stage"] == "activation"
    assert body["actor"] == {"type": "api_key", "id": client.api_key.public_id}
    assert body["reason"] == "Closed a deal offline"
    assert body["metrics"]["approved"] == 1

    history = client.get(f"/api/v1/partnerships/{partnership.public_id}/transitions").json()
    assert [t["id"] for t in history["results"]] == [body["id"]]
    assert set(history) == {"next", "previous", "results"}


def test_a_move_to_the_current_stage_answers_409_with_the_allowed_moves(vendor, api_client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="devotion")
    response = api_client_for(vendor).post(
        f"/api/v1/partnerships/{partnership.public_id}/transition",
        {"to_stage": "devotion", "reason": "again"},
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stage_move_not_allowed"
    assert error["field"] == "to_stage"
    assert error["allowed_moves"] == ["interest", "recruitment", "activation", "investment"]
    assert not StageTransition.objects.for_vendor(vendor).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"to_stage": "activation"}, "reason"), ({"to_stage": "heaven", "reason": "x"}, "to_stage")],
)
def test_bad_transition_input_is_400_naming_the_field(vendor, api_client_for, payload, field):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    response = api_client_for(vendor).post(
        f"/api/v1/partnerships/{partnership.public_id}/transition", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    partnership.refresh_from_db()
    assert partnership.stage == "recruitment"


def test_viewer_key_cannot_move(vendor, api_client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    response = api_client_for(vendor, role=Role.VIEWER).post(
        f"/api/v1/partnerships/{partnership.public_id}/transition",
        {"to_stage": "activation", "reason": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_transitions_of_another_vendors_partnership_are_404(vendor, other_vendor, api_client_for):
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    StageTransitionFactory(partnership=theirs)
    client = api_client_for(vendor)
    foreign = client.get(f"/api/v1/partnerships/{theirs.public_id}/transitions")
    missing = client.get("/api/v1/partnerships/ptn_missing/transitions")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_transitions_filter_by_stage_and_bounded_queries(
    vendor, api_client_for, django_assert_max_num_queries
):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    for src, dst in [("recruitment", "activation"), ("activation", "investment")] * 10:
        StageTransitionFactory(partnership=partnership, from_stage=src, to_stage=dst)
    client = api_client_for(vendor)
    url = f"/api/v1/partnerships/{partnership.public_id}/transitions"
    with django_assert_max_num_queries(8):
        body = client.get(url, {"to_stage": "investment"}).json()
    assert len(body["results"]) == 10
    assert {t["to_stage"] for t in body["results"]} == {"investment"}
    assert client.get(url, {"to_stage": "nowhere"}).status_code == 400


def test_funnel_endpoint_groups_and_validates(
    vendor, other_vendor, api_client_for, django_assert_max_num_queries
):
    program = ProgramFactory(vendor=vendor, name="Alpha")
    PartnershipFactory.create_batch(2, program=program)
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    client = api_client_for(vendor)
    with django_assert_max_num_queries(6):  # auth + one funnel query
        body = client.get("/api/v1/analytics/funnel", {"group_by": "program"}).json()
    assert body["group_by"] == "program"
    [group] = body["groups"]
    assert group["key"] == program.public_id
    assert group["partnerships"] == 2
    assert group["stages"]["recruitment"] == 2
    bad = client.get("/api/v1/analytics/funnel", {"group_by": "planet"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "group_by"
    backwards = client.get(
        "/api/v1/analytics/funnel", {"joined_from": "2026-05-01", "joined_to": "2026-04-01"}
    )
    assert backwards.json()["error"]["field"] == "joined_to"


def test_journey_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for operation in ("partnership_transition", "partnership_transitions_list", "analytics_funnel"):
        assert operation in schema
