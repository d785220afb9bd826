"""Benchmark: commission computation and a payout run against single-SQL floors.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/partnerhub_bench \\
        .venv/bin/python bench/commissions.py [--events 1000000 --partnerships 100000]

Generates (with ``generate_series``, not timed) one vendor, one program with a 15 % plan,
``--partnerships`` partnerships with one customer each and ``--events`` paid invoices, then
times:

1. ``payouts.services.ledger.commissions_compute`` (the production path: one INSERT … SELECT that
   applies plans, tiers, durations, caps and half-even rounding) against the floor
   ``SELECT partnership_id, SUM(round_half_even(rate * amount)) … GROUP BY`` over the same
   events;
2. ``payouts.services.runs.payout_run_execute`` (release after hold, chunked payouts with row locks,
   commission links, audit rows) against the floor ``SELECT partnership_id, SUM(amount) …
   GROUP BY`` over the commissions.

It prints wall time, the ratio to the floor and the peak RSS of this process (the work is in
PostgreSQL, so Python memory does not grow with the number of events). Everything runs in
one transaction that is rolled back at the end: the database is left as it was. Defaults are
small (20,000 events, 2,000 partnerships) so it runs in seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from partnerhub.tenancy.models import Vendor  # noqa: E402
from payouts import sql  # noqa: E402
from payouts.models import Commission, CommissionPlan, PayoutRun  # noqa: E402
from payouts.services import ledger, runs  # noqa: E402
from programs.models import Program  # noqa: E402


class Rollback(Exception):
    pass


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {elapsed:8.2f} s   peak RSS {_rss_mb():7.1f} MB")
    return elapsed, result


def _sql(sql: str, params: dict) -> list:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def generate(vendor: Vendor, program: Program, partnerships: int, events: int) -> None:
    p = {"v": vendor.pk, "prg": program.pk, "n": partnerships, "e": events, "slug": vendor.slug}
    _sql(
        """
        INSERT INTO partners_partner (public_id, kind, name, email, company_name, website,
          country, created_at, updated_at)
        SELECT 'par_b' || %(slug)s || i, 'company', 'Bench partner ' || i,
               'bench-' || %(slug)s || '-' || i || '@bench.example', '', '', 'US', now(), now()
        FROM generate_series(1, %(n)s) i
        """,
        p,
    )
    _sql(
        """
        INSERT INTO partners_partnership (vendor_id, public_id, created_at, updated_at,
          program_id, partner_id, referral_code, status, stage, stage_entered_at, approved_at,
          utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer)
        SELECT %(v)s, 'ptn_b' || pa.id, now(), now(), %(prg)s, pa.id, 'b' || pa.id, 'approved',
               'activation', now(), now(), '', '', '', '', '', ''
        FROM partners_partner pa WHERE pa.email LIKE 'bench-' || %(slug)s || '-%%'
        """,
        p,
    )
    _sql(
        """
        INSERT INTO payouts_customer (vendor_id, public_id, created_at, updated_at, external_id,
          email, name, partnership_id, attribution_method, attribution_ref, attributed_at,
          status, first_paid_at, mrr_amount, mrr_currency, signed_up_at, flag_reason)
        SELECT %(v)s, 'cus_b' || ptn.id, now(), now(), 'bc-' || ptn.id, '', '', ptn.id,
               'referral_code', '', now(), 'active', '2025-01-01', 0, 'USD', '2020-01-01', ''
        FROM partners_partnership ptn WHERE ptn.vendor_id = %(v)s
        """,
        p,
    )
    _sql(
        """
        INSERT INTO payouts_revenueevent (vendor_id, public_id, created_at, updated_at,
          external_id, customer_id, partnership_id, kind, amount, currency, occurred_at,
          mrr_amount, source)
        SELECT %(v)s, 'rev_b' || g, now(), now(), 'be-' || g, c.id, c.partnership_id,
               'invoice_paid', 1000 + (g * 7919) %% 99000, 'USD',
               timestamptz '2025-01-01' + (g %% 365) * interval '1 day', 0, 'bench'
        FROM generate_series(1, %(e)s) g
        JOIN (SELECT id, partnership_id, row_number() OVER (ORDER BY id) - 1 AS rn
              FROM payouts_customer WHERE vendor_id = %(v)s) c ON c.rn = g %% %(n)s
        """,
        p,
    )
    _sql("ANALYZE", {})


def _write_floor(vendor: Vendor, plan: CommissionPlan) -> float:
    """The cheapest statement that *writes* the same ledger rows (no plan, tier, duration,
    cap or duplicate logic), rolled back: what inserting the rows alone costs."""
    sid = transaction.savepoint()
    elapsed, _ = _timed(
        "write floor: bare INSERT … SELECT of the rows",
        lambda: _sql(
            f"""
            INSERT INTO payouts_commission (vendor_id, public_id, created_at, updated_at,
              partnership_id, plan_id, revenue_event_id, customer_id, kind, amount, currency,
              rate, base_amount, occurred_at, available_at, status)
            SELECT e.vendor_id, {sql.NEW_ID.format(prefix="com")}, now(), now(),
                   e.partnership_id, %(plan)s, e.id, e.customer_id, 'percent',
                   payouts_round_half_even(%(r)s::numeric * e.amount), e.currency, %(r)s,
                   e.amount, e.occurred_at, e.occurred_at, 'pending'
            FROM payouts_revenueevent e WHERE e.vendor_id = %(v)s
            """,  # noqa: S608 -- constants only
            {"v": vendor.pk, "plan": plan.pk, "r": plan.rate},
        ),
    )
    transaction.savepoint_rollback(sid)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--partnerships", type=int, default=2_000)
    args = parser.parse_args()
    print(f"commissions benchmark: {args.events:,} events, {args.partnerships:,} partnerships")
    try:
        with transaction.atomic():
            slug = f"bench{int(time.time())}"
            vendor = Vendor.objects.create(slug=slug, name="Bench")
            program = Program.objects.for_vendor(vendor).create(
                vendor=vendor,
                name="Bench",
                slug="bench",
                currency="USD",
                hold_period_days=0,
                payout_threshold_amount=0,
                status="active",
            )
            plan = CommissionPlan.objects.for_vendor(vendor).create(
                vendor=vendor, program=program, name="15%", rate=Decimal("0.15")
            )
            _timed("generate data (not compared)", lambda: generate(
                vendor, program, args.partnerships, args.events))  # fmt: skip
            floor_c, expected = _timed(
                "floor: one SELECT … SUM(round(rate * amount))",
                lambda: dict(
                    _sql(
                        """SELECT partnership_id,
                                  SUM(payouts_round_half_even(%(r)s::numeric * amount))
                           FROM payouts_revenueevent WHERE vendor_id = %(v)s
                           GROUP BY partnership_id""",
                        {"v": vendor.pk, "r": plan.rate},
                    )
                ),
            )
            floor_w = _write_floor(vendor, plan)
            took_c, created = _timed(
                "commissions_compute (production path)",
                lambda: sum(
                    len(ids) for ids in ledger.commissions_compute_all(vendor_id=vendor.pk)
                ),
            )
            assert created == args.events, "one commission per event and plan"
            got = dict(
                _sql(
                    "SELECT partnership_id, SUM(amount) FROM payouts_commission "
                    "WHERE vendor_id = %(v)s GROUP BY partnership_id",
                    {"v": vendor.pk},
                )
            )
            assert got == expected, "the ledger must equal the single-SQL sums"
            floor_r, _ = _timed(
                "floor: one SELECT … SUM(amount) per partnership",
                lambda: _sql(
                    "SELECT partnership_id, SUM(amount) FROM payouts_commission "
                    "WHERE vendor_id = %(v)s GROUP BY partnership_id",
                    {"v": vendor.pk},
                ),
            )
            run = PayoutRun.objects.for_vendor(vendor).create(
                vendor=vendor, program=program, period_start="2026-01-01", period_end="2026-02-01"
            )
            took_r, _ = _timed(
                "payout run (release + payouts + links + audit)",
                lambda: runs.payout_run_execute(vendor=vendor, run_id=run.pk),
            )
            paid = dict(
                _sql(
                    "SELECT partnership_id, amount FROM payouts_payout WHERE vendor_id = %(v)s",
                    {"v": vendor.pk},
                )
            )
            assert paid == got, "every payout equals the sum of its commissions"
            linked = Commission.objects.for_vendor(vendor).filter(payout__isnull=True).count()
            assert linked == 0, "every commission is in exactly one payout"
            print(f"  ratio commissions / floor: {took_c / floor_c:6.2f}x")
            print(f"  ratio commissions / write floor: {took_c / floor_w:6.2f}x")
            print(f"  ratio payout run / floor:  {took_r / floor_r:6.2f}x")
            raise Rollback
    except Rollback:
        print("rolled back: the database is unchanged")


if __name__ == "__main__":
    main()
