"""``manage.py bench_seed``: reproducible benchmark data at SaaS scale, in minutes.

    manage.py bench_seed --vendors 50 --partnerships 100000 --customers 1000000 --months 12

Creates ``--vendors`` vendors ``bench-1`` … (slug prefix ``--prefix``), each with one program
(currency USD, EUR or GBP by vendor), two personas, three join sources and a 20 % commission
plan; then partners and partnerships spread over the five journey stages, customers (90 %
monthly, 10 % annual, a few churning) and ``--months`` months of revenue events (paid
invoices, about 2 % refunded), and the ledger's history: the commissions of every month but
the last, already paid. Revenue events are written month by month, so the events of
one month of one vendor have contiguous ids (the benchmarks use that).

Bulk path: the few configuration rows go through the ORM; every large table is filled by
server-side ``INSERT … SELECT FROM generate_series`` statements of at most ``--batch`` rows
(nothing is built in Python, so peak memory does not depend on the size). Reproducible: every
value is a fixed function of the row number and ``--seed`` (only the opaque public ids are
random). Existing data with the same prefix is deleted first.

Row-level security: the seed writes every vendor's rows, so it runs as the tables' owner with
the documented bypass (``partnerhub.rls_bypass = on`` for each transaction, and ``RESET ROLE``
when the connection acts as the application role through ``DATABASE_SESSION_ROLE``) — the same
way migrations and tests' fixtures write. Every row still carries its own ``vendor_id``.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Vendor

CURRENCIES = ("USD", "EUR", "GBP")
_ID = "'{p}_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 22)"


def owner_bypass(cursor: Any) -> None:
    """Act as the tables' owner with the RLS bypass for the current transaction."""
    if getattr(settings, "DATABASE_SESSION_ROLE", ""):
        cursor.execute("RESET ROLE")
    cursor.execute("SELECT set_config('partnerhub.rls_bypass', 'on', true)")


class Progress:
    def __init__(self, total: int, label: str, out: Any = sys.stderr) -> None:
        self.total, self.done, self.label, self.out = max(total, 1), 0, label, out
        self.started = time.perf_counter()

    def step(self, n: int) -> None:
        self.done += n
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        self.out.write(
            f"\r  {self.label:<14} [{bar:<30}] {self.done:>11,}/{self.total:,} ({rate:,.0f}/s)"
        )
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")


