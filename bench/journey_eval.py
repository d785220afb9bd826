"""Benchmark: evaluating the journey rules of one vendor with N partnerships, compared with
the plain SQL query that computes the same metrics (the floor any evaluation must pay).

    python bench/journey_eval.py               # N = 2,000 (quick)
    python bench/journey_eval.py --n 100000    # the acceptance case (target: within 2x)

Uses DATABASE_URL (dev settings). Creates a throw-away vendor ``bench-journey`` with N
approved partnerships, half of them certified and a third with two onboarding courses done,
and program rules over those metrics (the money metrics of the default rules read 0 until
the payouts ledger is configured). Reports:

- ``plain_sql``: the floor, one hand-written statement computing exactly the metrics the
  evaluation computes (default rules and the program's own, ``floor_statement``), timed
  after the first run like ``steady``;
- ``first_run``: evaluation that moves partnerships (plan + bulk moves + transitions + events);
- ``steady``: evaluation with nothing to move (what the hourly beat pays), and the ratio
  steady / plain_sql; and the number of SQL queries of each run (does not depend on N).

The vendor is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from journey.metrics import MetricSpec  # noqa: E402
from journey.models import StageRule  # noqa: E402
from journey.rules import RuleSet  # noqa: E402
from journey.services.evaluation import journey_evaluate, may_move_sql, rule_sets_for  # noqa: E402
from partnerhub.tenancy.context import vendor_scope  # noqa: E402
from partnerhub.tenancy.models import Vendor  # noqa: E402
from partners.models import CertificationAttempt, CourseProgress, Partner, Partnership  # noqa: E402
from payouts.journey_source import STREAK_LOOKBACK_MONTHS  # noqa: E402
from programs.models import Certification, Course, Program  # noqa: E402

SLUG = "bench-journey"

# The floor: the plain SQL a DBA would write for each metric, by name, independent of the
# journey's own query builder. ``%(v)s`` is the vendor, ``%(as_of)s`` the evaluation time;
# ``{…}`` are a metric's parameters (validated integers). Row metrics are expressions over
# the partnership ``p``; keyed metrics a grouped SELECT of ``partnership_id`` and ``n``.
FLOOR_ROW_SQL = {
    "applied_or_invited": """CASE WHEN p.invited_at IS NOT NULL OR EXISTS (
        SELECT 1 FROM partners_application a WHERE a.vendor_id = %(v)s
           AND a.partnership_id = p.id AND a.created_at <= %(as_of)s) THEN 1 ELSE 0 END""",
    "approved": """CASE WHEN p.status = 'approved' AND p.approved_at <= %(as_of)s
        THEN 1 ELSE 0 END""",
    "days_since_approval": "EXTRACT(day FROM %(as_of)s - p.approved_at)::int",
    # Months with enough attributed MRR (an invoice counts in every month its period covers,
    # month k = year * 12 + month), then how many in a row end in the month of as_of or the
    # one before. Per partnership, on its (vendor_id, partnership_id, occurred_at) index: the
    # set-based gaps-and-islands form over all the vendor's events measured slower.
    "consecutive_revenue_months": """(WITH s AS (
        SELECT (EXTRACT(year FROM m) * 12 + EXTRACT(month FROM m))::int AS k
          FROM payouts_revenueevent e,
               generate_series(date_trunc('month', e.occurred_at AT TIME ZONE 'UTC'),
                 date_trunc('month', e.occurred_at AT TIME ZONE 'UTC') + make_interval(
                   months => CASE WHEN e.period_start IS NULL OR e.period_end IS NULL THEN 0
                     ELSE GREATEST(1, ROUND((e.period_end - e.period_start) / 30.4375))::int - 1
                   END), interval '1 month') m
         WHERE e.vendor_id = %(v)s AND e.partnership_id = p.id AND e.kind = 'invoice_paid'
           AND e.occurred_at <= %(as_of)s
           AND e.occurred_at >= %(as_of)s - interval '1 day' * 31 * {lookback_plus_12}
         GROUP BY 1 HAVING sum(e.mrr_amount) >= {min_amount}
      )
      SELECT COALESCE(min(n), {lookback}) FROM generate_series(0, {lookback}) n,
             (SELECT CASE WHEN EXISTS (SELECT 1 FROM s WHERE k = {month}) THEN {month}
                          ELSE {month} - 1 END AS start) a
       WHERE a.start - n NOT IN (SELECT k FROM s))""",
}
FLOOR_KEYED_SQL = {
    "onboarding_courses_completed": """SELECT partnership_id, count(*) n
        FROM partners_courseprogress WHERE vendor_id = %(v)s AND completed_at <= %(as_of)s
       GROUP BY partnership_id""",
    "certifications_passed": """SELECT partnership_id, count(DISTINCT certification_id) n
        FROM partners_certificationattempt
       WHERE vendor_id = %(v)s AND passed AND created_at <= %(as_of)s GROUP BY partnership_id""",
    "referred_customers": """SELECT partnership_id, count(*) n FROM payouts_customer
       WHERE vendor_id = %(v)s AND partnership_id IS NOT NULL AND created_at <= %(as_of)s
       GROUP BY partnership_id""",
    "paying_customers": """SELECT e.partnership_id, count(DISTINCT e.customer_id) n
        FROM payouts_revenueevent e
       WHERE e.vendor_id = %(v)s AND e.kind = 'invoice_paid' AND e.partnership_id IS NOT NULL
         AND e.occurred_at <= %(as_of)s
         AND NOT EXISTS (SELECT 1 FROM payouts_revenueevent r
                          WHERE r.vendor_id = %(v)s AND r.refunded_event_id = e.id
                            AND r.amount >= e.amount AND r.occurred_at <= %(as_of)s)
       GROUP BY e.partnership_id""",
    "registered_deals": """SELECT partnership_id, count(*) n FROM payouts_customer
       WHERE vendor_id = %(v)s AND partnership_id IS NOT NULL AND attribution_method = 'deal'
         AND created_at <= %(as_of)s GROUP BY partnership_id""",
    "attributed_mrr": """SELECT partnership_id, sum(mrr_amount) n FROM payouts_customer
       WHERE vendor_id = %(v)s AND partnership_id IS NOT NULL AND status = 'active'
         AND first_paid_at <= %(as_of)s GROUP BY partnership_id""",
    "commissions_earned": """SELECT partnership_id, sum(amount) n FROM payouts_commission
       WHERE vendor_id = %(v)s AND status <> 'reversed' AND occurred_at <= %(as_of)s
         AND ({window_days} = 0 OR occurred_at >= %(as_of)s - {window_days} * interval '1 day')
       GROUP BY partnership_id""",
}


def floor_specs(vendor: Vendor) -> list[MetricSpec]:
    """Exactly the metrics ``journey_plan`` computes for the vendor: those of the default
    rules and of every program's own rules."""
    rule_sets = rule_sets_for(vendor=vendor)
    specs = [s for rs in [RuleSet.with_defaults(), *rule_sets.values()] for s in rs.specs]
    return list(dict.fromkeys(specs))


