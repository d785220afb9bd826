"""Commission plans: the service layer (validation, audit, events), the rule that an edit
never rewrites the ledger, the API and the dashboard pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import Event
from payouts.models import Commission, CommissionPlan, CommissionPlanTier
from payouts.services import plans
from payouts.services.commissions import commissions_recompute
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, amounts, invoice, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(vendor):
    return ProgramFactory(vendor=vendor, currency="USD", name="Agency referral")


def _percent_plan(vendor, program, **extra):
    fields = {"name": "15% recurring", "kind": "percent", "rate": "0.15", **extra}
    fields.setdefault("actor", Actor.system())
    return plans.commission_plan_create(vendor=vendor, program_id=program.public_id, **fields)


def _plans(vendor):
    return CommissionPlan.objects.for_vendor(vendor)


# --- services -------------------------------------------------------------------------------


def test_create_stores_the_plan_its_tiers_an_audit_row_and_an_event(vendor, program, admin):
    plan = _percent_plan(
        vendor,
        program,
        duration_months=12,
        cap_per_customer_amount=50000,
        tiers=[
            {"from_stage": "devotion", "rate": "0.25"},  # any order: stored by stage
            {"from_stage": "investment", "rate": "0.20"},
        ],
        actor=Actor.for_user(admin),
    )
    assert (plan.rate, plan.duration_months, plan.cap_per_customer_amount) == (
        Decimal("0.150000"),
        12,
        50000,
    )
    tiers = CommissionPlanTier.objects.for_vendor(vendor).filter(plan=plan).order_by("rate")
    assert [(t.from_stage, t.rate) for t in tiers] == [
        ("investment", Decimal("0.200000")),
        ("devotion", Decimal("0.250000")),
    ]
    entry = AuditEntry.objects.for_vendor(vendor).get(action="commission_plan.created")
    assert entry.target_id == plan.public_id
    assert entry.actor_user == admin
    assert entry.before is None
    assert entry.after["rate"] == "0.150000"
    assert entry.after["currency"] == "USD"  # from the program
    assert entry.after["tiers"] == [
        {"from_stage": "investment", "rate": "0.200000"},
        {"from_stage": "devotion", "rate": "0.250000"},
    ]
    event = Event.objects.for_vendor(vendor).get(type="commission_plan.created")
    assert event.data["id"] == plan.public_id


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"rate": "1.5"}, "rate", "between 0 and 1"),
        ({"rate": "-0.1"}, "rate", "between 0 and 1"),
        ({"rate": "0.1234567"}, "rate", "6 decimal places"),
        ({"rate": 0.15}, "rate", "decimal string"),
        ({"rate": "abc"}, "rate", "decimal"),
        ({"rate": "0"}, "rate", "above 0"),
        ({"bounty_amount": 5000}, "bounty_amount", "Only bounty plans"),
        ({"kind": "bounty_customer", "rate": "0"}, "bounty_amount", "amount above 0"),
        ({"kind": "bounty_customer", "bounty_amount": 5000}, "rate", "not a rate"),
        (
            {"kind": "bounty_lead", "rate": None, "bounty_amount": 5000, "duration_months": 3},
            "duration_months",
            "paid once",
        ),
        (
            {"kind": "bounty_lead", "rate": None, "bounty_amount": 5000, "tiers": []},
            None,
            None,
        ),
        (
            {
                "kind": "bounty_customer",
                "rate": None,
                "bounty_amount": 5000,
                "cap_per_customer_amount": 100,
            },
            "cap_per_customer_amount",
            "Only percent plans",
        ),
        (
            {
                "kind": "bounty_customer",
                "rate": None,
                "bounty_amount": 5000,
                "tiers": [{"from_stage": "devotion", "rate": "0.2"}],
            },
            "tiers",
            "only percent plans",
        ),
        ({"bounty_amount": 12.5, "kind": "bounty_lead", "rate": None}, "bounty_amount", "whole"),
        ({"duration_months": 0}, "duration_months", "1 to 1200"),
        ({"cap_per_customer_amount": 0}, "cap_per_customer_amount", "above 0"),
        ({"name": "  "}, "name", "name"),
        ({"kind": "salary"}, "kind", "must be one of"),
        ({"tiers": [{"from_stage": "investment", "rate": "0.15"}]}, "tiers", "more than"),
        (
            {
                "tiers": [
                    {"from_stage": "investment", "rate": "0.25"},
                    {"from_stage": "devotion", "rate": "0.20"},
                ]
            },
            "tiers",
            "must pay more than the tier from Investment",
        ),
        (
            {
                "tiers": [
                    {"from_stage": "devotion", "rate": "0.2"},
                    {"from_stage": "devotion", "rate": "0.3"},
                ]
            },
            "tiers",
            "Two tiers",
        ),
        ({"tiers": [{"from_stage": "interest", "rate": "0.2"}]}, "tiers", "Interest"),
        ({"tiers": [{"from_stage": "heaven", "rate": "0.2"}]}, "tiers", "from_stage"),
        ({"tiers": [{"from_stage": "devotion", "rate": "2"}]}, "tiers", "between 0 and 1"),
        ({"tiers": "devotion"}, "tiers", "list"),
    ],
)
def test_nonsense_is_refused_with_field_and_reason_and_writes_nothing(
    vendor, program, fields, field, reason
):
    base = {"name": "Plan", "kind": "percent", "rate": "0.15"}
    if field is None:  # the control case: a valid bounty plan is accepted
        plans.commission_plan_create(
            actor=Actor.system(), vendor=vendor, program_id=program.public_id, **{**base, **fields}
        )
        assert _plans(vendor).count() == 1
        return
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_create(
            actor=Actor.system(), vendor=vendor, program_id=program.public_id, **{**base, **fields}
        )
    assert field in exc.value.message_dict
    assert reason in " ".join(exc.value.message_dict[field])
    assert not _plans(vendor).exists()
    assert not AuditEntry.objects.for_vendor(vendor).exists()


def test_program_and_persona_must_be_the_vendors_and_fit(vendor, other_vendor, program):
    foreign = ProgramFactory(vendor=other_vendor)
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_create(
            actor=Actor.system(),
            vendor=vendor,
            program_id=foreign.public_id,
            name="x",
            kind="percent",
            rate="0.1",
        )
    assert exc.value.message_dict == {"program": ["Unknown program."]}
    elsewhere = PartnerPersonaFactory(vendor=vendor, program=ProgramFactory(vendor=vendor))
    with pytest.raises(ValidationError) as exc:
        _percent_plan(vendor, program, persona_id=elsewhere.public_id)
    assert exc.value.message_dict == {"persona": ["This persona belongs to another program."]}
    theirs = PartnerPersonaFactory(vendor=other_vendor)
    with pytest.raises(ValidationError) as exc:
        _percent_plan(vendor, program, persona_id=theirs.public_id)
    assert exc.value.message_dict == {"persona": ["Unknown persona."]}


def test_a_second_active_plan_of_one_kind_for_the_same_persona_is_refused(vendor, program):
    first = _percent_plan(vendor, program)
    with pytest.raises(ValidationError) as exc:
        _percent_plan(vendor, program, name="Another")
    assert first.public_id in exc.value.message_dict["kind"][0]
    # A persona plan (replaces the general one for that persona), a bounty, or a plan after
    # the first was deactivated are fine.
    persona = PartnerPersonaFactory(vendor=vendor, program=program)
    _percent_plan(vendor, program, name="Agencies", persona_id=persona.public_id)
    plans.commission_plan_create(actor=Actor.system(),
        vendor=vendor, program_id=program.public_id, name="B", kind="bounty_customer",
        bounty_amount=5000,
    )  # fmt: skip
    plans.commission_plan_deactivate(actor=Actor.system(), vendor=vendor, plan_id=first.public_id)
    _percent_plan(vendor, program, name="20% recurring", rate="0.2")
    assert _plans(vendor).filter(is_active=True).count() == 3


def test_update_audits_before_and_after_and_refuses_moving_program_or_kind(vendor, program, admin):
    plan = _percent_plan(vendor, program)
    plans.commission_plan_update(
        vendor=vendor,
        plan_id=plan.public_id,
        rate="0.20",
        tiers=[{"from_stage": "devotion", "rate": "0.25"}],
        actor=Actor.for_user(admin),
    )
    entry = AuditEntry.objects.for_vendor(vendor).get(action="commission_plan.updated")
    assert (entry.before["rate"], entry.after["rate"]) == ("0.150000", "0.200000")
    assert (entry.before["tiers"], entry.after["tiers"]) == (
        [],
        [{"from_stage": "devotion", "rate": "0.250000"}],
    )
    assert Event.objects.for_vendor(vendor).filter(type="commission_plan.updated").count() == 1
    # The same values again: nothing changed, nothing recorded.
    plans.commission_plan_update(
        actor=Actor.system(), vendor=vendor, plan_id=plan.public_id, rate="0.2"
    )
    assert AuditEntry.objects.for_vendor(vendor).filter(action__endswith="updated").count() == 1
    # Lowering the base rate keeps the tiers valid; raising it above them is refused.
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_update(
            actor=Actor.system(), vendor=vendor, plan_id=plan.public_id, rate="0.30"
        )
    assert "tiers" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_update(
            actor=Actor.system(),
            vendor=vendor,
            plan_id=plan.public_id,
            program_id=ProgramFactory(vendor=vendor).public_id,
        )
    assert "program" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_update(
            actor=Actor.system(), vendor=vendor, plan_id=plan.public_id, kind="bounty_lead"
        )
    assert "kind" in exc.value.message_dict
    plan.refresh_from_db()
    assert plan.rate == Decimal("0.200000")


# --- the ledger is never rewritten ------------------------------------------------------------


def test_editing_a_plan_applies_to_events_computed_after_it_and_keeps_past_commissions(
    vendor, program
):
    plan = _percent_plan(vendor, program)
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c1")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 10000)])
    plans.commission_plan_update(
        actor=Actor.system(), vendor=vendor, plan_id=plan.public_id, rate="0.20"
    )
    later = T0 + dt.timedelta(days=31)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-2", "c1", 9999, later)])
    # Before: 15% of 100.00 = 15.00. After: 20% of 99.99 = 1999.8 → 2000 (half-even).
    assert amounts(vendor) == [1500, 2000]
    first = Commission.objects.for_vendor(vendor).get(revenue_event__external_id="in-1")
    assert first.rate == Decimal("0.150000")
    # Recomputing the whole vendor creates nothing and changes nothing.
    assert commissions_recompute(vendor=vendor) == 0
    assert amounts(vendor) == [1500, 2000]
    # A refund of half the first invoice reverses half of what it paid (15%), not 20%.
    revenue_events_ingest(vendor=vendor, items=[refund("rf-1", "c1", 5000, of="in-1")])
    assert amounts(vendor, kind="clawback") == [-750]


def test_stage_tiers_made_by_the_service_pay_the_higher_rate(vendor, program):
    _percent_plan(
        vendor,
        program,
        tiers=[
            {"from_stage": "investment", "rate": "0.20"},
            {"from_stage": "devotion", "rate": "0.25"},
        ],
    )
    for stage, external_id in [("activation", "a"), ("investment", "i"), ("devotion", "d")]:
        partnership = PartnershipFactory(program=program)
        type(partnership).objects.unscoped().filter(pk=partnership.pk).update(stage=stage)
        CustomerFactory(partnership=partnership, external_id=external_id)
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice(f"in-{c}", c, 4999) for c in ("a", "i", "d")],
    )
    # 15% of 49.99 = 7.4985 → 750; 20% = 999.8 → 1000; 25% = 1249.75 → 1250.
    # By customer: one INSERT … SELECT writes the three, in whatever order its plan yields.
    by_customer = Commission.objects.for_vendor(vendor).values_list(
        "customer__external_id", "amount"
    )
    assert sorted(by_customer) == [("a", 750), ("d", 1250), ("i", 1000)]


def test_deactivated_plan_pays_nothing_more_but_its_commissions_stay(vendor, program, admin):
    plan = _percent_plan(vendor, program)
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c1")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 10000)])
    plans.commission_plan_deactivate(
        vendor=vendor, plan_id=plan.public_id, reason="New pricing", actor=Actor.for_user(admin)
    )
    plans.commission_plan_deactivate(
        actor=Actor.system(), vendor=vendor, plan_id=plan.public_id
    )  # no-op
    later = T0 + dt.timedelta(days=31)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-2", "c1", 10000, later)])
    assert amounts(vendor) == [1500]
    entries = AuditEntry.objects.for_vendor(vendor).filter(action="commission_plan.deactivated")
    assert [(e.before["is_active"], e.after["is_active"], e.reason) for e in entries] == [
        (True, False, "New pricing")
    ]


def test_reactivated_plan_pays_again_from_then_on_and_the_audit_says_who_and_why(
    vendor, program, admin
):
    plan = _percent_plan(vendor, program)
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c1")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 10000)])
    plans.commission_plan_deactivate(actor=Actor.system(), vendor=vendor, plan_id=plan.public_id)
    off_month = T0 + dt.timedelta(days=31)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-2", "c1", 10000, off_month)])
    plans.commission_plan_reactivate(
        vendor=vendor, plan_id=plan.public_id, reason="Promo over", actor=Actor.for_user(admin)
    )
    plans.commission_plan_reactivate(
        actor=Actor.system(), vendor=vendor, plan_id=plan.public_id
    )  # no-op
    on_month = T0 + dt.timedelta(days=62)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-3", "c1", 4999, on_month)])
    # 15% of 100.00 = 1500; nothing for in-2 (plan off); 15% of 49.99 = 7.4985 -> 750.
    assert amounts(vendor) == [1500, 750]
    entries = AuditEntry.objects.for_vendor(vendor).filter(action="commission_plan.reactivated")
    assert [
        (e.before["is_active"], e.after["is_active"], e.reason, e.actor_user) for e in entries
    ] == [(False, True, "Promo over", admin)]
    assert Event.objects.for_vendor(vendor).filter(type="commission_plan.reactivated").count() == 1


def test_reactivation_is_refused_while_an_active_twin_pays_the_same_program(vendor, program):
    old = _percent_plan(vendor, program)
    plans.commission_plan_deactivate(actor=Actor.system(), vendor=vendor, plan_id=old.public_id)
    new = _percent_plan(vendor, program, name="20% recurring", rate="0.2")
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_reactivate(actor=Actor.system(), vendor=vendor, plan_id=old.public_id)
    assert new.public_id in exc.value.message_dict["kind"][0]
    old.refresh_from_db()
    assert not old.is_active
    assert (
        not AuditEntry.objects.for_vendor(vendor)
        .filter(action="commission_plan.reactivated")
        .exists()
    )


def test_reactivating_another_vendors_plan_is_unknown(vendor, other_vendor, program):
    foreign = ProgramFactory(vendor=other_vendor)
    plan = _percent_plan(other_vendor, foreign)
    plans.commission_plan_deactivate(
        actor=Actor.system(), vendor=other_vendor, plan_id=plan.public_id
    )
    with pytest.raises(ValidationError) as exc:
        plans.commission_plan_reactivate(
            actor=Actor.system(), vendor=vendor, plan_id=plan.public_id
        )
    assert "plan" in exc.value.message_dict
    plan.refresh_from_db()
    assert not plan.is_active


# --- API ------------------------------------------------------------------------------------


def test_api_admin_creates_lists_updates_and_deactivates_plans(
    vendor, other_vendor, program, api_client_for
):
    api = api_client_for(vendor, Role.ADMIN)
    body = {
        "program": program.public_id,
        "name": "Agency 15%",
        "kind": "percent",
        "rate": "0.15",
        "duration_months": 24,
        "tiers": [{"from_stage": "investment", "rate": "0.2"}],
    }
    response = api.post(
        "/api/v1/commission-plans", body, format="json", HTTP_IDEMPOTENCY_KEY="plan-1"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["id"].startswith("cpl_")
    assert (created["rate"], created["currency"], created["is_active"]) == ("0.150000", "USD", True)
    assert created["tiers"] == [{"from_stage": "investment", "rate": "0.200000"}]
    replay = api.post(
        "/api/v1/commission-plans", body, format="json", HTTP_IDEMPOTENCY_KEY="plan-1"
    )
    assert replay.json()["id"] == created["id"]
    assert replay["Idempotent-Replayed"] == "true"
    assert _plans(vendor).count() == 1

    plans.commission_plan_create(actor=Actor.system(),
        vendor=vendor, program_id=program.public_id, name="Bounty", kind="bounty_customer",
        bounty_amount=5000,
    )  # fmt: skip
    CommissionPlanFactory(program=ProgramFactory(vendor=other_vendor))
    listed = api.get("/api/v1/commission-plans", {"program": program.public_id, "limit": 1})
    assert listed.status_code == 200
    page = listed.json()
    assert len(page["results"]) == 1
    assert page["next"]
    second = api.get(page["next"]).json()
    assert {page["results"][0]["name"], second["results"][0]["name"]} == {"Agency 15%", "Bounty"}
    bounties = api.get("/api/v1/commission-plans", {"kind": "bounty_customer"}).json()["results"]
    assert [p["bounty_amount"] for p in bounties] == [5000]

    url = f"/api/v1/commission-plans/{created['id']}"
    updated = api.patch(url, {"rate": "0.2", "tiers": []}, format="json")
    assert updated.status_code == 200, updated.content
    assert (updated.json()["rate"], updated.json()["tiers"]) == ("0.200000", [])
    bad = api.patch(url, {"tiers": [{"from_stage": "devotion", "rate": "0.1"}]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "tiers"
    off = api.post(f"{url}/deactivate", {"reason": "replaced"}, format="json")
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    inactive = api.get("/api/v1/commission-plans", {"is_active": "false"}).json()["results"]
    assert [p["id"] for p in inactive] == [created["id"]]
    on = api.post(f"{url}/reactivate", {"reason": "back"}, format="json")
    assert on.status_code == 200, on.content
    assert on.json()["is_active"] is True


def test_api_refuses_bad_input_with_the_field(vendor, other_vendor, program, api_client_for):
    api = api_client_for(vendor, Role.ADMIN)
    foreign = ProgramFactory(vendor=other_vendor)
    cases = [
        ({"program": foreign.public_id, "name": "x", "kind": "percent", "rate": "0.1"}, "program"),
        ({"program": program.public_id, "name": "x", "kind": "percent", "rate": "1.01"}, "rate"),
        ({"program": program.public_id, "name": "x", "kind": "bounty_lead"}, "bounty_amount"),
        ({"program": program.public_id, "name": "x", "kind": "percent"}, "rate"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/commission-plans", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["error"]["field"].startswith(field), response.json()
    assert not _plans(vendor).exists()


def test_api_managers_and_viewers_read_plans_but_cannot_write(vendor, program, api_client_for):
    plan = _percent_plan(vendor, program)
    for role in (Role.MANAGER, Role.VIEWER):
        api = api_client_for(vendor, role)
        assert api.get(f"/api/v1/commission-plans/{plan.public_id}").status_code == 200
        body = {"program": program.public_id, "name": "x", "kind": "percent", "rate": "0.3"}
        assert api.post("/api/v1/commission-plans", body, format="json").status_code == 403
        url = f"/api/v1/commission-plans/{plan.public_id}"
        assert api.patch(url, {"rate": "0.5"}, format="json").status_code == 403
        assert api.post(f"{url}/deactivate").status_code == 403
        assert api.post(f"{url}/reactivate").status_code == 403
    plan.refresh_from_db()
    assert (plan.rate, plan.is_active) == (Decimal("0.150000"), True)


# --- dashboard ------------------------------------------------------------------------------


def _form(program, **extra):
    data = {
        "program": program.public_id,
        "persona": "",
        "name": "Agency 15%",
        "kind": "percent",
        "rate": "15",
        "duration_months": "",
        "bounty_amount": "",
        "cap_per_customer_amount": "",
        "tiers-TOTAL_FORMS": "4",
        "tiers-INITIAL_FORMS": "0",
    }
    for i in range(4):
        data[f"tiers-{i}-from_stage"] = ""
        data[f"tiers-{i}-rate"] = ""
    data.update(extra)
    return data


def test_admin_creates_a_plan_with_tiers_in_the_dashboard(vendor, program, admin, client_for):
    client = client_for(admin)
    url = f"/app/{vendor.slug}/commission-plans/new/?program={program.public_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{program.public_id}" selected' in page.content.decode()
    data = _form(
        program,
        **{
            "tiers-0-from_stage": "investment",
            "tiers-0-rate": "20",
            "tiers-1-from_stage": "devotion",
            "tiers-1-rate": "25",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = _plans(vendor).get()
    assert plan.rate == Decimal("0.150000")
    assert sorted(plan.tiers.values_list("rate", flat=True)) == [
        Decimal("0.200000"),
        Decimal("0.250000"),
    ]
    assert AuditEntry.objects.for_vendor(vendor).get().actor_user == admin
    listing = client.get(response["Location"]).content.decode()
    assert "Agency 15%" in listing
    assert "15% of revenue, lifetime" in listing
    assert "Investment: 20%, Devotion: 25%" in listing


def test_dashboard_shows_errors_next_to_fields_and_keeps_nothing(
    vendor, program, admin, client_for
):
    client = client_for(admin)
    url = f"/app/{vendor.slug}/commission-plans/new/"
    response = client.post(url, _form(program, rate="15", bounty_amount="500"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Only bounty plans pay a flat amount." in html
    response = client.post(
        url, _form(program, **{"tiers-0-from_stage": "devotion", "tiers-0-rate": "10"})
    )
    assert response.status_code == 400
    assert "must pay more than the plan&#x27;s base rate (15%)" in response.content.decode()
    response = client.post(url, _form(program, rate="150"))
    assert response.status_code == 400
    assert "less than or equal to 100" in response.content.decode()
    assert not _plans(vendor).exists()


def test_admin_edits_and_deactivates_after_confirmation(vendor, program, admin, client_for):
    plan = _percent_plan(vendor, program)
    client = client_for(admin)
    edit = f"/app/{vendor.slug}/commission-plans/{plan.public_id}/"
    form = client.get(edit).content.decode()
    assert 'value="15"' in form
    response = client.post(edit, _form(program, rate="20", name="Agency 20%"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.rate, plan.name) == (Decimal("0.200000"), "Agency 20%")
    deactivate = f"/app/{vendor.slug}/commission-plans/{plan.public_id}/deactivate/"
    confirm = client.get(deactivate)
    assert "Yes, deactivate" in confirm.content.decode()
    plan.refresh_from_db()
    assert plan.is_active  # the confirmation page changes nothing
    assert client.post(deactivate, {}).status_code == 400  # no confirmation given
    assert client.post(deactivate, {"confirm": "yes", "reason": "old"}).status_code == 302
    plan.refresh_from_db()
    assert not plan.is_active
    listing = client.get(f"/app/{vendor.slug}/commission-plans/").content.decode()
    reactivate = f"/app/{vendor.slug}/commission-plans/{plan.public_id}/reactivate/"
    assert reactivate in listing
    assert "Yes, reactivate" in client.get(reactivate).content.decode()
    assert client.post(reactivate, {}).status_code == 400  # no confirmation given
    twin = _percent_plan(vendor, program, name="Twin")
    refused = client.post(reactivate, {"confirm": "yes"})
    assert refused.status_code == 400
    assert twin.public_id in refused.content.decode()  # says which plan is in the way
    plans.commission_plan_deactivate(actor=Actor.system(), vendor=vendor, plan_id=twin.public_id)
    assert client.post(reactivate, {"confirm": "yes", "reason": "back"}).status_code == 302
    plan.refresh_from_db()
    assert plan.is_active


def test_manager_reads_plans_but_cannot_edit_them(vendor, program, manager, client_for):
    plan = _percent_plan(vendor, program)
    client = client_for(manager)
    listing = client.get(f"/app/{vendor.slug}/commission-plans/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "15% recurring" in html
    assert "/commission-plans/new/" not in html
    assert "/deactivate/" not in html
    edit = f"/app/{vendor.slug}/commission-plans/{plan.public_id}/"
    assert client.get(edit).status_code == 403
    assert client.post(edit, _form(program, rate="50")).status_code == 403
    assert client.post(f"{edit}deactivate/", {"confirm": "yes"}).status_code == 403
    new = f"/app/{vendor.slug}/commission-plans/new/"
    assert client.post(new, _form(program, name="Mine")).status_code == 403
    plan.refresh_from_db()
    assert (plan.rate, plan.is_active) == (Decimal("0.150000"), True)
    assert _plans(vendor).count() == 1


def test_plan_list_filters_export_and_the_program_page_links_to_it(
    vendor, program, admin, client_for, django_assert_max_num_queries
):
    other = ProgramFactory(vendor=vendor, name="Affiliates")
    _percent_plan(vendor, program, tiers=[{"from_stage": "devotion", "rate": "0.25"}])
    plans.commission_plan_create(actor=Actor.system(),
        vendor=vendor, program_id=other.public_id, name="Lead bounty", kind="bounty_lead",
        bounty_amount=2500,
    )  # fmt: skip
    for i in range(30):
        CommissionPlanFactory(program=other, name=f"Old {i}", is_active=False)
    client = client_for(admin)
    base = f"/app/{vendor.slug}/commission-plans/"
    with django_assert_max_num_queries(12):
        html = client.get(base, {"program": program.public_id}).content.decode()
    assert "15% recurring" in html
    assert "Lead bounty" not in html
    html = client.get(base, {"kind": "bounty_lead"}).content.decode()
    assert "25.00 USD per accepted lead" in html
    assert "15% recurring" not in html
    html = client.get(base, {"is_active": "false"}).content.decode()
    assert "Old 7" in html
    assert "Lead bounty" not in html
    export = client.get(f"/app/{vendor.slug}/exports/commission-plans.csv", {"program": ""})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 32
    mine = next(r for r in rows if r["name"] == "15% recurring")
    assert (mine["rate"], mine["tiers"], mine["currency"]) == (
        "0.150000",
        "devotion:0.250000",
        "USD",
    )
    program_page = client.get(f"/app/{vendor.slug}/programs/{program.public_id}/")
    assert f"{base}?program={program.public_id}" in program_page.content.decode()
    assert "1 active plan pays" in program_page.content.decode()


# --- the program's currency -----------------------------------------------------------------


def test_program_currency_is_fixed_once_it_has_revenue_but_free_before(
    vendor, program, api_client_for
):
    api = api_client_for(vendor, Role.ADMIN)
    url = f"/api/v1/programs/{program.public_id}"
    # No money yet: a typo in the currency can still be corrected.
    assert api.patch(url, {"currency": "EUR"}, format="json").status_code == 200
    assert api.patch(url, {"currency": "USD"}, format="json").status_code == 200
    _percent_plan(vendor, program)
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c1")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 10000)])
    refused = api.patch(url, {"currency": "EUR", "name": "Renamed"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "currency"
    assert "USD" in refused.json()["error"]["message"]
    program.refresh_from_db()
    assert (program.currency, program.name) == ("USD", "Agency referral")  # nothing written
    # Naming the same currency again, or changing something else, is fine.
    same = api.patch(url, {"currency": "USD", "name": "Renamed"}, format="json")
    assert same.status_code == 200