class Command(BaseCommand):
    help = "Create reproducible benchmark data (vendors, partnerships, customers, revenue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendors", type=int, default=50)
        parser.add_argument("--partnerships", type=int, default=100_000)
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--prefix", default="bench")
        parser.add_argument("--batch", type=int, default=200_000)

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        prefix, n_vendors = opts["prefix"], opts["vendors"]
        bench_delete(prefix)
        vendors = [self._configure(prefix, i, opts["seed"]) for i in range(1, n_vendors + 1)]
        per_p = max(opts["partnerships"] // n_vendors, 1)
        per_c = max(opts["customers"] // n_vendors, 1)
        batch = opts["batch"]

        bar = Progress(per_p * n_vendors, "partnerships")
        for vendor, program in vendors:
            for lo in range(0, per_p, batch):
                hi = min(lo + batch, per_p)
                _exec(_PARTNERSHIPS_SQL, {**_p(vendor, program, opts), "lo": lo, "hi": hi - 1})
                bar.step(hi - lo)
        bar.close()

        bar = Progress(per_c * n_vendors, "customers")
        for vendor, program in vendors:
            for lo in range(0, per_c, batch):
                hi = min(lo + batch, per_c)
                _exec(
                    _CUSTOMERS_SQL,
                    {**_p(vendor, program, opts), "lo": lo, "hi": hi - 1, "np": per_p},
                )
                bar.step(hi - lo)
        bar.close()

        bar = Progress(per_c * n_vendors * opts["months"], "revenue months")
        for month in range(opts["months"]):
            for vendor, program in vendors:
                params = {**_p(vendor, program, opts), "m": month, "months": opts["months"]}
                _exec(_INVOICES_SQL, params)
                bar.step(per_c)
        bar.close()
        for vendor, program in vendors:
            _exec(_HISTORY_SQL, _p(vendor, program, opts))
        _exec("ANALYZE", {})
        took = time.perf_counter() - started
        self.stdout.write(
            f"seeded {n_vendors} vendors, {per_p * n_vendors:,} partnerships, "
            f"{per_c * n_vendors:,} customers, {event_count(prefix):,} revenue events "
            f"in {took:.1f} s"
        )

    def _configure(self, prefix: str, i: int, seed: int) -> tuple[Vendor, Any]:
        from journey.models import StageRule
        from payouts.models import CommissionPlan
        from programs.models import JoinSource, PartnerPersona, Program

        vendor = Vendor.objects.create(name=f"Bench {i}", slug=f"{prefix}-{i}")
        with vendor_scope(vendor), transaction.atomic():
            program = Program.objects.for_vendor(vendor).create(
                vendor=vendor,
                name="Partner program",
                slug="partners",
                currency=CURRENCIES[(i + seed) % len(CURRENCIES)],
                hold_period_days=0,
                payout_threshold_amount=0,
                status="active",
            )
            for name in ("Agency", "Reseller"):
                PartnerPersona.objects.for_vendor(vendor).create(
                    vendor=vendor, program=program, name=name
                )
            for name, kind in (
                ("Website", "website"),
                ("E-mail", "email"),
                ("Network", "partner_network"),
            ):
                JoinSource.objects.for_vendor(vendor).create(
                    vendor=vendor, name=name, kind=kind, code=f"{name.lower()}{i}"
                )
            CommissionPlan.objects.for_vendor(vendor).create(
                vendor=vendor, program=program, name="20 %", rate=Decimal("0.20")
            )
            for stage, metric in (
                ("activation", "certifications_passed"),
                ("investment", "onboarding_courses_completed"),
            ):
                StageRule.objects.for_vendor(vendor).create(
                    vendor=vendor,
                    program=program,
                    stage=stage,
                    criteria=[[{"metric": metric, "op": "gte", "value": 1}]],
                )
        return vendor, program


def _p(vendor: Vendor, program: Any, opts: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": vendor.pk,
        "prg": program.pk,
        "cur": program.currency,
        "slug": vendor.slug,
        "seed": opts["seed"],
    }


def _exec(sql: str, params: dict[str, Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        owner_bypass(cursor)
        cursor.execute(sql, params)


def event_count(prefix: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        owner_bypass(cursor)
        cursor.execute(
            "SELECT count(*) FROM payouts_revenueevent e JOIN tenancy_vendor v "
            "ON v.id = e.vendor_id WHERE v.slug LIKE %s",
            [f"{prefix}-%"],
        )
        return int(cursor.fetchone()[0])


def bench_delete(prefix: str) -> None:
    """Remove the vendors of an earlier seed with this prefix and everything they own."""
    tables = [
        "payouts_payout",
        "payouts_commission",
        "payouts_payoutrun",
        "payouts_revenueevent",
        "payouts_customer",
        "payouts_commissionplan",
        "journey_stagetransition",
        "journey_stagerule",
        "partners_partnership",
        "programs_joinsource",
        "programs_partnerpersona",
        "programs_program",
        "audit_auditentry",
        "webhooks_event",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        owner_bypass(cursor)
        cursor.execute("SELECT id FROM tenancy_vendor WHERE slug LIKE %s", [f"{prefix}-%"])
        ids = [r[0] for r in cursor.fetchall()]
        if not ids:
            return
        # Append-only ledger tables refuse DELETE through triggers; the owner may disable
        # them for this throw-away data only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in tables:
            cursor.execute(f"DELETE FROM {table} WHERE vendor_id = ANY(%s)", [ids])  # noqa: S608
        cursor.execute(
            "DELETE FROM partners_partner WHERE email LIKE %s", [f"{prefix}-%@bench.example"]
        )
    for vendor in Vendor.objects.filter(pk__in=ids):
        vendor.delete()


# Partners and partnerships in one statement; stages spread over the five stages (40 %
# recruitment … 5 % devotion), 10 % still applied, personas and join sources round-robin.
_PARTNERSHIPS_SQL = f"""
WITH g AS (SELECT i FROM generate_series(%(lo)s, %(hi)s) i),
pa AS (
  INSERT INTO partners_partner (public_id, kind, name, email, company_name, website, country,
    created_at, updated_at)
  SELECT {_ID.format(p="par")}, 'company', 'Bench partner ' || i,
         %(slug)s || '-' || i || '@bench.example', 'Company ' || i, '', 'US', now(), now()
  FROM g RETURNING id, email
),
n AS (SELECT id, split_part(split_part(email, '@', 1), '-', 3)::int AS i FROM pa)
INSERT INTO partners_partnership (vendor_id, public_id, created_at, updated_at, program_id,
  partner_id, referral_code, status, stage, stage_entered_at, approved_at, invited_at,
  persona_id, join_source_id, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
  referrer)
SELECT %(v)s, {_ID.format(p="ptn")}, now() - (x.h %% 700) * interval '1 day', now(), %(prg)s,
       n.id, 'b' || n.id,
       CASE WHEN x.h %% 10 = 0 THEN 'applied' ELSE 'approved' END,
       CASE WHEN x.h %% 100 < 20 THEN 'interest' WHEN x.h %% 100 < 60 THEN 'recruitment'
            WHEN x.h %% 100 < 85 THEN 'activation' WHEN x.h %% 100 < 95 THEN 'investment'
            ELSE 'devotion' END,
       now() - (x.h %% 200) * interval '1 day',
       CASE WHEN x.h %% 10 = 0 THEN NULL ELSE now() - (x.h %% 600) * interval '1 day' END,
       NULL,
       (SELECT id FROM programs_partnerpersona WHERE vendor_id = %(v)s ORDER BY id
        OFFSET x.h %% 2 LIMIT 1),
       (SELECT id FROM programs_joinsource WHERE vendor_id = %(v)s ORDER BY id
        OFFSET x.h %% 3 LIMIT 1),
       '', '', '', '', '', ''
FROM n CROSS JOIN LATERAL (SELECT abs(hashint4((n.i + %(seed)s)::int)) AS h) x
"""  # noqa: S608 -- constants only

_CUSTOMERS_SQL = f"""
INSERT INTO payouts_customer (vendor_id, public_id, created_at, updated_at, external_id, email,
  name, partnership_id, attribution_method, attribution_ref, attributed_at, status,
  first_paid_at, mrr_amount, mrr_currency, signed_up_at, flag_reason)
SELECT %(v)s, {_ID.format(p="cus")}, now(), now(),
       -- 'a' = annual plan (10 %%), 'm' = monthly; churn month in the name's number
       CASE WHEN x.h %% 10 = 0 THEN 'a-' ELSE 'm-' END || g, '', '',
       ptn.id, 'referral_code', '', now() - interval '400 days',
       CASE WHEN x.h %% 25 = 0 THEN 'churned' ELSE 'active' END,
       date_trunc('month', now()) - interval '13 months', 2000 + x.h %% 48000, %(cur)s,
       date_trunc('month', now()) - interval '14 months', ''
FROM generate_series(%(lo)s, %(hi)s) g
CROSS JOIN LATERAL (SELECT abs(hashint4((g + %(seed)s)::int)) AS h) x
CROSS JOIN (SELECT count(*) AS n FROM partners_partnership
            WHERE vendor_id = %(v)s AND status = 'approved') k
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM partners_partnership
      WHERE vendor_id = %(v)s AND status = 'approved') ptn ON ptn.rn = g %% k.n
"""  # noqa: S608 -- constants only

# The ledger's history: every invoice before the last month has its 20 % commission, already
# paid (a ledger with history, as in production: the benchmarks compute the last month).
_HISTORY_SQL = f"""
INSERT INTO payouts_commission (vendor_id, public_id, created_at, updated_at, partnership_id,
  plan_id, revenue_event_id, customer_id, kind, amount, currency, rate, base_amount,
  occurred_at, available_at, status)
SELECT e.vendor_id, {_ID.format(p="com")}, now(), now(), e.partnership_id, p.id, e.id,
       e.customer_id, 'percent', payouts_round_half_even(p.rate * e.amount), e.currency, p.rate,
       e.amount, e.occurred_at, e.occurred_at, 'paid'
FROM payouts_revenueevent e JOIN payouts_commissionplan p ON p.vendor_id = e.vendor_id
WHERE e.vendor_id = %(v)s AND e.kind = 'invoice_paid'
  AND e.occurred_at < date_trunc('month', now()) - interval '1 month'
"""  # noqa: S608 -- constants only

# Month m (0 = oldest): monthly customers pay every month until they churn (4 % churn at a
# month given by their hash), annual ones once a year in their own month; about 2 % of the
# invoices are refunded the next day (same statement, so no rescan).
_INVOICES_SQL = f"""
WITH inv AS (
  INSERT INTO payouts_revenueevent (vendor_id, public_id, created_at, updated_at, external_id,
    customer_id, partnership_id, kind, amount, currency, occurred_at, period_start, period_end,
    mrr_amount, source)
  SELECT %(v)s, {_ID.format(p="rev")}, now(), now(), 'inv-' || c.id || '-' || %(m)s, c.id,
         c.partnership_id, 'invoice_paid',
         CASE WHEN left(c.external_id, 1) = 'a' THEN c.mrr_amount * 10 ELSE c.mrr_amount END,
         %(cur)s, t.at, t.at::date, (t.at + interval '1 month')::date, c.mrr_amount, 'bench'
  FROM payouts_customer c
  CROSS JOIN LATERAL (SELECT abs(hashint4((c.id + %(seed)s)::int)) AS h,
    date_trunc('month', now()) - make_interval(months => %(months)s - %(m)s)
      + (c.id %% 27) * interval '1 day' AS at) t
  WHERE c.vendor_id = %(v)s
    AND (CASE WHEN left(c.external_id, 1) = 'a' THEN t.h %% 12 = %(m)s %% 12
              ELSE c.status = 'active' OR t.h %% %(months)s > %(m)s END)
  RETURNING id, customer_id, partnership_id, amount, currency, occurred_at
)
INSERT INTO payouts_revenueevent (vendor_id, public_id, created_at, updated_at, external_id,
  customer_id, partnership_id, kind, amount, currency, occurred_at, mrr_amount, source,
  refunded_event_id)
SELECT %(v)s, {_ID.format(p="rev")}, now(), now(), 'ref-' || e.id, e.customer_id,
       e.partnership_id, 'refund', e.amount, e.currency, e.occurred_at + interval '1 day', 0,
       'bench', e.id
FROM inv e
WHERE abs(hashint4((e.customer_id + %(seed)s * 7)::int)) %% 50 = 0
"""  # noqa: S608 -- constants only
