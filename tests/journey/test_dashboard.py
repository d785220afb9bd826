import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from journey.models import Nudge, StageRule, StageTransition
from tests.factories import PartnershipFactory, ProgramFactory, StageTransitionFactory

pytestmark = pytest.mark.django_db


def test_funnel_page_shows_chart_data_and_cohort_table(
    vendor, other_vendor, viewer, client_for, django_assert_max_num_queries
):
    program = ProgramFactory(vendor=vendor, name="Alpha")
    for _ in range(30):
        StageTransitionFactory(partnership=PartnershipFactory(program=program))
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor, name="Theirs"))
    client = client_for(viewer)
    with django_assert_max_num_queries(20):
        response = client.get(f"/app/{vendor.slug}/journey/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert 'id="funnel-data"' in page
    assert '"reached": [30, 30, 30, 0, 0]' in page
    assert 'id="cohorts"' in page
    assert "Alpha" in page
    assert "Theirs" not in page


def test_funnel_page_refuses_a_backwards_period_next_to_the_field(vendor, viewer, client_for):
    response = client_for(viewer).get(
        f"/app/{vendor.slug}/journey/", {"joined_from": "2026-05-01", "joined_to": "2026-01-01"}
    )
    assert "Must not be before the start of the period." in response.content.decode()


def test_empty_funnel_says_what_to_do_next(vendor, viewer, client_for):
    page = client_for(viewer).get(f"/app/{vendor.slug}/journey/").content.decode()
    assert "Invite partners or share a program page" in page


def test_at_risk_list_and_nudge_with_confirmation(vendor, manager, client_for):
    program = ProgramFactory(vendor=vendor, name="Alpha", activation_target_days=30)
    late = PartnershipFactory(program=program, approved_at=timezone.now() - dt.timedelta(days=31))
    PartnershipFactory(program=program, approved_at=timezone.now())
    client = client_for(manager)
    page = client.get(f"/app/{vendor.slug}/journey/at-risk/").content.decode()
    assert late.partner.name in page
    assert page.count("Nudge…") == 1
    nudge_url = f"/app/{vendor.slug}/journey/partnerships/{late.public_id}/nudge/?reason=at_risk"
    confirm = client.get(nudge_url).content.decode()
    assert "Your first step in Alpha" in confirm
    assert not mail.outbox  # the GET only previews
    response = client.post(nudge_url, {"reason": "at_risk"})
    assert response.status_code == 302
    assert Nudge.objects.for_vendor(vendor).get().partnership == late


def test_manager_moves_a_partnership_from_its_journey_page(vendor, manager, client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    url = f"/app/{vendor.slug}/journey/partnerships/{partnership.public_id}/"
    client = client_for(manager)
    refused = client.post(url, {"to_stage": "activation", "reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert client.post(url, {"to_stage": "activation", "reason": "Signed"}).status_code == 302
    partnership.refresh_from_db()
    assert partnership.stage == "activation"
    page = client.get(url).content.decode()
    assert "Recruitment → Activation" in page
    assert StageTransition.objects.for_vendor(vendor).get().actor_user == manager


def test_rules_page_previews_then_saves_and_shows_errors_by_field(vendor, manager, client_for):
    program = ProgramFactory(vendor=vendor)
    PartnershipFactory(program=program)
    url = f"/app/{vendor.slug}/journey/programs/{program.public_id}/rules/"
    client = client_for(manager)
    rules = '[{"stage": "activation", "criteria": [[{"metric": "approved", "value": 1}]]}]'
    preview = client.post(url, {"rules": rules, "preview": "1"}).content.decode()
    assert "Dry run: 1 partnership would move" in preview
    assert not StageRule.objects.for_vendor(vendor).exists()
    assert client.post(url, {"rules": rules, "save": "1"}).status_code == 302
    assert StageRule.objects.for_vendor(vendor).get().stage == "activation"
    bad = client.post(
        url, {"rules": '[{"stage": "activation", "criteria": [[{"metric": "karma", "value": 1}]]}]'}
    )
    assert bad.status_code == 400
    assert "Unknown metric" in bad.content.decode()
    assert "Not valid JSON" in client.post(url, {"rules": "[{"}).content.decode()
