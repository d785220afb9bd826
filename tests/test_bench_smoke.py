"""The benchmark runner works end to end on a minimal size (the real runs are `make bench`;
no benchmark runs in the test suite)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone

from partnerhub.tenancy.context import vendor_scope
from partners.models import Partnership
from payouts.models import Customer, RevenueEvent

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_bench_seed_gives_every_row_its_vendor_and_spreads_stages():
    call_command("bench_seed", vendors=2, partnerships=40, customers=100, months=2, prefix="smoke")
    from partnerhub.tenancy.models import Vendor

    vendors = list(Vendor.objects.filter(slug__startswith="smoke-"))
    assert len(vendors) == 2
    for vendor in vendors:
        with vendor_scope(vendor):
            partnerships = Partnership.objects.for_vendor(vendor)
            assert partnerships.count() == 20
            assert partnerships.values("stage").distinct().count() >= 4
            # Each partnership reached its stage one move at a time, the last move into it
            # at stage_entered_at: Interest none, Recruitment one, … Devotion four.
            rank = {"interest": 0, "recruitment": 1, "activation": 2, "investment": 3}
            rank["devotion"] = 4
            for ptn in partnerships:
                moves = list(ptn.stage_transitions.order_by("at"))
                assert len(moves) == rank[ptn.stage]
                if moves:
                    assert moves[0].from_stage == "interest"
                    assert (moves[-1].to_stage, moves[-1].at) == (ptn.stage, ptn.stage_entered_at)
                    assert all(m.vendor_id == vendor.pk for m in moves)
            assert Customer.objects.for_vendor(vendor).count() == 50
            events = RevenueEvent.objects.for_vendor(vendor)
            assert events.filter(kind="invoice_paid").count() > 50
            # every customer's events belong to the customer's vendor (no cross-tenant rows)
            assert not events.exclude(customer__vendor=vendor).exists()


def test_bench_runner_measures_money_journey_and_dashboard_against_floors():
    from bench import run

    call_command(
        "bench_seed", vendors=1, partnerships=20, customers=60, months=2, prefix=run.PREFIX
    )
    vendors = run.bench_vendors()
    results = {**run.bench_money(vendors), **run.bench_journey(vendors)}
    for key in ("commissions", "payout run", "journey"):
        assert results[key]["time"] > 0, key
        assert results[key]["floor"] > 0, key
    _, user = run.prepare_access(vendors[0])
    pages = run.bench_dashboard(vendors[0], user)
    assert {"dashboard home", "partnership list", "commissions list", "payout run page"} <= set(
        pages
    )
    assert not set(pages) & set(results)  # one row each in the table
    assert all(page["page"] and page["unit"].endswith(" queries") for page in pages.values())
    text = run.table([("tiny", {"results": {**results, **pages}})])
    assert "| commissions |" in text
    assert "x |" in text
    assert any(line.startswith("- ") for line in run.targets({"results": results}))


def test_ingestion_target_is_the_api_rate_with_the_end_to_end_rate_next_to_it():
    from bench import run

    lines = run.targets({"results": {"ingestion": {"n": 10_000, "time": 0.8, "settle": 1.7}}})
    assert lines == [
        "- met: ingestion ≥ 10,000 events/s — 12,500 events/s accepted by the API; end to end, "
        "commissions included: 4,000 events/s"
    ]


def test_journey_floor_computes_the_same_metrics_as_the_evaluation():
    from bench import run
    from bench.journey_eval import floor_specs, floor_statement
    from journey.metrics import MetricSpec, metrics_rows
    from journey.services.evaluation import EVALUATED_STATUSES

    call_command(
        "bench_seed", vendors=1, partnerships=40, customers=200, months=3, prefix=run.PREFIX
    )
    vendor = run.bench_vendors()[0]
    as_of = timezone.now()
    with vendor_scope(vendor):
        specs = floor_specs(vendor)
        # the default rules' ledger metrics and the seeded program's own rules
        assert {s.metric for s in specs} >= {
            "paying_customers",
            "commissions_earned",
            "consecutive_revenue_months",
            "certifications_passed",
            "onboarding_courses_completed",
        }
        extra = ["referred_customers", "registered_deals", "attributed_mrr"]
        specs += [MetricSpec("commissions_earned", (("window_days", 30),))]
        specs += [MetricSpec(m) for m in extra if MetricSpec(m) not in specs]
        rows, _ = metrics_rows(vendor=vendor, specs=specs, as_of=as_of, statuses=EVALUATED_STATUSES)
        evaluated = {r["id"]: r for r in rows}
        statement, params = floor_statement(vendor, as_of, specs)
        floor = {r[0]: r for r in run.sql(statement, params)}
    assert floor
    assert set(floor) == set(evaluated)
    for pk, row in floor.items():
        for i, spec in enumerate(specs, start=3):
            expected = evaluated[pk][spec.alias]
            assert (row[i] is None and expected is None) or row[i] == expected, (pk, spec)
    assert any(r["paying_customers"] for r in evaluated.values())


@isolate_apps("devtools")
def test_bench_seed_statements_fill_every_column_they_do_not_name_like_the_orm():
    from django.db import connection

    class _Probe(models.Model):
        """A table the way a model grows: columns the seed's statement does not name."""

        label = models.CharField(max_length=20)
        flag = models.BooleanField(default=False)
        tags = models.JSONField(default=list)
        score = models.IntegerField(default=7)
        note = models.CharField(max_length=20)  # NOT NULL, no default: the ORM writes ''
        maybe = models.IntegerField(null=True)
        server_side = models.IntegerField(db_default=5)
        created_at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "ops"
            db_table = "bench_seed_probe"

        def __str__(self) -> str:
            return self.label

    from devtools.management.commands.bench_seed import insert_into

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE NONE")  # the owner creates tables (the test's own)
    with connection.schema_editor() as editor:
        editor.create_model(_Probe)
    sql, params = insert_into(_Probe, {"label": "'row ' || i"})
    with connection.cursor() as cursor:
        cursor.execute(sql + " FROM generate_series(1, 3) i", params)
    rows = list(_Probe.objects.order_by("label").values())
    assert [r["label"] for r in rows] == ["row 1", "row 2", "row 3"]
    for row in rows:
        assert (row["flag"], row["tags"], row["score"], row["note"]) == (False, [], 7, "")
        assert row["maybe"] is None
        assert row["server_side"] == 5
        assert row["created_at"] is not None