def floor_statement(
    vendor: Vendor, as_of: dt.datetime, specs: list[MetricSpec] | None = None
) -> tuple[str, dict[str, Any]]:
    """One plain SELECT of the vendor's evaluated partnerships with every metric
    ``journey_plan`` computes for it, same filters and values, returning (like the plan)
    only the partnerships some rule may move — the rules' condition over the metric columns
    is the journey's own (``may_move_sql``), so PostgreSQL may skip the same per-row work.
    With ``specs``: those metrics for every evaluated partnership, no rule condition."""
    month = as_of.astimezone(dt.UTC)
    fixed = {
        "month": month.year * 12 + month.month,
        "lookback": STREAK_LOOKBACK_MONTHS,
        "lookback_plus_12": STREAK_LOOKBACK_MONTHS + 12,
        "window_days": 0,
        "min_amount": 1,
    }
    columns, joins = ["p.id", "p.program_id", "p.stage"], []
    for n, spec in enumerate(floor_specs(vendor) if specs is None else specs):
        values = {**fixed, **dict(spec.params)}
        values["min_amount"] = max(int(values["min_amount"]), 1)
        if spec.metric in FLOOR_ROW_SQL:
            row_sql = FLOOR_ROW_SQL[spec.metric].format(**values)
            columns.append(f'{row_sql} AS "{spec.alias}"')
        else:
            sub = FLOOR_KEYED_SQL[spec.metric].format(**values)
            joins.append(f"LEFT JOIN ({sub}) m{n} ON m{n}.partnership_id = p.id")
            columns.append(f'COALESCE(m{n}.n, 0) AS "{spec.alias}"')
    statement = (
        f"SELECT {', '.join(columns)} FROM partners_partnership p {' '.join(joins)} "  # noqa: S608
        "WHERE p.vendor_id = %(v)s AND p.status IN ('applied', 'approved')"
    )
    params: dict[str, Any] = {"v": vendor.pk, "as_of": as_of}
    if specs is None:
        condition, values_ = may_move_sql(rule_sets_for(vendor=vendor), RuleSet.with_defaults())(
            "j"
        )
        names = [f"c{i}" for i in range(len(values_))]
        parts = condition.split("%s")
        condition = parts[0] + "".join(
            f"%({name})s{part}" for name, part in zip(names, parts[1:], strict=True)
        )
        params.update(zip(names, values_, strict=True))
        statement = f"SELECT * FROM ({statement}) j WHERE {condition}"  # noqa: S608
    return statement, params


