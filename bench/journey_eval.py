"""Benchmark: evaluating the journey rules of one vendor with N partnerships, compared with
the plain SQL query that computes the same metrics (the floor any evaluation must pay).

    python bench/journey_eval.py               # N = 2,000 (quick)
    python bench/journey_eval.py --n 100000    # the acceptance case (target: within 2x)

Uses DATABASE_URL (dev settings). Creates a throw-away vendor ``bench-journey`` with N
approved partnerships, half of them certified and a third with two onboarding courses done,
and program rules over those metrics (the money metrics of the default rules read 0 until
the payouts ledger is configured). Reports:

- ``plain_sql``: one hand-written GROUP BY query computing the metrics for every partnership;
- ``first_run``: evaluation that moves partnerships (plan + bulk moves + transitions + events);
- ``steady``: evaluation with nothing to move (what the hourly beat pays), and the ratio
  steady / plain_sql; and the number of SQL queries of each run (does not depend on N).

The vendor is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from journey.models import StageRule  # noqa: E402
from journey.services import journey_evaluate  # noqa: E402
from partnerhub.tenancy.context import vendor_scope  # noqa: E402
from partnerhub.tenancy.models import Vendor  # noqa: E402
from partners.models import CertificationAttempt, CourseProgress, Partner, Partnership  # noqa: E402
from programs.models import Certification, Course, Program  # noqa: E402

SLUG = "bench-journey"

PLAIN_SQL = """
SELECT p.id, p.program_id, p.stage,
       CASE WHEN p.invited_at IS NOT NULL OR a.partnership_id IS NOT NULL THEN 1 ELSE 0 END,
       CASE WHEN p.status = 'approved' AND p.approved_at IS NOT NULL THEN 1 ELSE 0 END,
       COALESCE(c.n, 0), COALESCE(x.n, 0),
       EXTRACT(day FROM (now() - p.approved_at))
  FROM partners_partnership p
  LEFT JOIN (SELECT DISTINCT partnership_id FROM partners_application WHERE vendor_id = %(v)s) a
         ON a.partnership_id = p.id
  LEFT JOIN (SELECT partnership_id, count(*) n FROM partners_courseprogress
              WHERE vendor_id = %(v)s AND completed_at IS NOT NULL GROUP BY partnership_id) c
         ON c.partnership_id = p.id
  LEFT JOIN (SELECT partnership_id, count(DISTINCT certification_id) n
               FROM partners_certificationattempt
              WHERE vendor_id = %(v)s AND passed GROUP BY partnership_id) x
         ON x.partnership_id = p.id
 WHERE p.vendor_id = %(v)s AND p.status IN ('applied', 'approved')
"""


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

    def plain() -> int:
        with connection.cursor() as cursor:
            cursor.execute(PLAIN_SQL, {"v": vendor.pk})
            return len(cursor.fetchall())

    with vendor_scope(vendor):
        plain_s, rows, _ = timed(plain)
        first_s, first, first_q = timed(lambda: journey_evaluate(vendor=vendor), repeat=1)
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