@isolate_apps("devtools")
def test_bench_seed_names_a_not_null_column_it_cannot_fill():
    from devtools.management.commands.bench_seed import insert_into

    class _Strict(models.Model):
        label = models.CharField(max_length=20)
        required = models.IntegerField()  # NOT NULL and no default of any kind

        class Meta:
            app_label = "ops"
            db_table = "bench_seed_strict"

        def __str__(self) -> str:
            return self.label

    with pytest.raises(CommandError, match=r"bench_seed_strict\.required is NOT NULL"):
        insert_into(_Strict, {"label": "'x'"})
    with pytest.raises(CommandError, match="no column"):
        insert_into(_Strict, {"label": "'x'", "required": "1", "typo": "2"})


def test_bench_seed_rebuilds_the_ledger_indexes_it_defers():
    from django.db import connection

    def ledger_indexes() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename IN "
                "('payouts_revenueevent', 'payouts_commission') ORDER BY 1"
            )
            return [r[0] for r in cursor.fetchall()]

    before = ledger_indexes()
    call_command("bench_seed", vendors=1, partnerships=10, customers=30, months=2, prefix="idx")
    assert ledger_indexes() == before
    # The seed drops and rebuilds the plain (non-unique) ones: they must be there to check.
    assert len([d for d in before if "UNIQUE" not in d]) >= 5