def build(n: int) -> Vendor:
    for old in Vendor.objects.filter(slug=SLUG):
        cleanup(old)
    Partner.objects.filter(email__endswith="@bench-journey.example").delete()  # a killed run's
    vendor = Vendor.objects.create(name="Bench journey", slug=SLUG)
    with vendor_scope(vendor), transaction.atomic():
        program = Program.objects.for_vendor(vendor).create(vendor=vendor, name="Bench", slug="b")
        courses = [
            Course.objects.for_vendor(vendor).create(vendor=vendor, program=program, title=t)
            for t in ("Basics", "Selling")
        ]
        certification = Certification.objects.for_vendor(vendor).create(
            vendor=vendor, program=program, title="Certified"
        )
        partners = Partner.objects.bulk_create(
            [
                Partner(public_id=f"par_bj{i}", name=f"P{i}", email=f"{i}@bench-journey.example")
                for i in range(n)
            ],
            batch_size=5000,
        )
        now = timezone.now()
        partnerships = Partnership.objects.for_vendor(vendor).bulk_create(
            [
                Partnership(
                    vendor=vendor,
                    program=program,
                    partner=p,
                    public_id=Partnership.new_public_id(),
                    referral_code=f"bj{i}",
                    status="approved",
                    stage="recruitment",
                    approved_at=now,
                )
                for i, p in enumerate(partners)
            ],
            batch_size=5000,
        )
        CertificationAttempt.objects.for_vendor(vendor).bulk_create(
            [
                CertificationAttempt(
                    vendor=vendor,
                    public_id=CertificationAttempt.new_public_id(),
                    partnership=p,
                    certification=certification,
                    score_percent=100,
                    passed=True,
                )
                for p in partnerships[::2]
            ],
            batch_size=5000,
        )
        CourseProgress.objects.for_vendor(vendor).bulk_create(
            [
                CourseProgress(
                    vendor=vendor,
                    public_id=CourseProgress.new_public_id(),
                    partnership=p,
                    course=c,
                    completed_at=now,
                )
                for p in partnerships[::3]
                for c in courses
            ],
            batch_size=5000,
        )
        StageRule.objects.for_vendor(vendor).create(
            vendor=vendor,
            program=program,
            stage="activation",
            criteria=[[{"metric": "certifications_passed", "op": "gte", "value": 1}]],
        )
        StageRule.objects.for_vendor(vendor).create(
            vendor=vendor,
            program=program,
            stage="investment",
            criteria=[[{"metric": "onboarding_courses_completed", "op": "gte", "value": 2}]],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return vendor


def timed(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best, result, queries = float("inf"), None, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
        queries = len(captured)
    return best, result, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    vendor = build(args.n)
    print(f"built {args.n} partnerships in {time.perf_counter() - t0:.1f}s")

    statement, params = floor_statement(vendor, timezone.now())

    def plain() -> int:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return len(cursor.fetchall())

    with vendor_scope(vendor):
        first_s, first, first_q = timed(lambda: journey_evaluate(vendor=vendor), repeat=1)
        # after the moves, like ``steady``: the floor returns the partnerships still movable
        plain_s, rows, _ = timed(plain)
        steady_s, steady, steady_q = timed(lambda: journey_evaluate(vendor=vendor))
        dry_s, _, _ = timed(lambda: journey_evaluate(vendor=vendor, dry_run=True))

    print(f"plain_sql   {plain_s * 1000:9.1f} ms  ({rows} rows)")
    print(
        f"first_run   {first_s * 1000:9.1f} ms  moved {first.moved} partnerships, {first_q} queries"
    )
    print(f"steady      {steady_s * 1000:9.1f} ms  moved {steady.moved}, {steady_q} queries")
    print(f"dry_run     {dry_s * 1000:9.1f} ms")
    print(f"ratio steady / plain_sql = {steady_s / plain_s:.2f}x (target: within 2x)")
    if not args.keep:
        cleanup(vendor)


def cleanup(vendor: Vendor) -> None:
    with vendor_scope(vendor):
        Partnership.objects.for_vendor(vendor).delete()
    Vendor.objects.filter(pk=vendor.pk).delete()
    Partner.objects.filter(email__endswith="@bench-journey.example").delete()


if __name__ == "__main__":
    main()
