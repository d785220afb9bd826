"""``manage.py bench_seed``: reproducible benchmark data at SaaS scale, in minutes.

    manage.py bench_seed --vendors 50 --partnerships 100000 --customers 1000000 --months 12

Creates ``--vendors`` vendors ``bench-1`` … (slug prefix ``--prefix``), each with one program
(currency USD, EUR or GBP by vendor), two personas, three join sources and a 20 % commission
plan; then partners and partnerships spread over the five journey stages with the stage
moves that led there (``StageTransition``, one per stage passed), customers (90 %
monthly, 10 % annual, a few churning) and ``--months`` months of revenue events (paid
invoices, about 2 % refunded), and the ledger's history: the commissions of every month but
the last, already paid. Revenue events are written month by month, so the events of
one month of one vendor have contiguous ids (the benchmarks use that).

Bulk path: the few configuration rows go through the ORM; every large table is filled by
server-side ``INSERT … SELECT FROM generate_series`` statements of at most ``--batch`` rows
(nothing is built in Python, so peak memory does not depend on the size), then ``ANALYZE``.
Partnerships and customers commit per statement. Revenue events and the ledger history are
written in one transaction, after dropping the plain (non-unique) indexes of
``payouts_revenueevent`` and ``payouts_commission`` and rebuilding them from their exact
definitions at its end (PostgreSQL's documented bulk-load practice; ~3x faster than
maintaining them row by row) — only when the seed adds more revenue events than the table
already holds, since a rebuild costs the whole table. Primary keys and unique indexes stay
and are enforced row by row, and since it is one transaction an interrupted seed leaves
every index in place. ``--keep-indexes`` maintains them row by row always. A progress bar
per table shows rows, rate and elapsed time on stderr. Reproducible: every value is a fixed
function of the row number and ``--seed`` (only the opaque public ids are random). Existing
data with the same prefix is deleted first (slow for a full-size seed: rerun the benchmarks
with ``--reuse-seed`` or on a fresh database).

Columns come from the models: each statement names only the columns the seed decides; every
other column gets exactly what ``Model.objects.create()`` would write (the field's default,
``now()`` for ``auto_now``/``auto_now_add``; columns with a ``db_default`` are left to the
database). So a model gaining a column with a default needs no change here; a NOT NULL column
without any default stops the seed with a message naming it (see ``insert_into``).

Row-level security and triggers: the seed writes every vendor's rows, so it runs as the
tables' owner with the documented bypass (``partnerhub.rls_bypass = on`` for each transaction,
and ``SET LOCAL ROLE NONE`` when the connection acts as the application role through
``DATABASE_SESSION_ROLE``) — the same way migrations and tests' fixtures write. Every row
still carries its own ``vendor_id``. The seed's bulk statements also run with
``session_replication_role = replica`` for their transaction only: this skips the per-row
foreign-key checks (every reference is taken, in the same statement, from rows the seed just
wrote for the same vendor, so none can dangle) and the ledger's append-only triggers (they
fire on UPDATE/DELETE, which the seed's inserts never do; deleting an earlier seed needs it).
Primary keys, unique, NOT NULL and CHECK constraints are still enforced row by row, as in
production. ``synchronous_commit = off`` per transaction: a crash
could lose the last seed batches, never corrupt them.

Longer than ~500 lines on purpose: one command whose statements build on each other's
ids, read in order; split, the order would be lost.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction

from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Vendor
from payouts.services.ledger_months import ledger_months_rebuild

CURRENCIES = ("USD", "EUR", "GBP")
_ID = "'{p}_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 22)"


def owner_bypass(cursor: Any) -> None:
    """Act as the tables' owner with the RLS bypass for the current transaction only (the
    connection acts as its ``DATABASE_SESSION_ROLE`` again after it)."""
    if getattr(settings, "DATABASE_SESSION_ROLE", ""):
        cursor.execute("SET LOCAL ROLE NONE")
    cursor.execute("SELECT set_config('partnerhub.rls_bypass', 'on', true)")


def insert_into(model: type[models.Model], values: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """``INSERT INTO <table> (<columns>) SELECT <expressions>`` for a bulk statement.

    ``values`` maps the columns the seed decides to SQL expressions. Every other concrete
    column gets what ``Model.objects.create()`` would write: ``now()`` for ``auto_now`` /
    ``auto_now_add``, else the field's default (a bound parameter, prepared by the field);
    columns with a ``db_default`` and the auto primary key are left to the database. A NOT
    NULL column without a default raises ``CommandError`` naming it (the ORM would fail too).
    Returns the SQL (to be followed by ``FROM …``) and the parameters of the defaults.
    """
    given = dict(values)
    table = model._meta.db_table
    columns: list[str] = []
    exprs: list[str] = []
    params: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        column = str(field.column)
        if column in given:
            columns.append(column)
            exprs.append(given.pop(column))
        elif (field.primary_key and field.db_returning) or _has_db_default(field):
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(column)
            exprs.append("now()")
        else:
            value = field.get_default()
            if value is None and not field.null:
                raise CommandError(
                    f"bench_seed: {table}.{column} is NOT NULL without a default; "
                    "give it a value in bench_seed's statement for that table"
                )
            if value is None:
                continue
            key = f"d_{table}_{column}"
            params[key] = field.get_db_prep_save(value, connection)
            columns.append(column)
            exprs.append(f"%({key})s")
    if given:
        raise CommandError(f"bench_seed: {table} has no column(s) {sorted(given)}")
    return f"INSERT INTO {table} ({', '.join(columns)})\nSELECT " + ",\n  ".join(exprs), params


def _has_db_default(field: models.Field[Any, Any]) -> bool:
    return getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED


class Progress:
    def __init__(self, total: int, label: str, out: Any = sys.stderr) -> None:
        self.total, self.done, self.label, self.out = max(total, 1), 0, label, out
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def step(self, n: int) -> None:
        self.done += n
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = self.done / max(self.elapsed, 1e-9)
        self.out.write(
            f"\r  {self.label:<14} [{bar:<30}] {self.done:>11,}/{self.total:,} "
            f"({rate:,.0f}/s, {self.elapsed:,.0f} s)"
        )
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


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
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="maintain the ledger tables' indexes row by row instead of rebuilding them",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        prefix, n_vendors = opts["prefix"], opts["vendors"]
        stmts = _statements()
        bench_delete(prefix)
        vendors = [self._configure(prefix, i, opts["seed"]) for i in range(1, n_vendors + 1)]
        per_p = max(opts["partnerships"] // n_vendors, 1)
        per_c = max(opts["customers"] // n_vendors, 1)
        batch = opts["batch"]

        bar = Progress(per_p * n_vendors, "partnerships")
        for vendor, program in vendors:
            for lo in range(0, per_p, batch):
                hi = min(lo + batch, per_p)
                _exec(stmts["partnerships"], {**_p(vendor, program, opts), "lo": lo, "hi": hi - 1})
                bar.step(hi - lo)
        bar.close()
        for vendor, program in vendors:
            _exec(stmts["history"], _p(vendor, program, opts))
        _exec("ANALYZE partners_partnership", {})  # the statements below look them up

        bar = Progress(per_c * n_vendors, "customers")
        for vendor, program in vendors:
            for lo in range(0, per_c, batch):
                hi = min(lo + batch, per_c)
                _exec(
                    stmts["customers"],
                    {**_p(vendor, program, opts), "lo": lo, "hi": hi - 1, "np": per_p},
                )
                bar.step(hi - lo)
        bar.close()
        _exec("ANALYZE payouts_customer", {})

        # The two big ledger tables in one transaction: their non-unique indexes are dropped
        # first and rebuilt at the end (see the module docstring); a failure rolls it all back.
        with transaction.atomic(), connection.cursor() as cursor:
            _session(cursor)
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            new_rows = per_c * n_vendors * opts["months"]
            defer = not opts["keep_indexes"] and new_rows > _estimated_rows(cursor)
            deferred = defer_indexes(cursor, _LEDGER_TABLES) if defer else []
            bar = Progress(per_c * n_vendors * opts["months"], "revenue months")
            for month in range(opts["months"]):
                for vendor, program in vendors:
                    params = {**_p(vendor, program, opts), "m": month, "months": opts["months"]}
                    _run(cursor, stmts["invoices"], params)
                    bar.step(per_c)
            bar.close()
            bar = Progress(len(deferred), "indexes")
            for definition in deferred:
                cursor.execute(definition)
                bar.step(1)
            bar.close()
        # The seed's replica-role statements skip every trigger, the ledger's monthly sums
        # (LedgerMonth) included: recompute them from what was written.
        rollup = time.perf_counter()
        ledger_months_rebuild(vendor_ids=[vendor.pk for vendor, _ in vendors])
        self.stderr.write(f"  ledger months  {time.perf_counter() - rollup:,.0f} s")
        analyzing = time.perf_counter()
        for table in _ANALYZED:
            _exec(f"ANALYZE {table}", {})
        self.stderr.write(f"  analyze        {time.perf_counter() - analyzing:,.0f} s")
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


_LEDGER_TABLES = ("payouts_revenueevent", "payouts_commission")


def _estimated_rows(cursor: Any) -> int:
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'payouts_revenueevent'::regclass")
    return max(int(cursor.fetchone()[0]), 0)


def defer_indexes(cursor: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the plain (non-unique, not constraint-backed) indexes of ``tables``.

    Returns their exact definitions (``pg_indexes.indexdef``) to run again after the bulk
    load, in the same transaction. Primary keys and unique indexes stay (they are enforced
    row by row).
    """
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [list(tables)],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


_ANALYZED = (
    "partners_partner",
    "partners_partnership",
    "payouts_customer",
    "payouts_revenueevent",
    "payouts_commission",
)


def _p(vendor: Vendor, program: Any, opts: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": vendor.pk,
        "prg": program.pk,
        "cur": program.currency,
        "slug": vendor.slug,
        "seed": opts["seed"],
    }


def _session(cursor: Any) -> None:
    """The seed's transaction settings (documented in the module docstring)."""
    owner_bypass(cursor)
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SET LOCAL synchronous_commit = off")


def _run(cursor: Any, statement: tuple[str, dict[str, Any]], params: dict[str, Any]) -> None:
    sql, defaults = statement
    cursor.execute(sql, {**defaults, **params})


def _exec(statement: tuple[str, dict[str, Any]] | str, params: dict[str, Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        _session(cursor)
        _run(cursor, (statement, {}) if isinstance(statement, str) else statement, params)


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
        "payouts_ledgermonth",
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


def _statements() -> dict[str, tuple[str, dict[str, Any]]]:
    """The bulk statements, their column lists and defaults derived from the models."""
    from journey.models import StageTransition
    from partners.models import Partner, Partnership
    from payouts.models import Commission, Customer, RevenueEvent

    def stmt(*parts: tuple[str, dict[str, Any]] | str) -> tuple[str, dict[str, Any]]:
        sql, params = "", {}
        for part in parts:
            if isinstance(part, str):
                sql += part
            else:
                sql += part[0]
                params.update(part[1])
        return sql, params

    # Partners and partnerships in one statement; stages spread over the five stages (40 %
    # recruitment … 5 % devotion), 10 % still applied, personas and join sources round-robin.
    partner = insert_into(
        Partner,
        {
            "public_id": _ID.format(p="par"),
            "kind": "'company'",
            "name": "'Bench partner ' || i",
            "email": "%(slug)s || '-' || i || '@bench.example'",
            "company_name": "'Company ' || i",
            "country": "'US'",
        },
    )
    partnership = insert_into(
        Partnership,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="ptn"),
            "created_at": "now() - (x.h %% 700) * interval '1 day'",
            "program_id": "%(prg)s",
            "partner_id": "n.id",
            "referral_code": "'b' || n.id",
            "status": "CASE WHEN x.h %% 10 = 0 THEN 'applied' ELSE 'approved' END",
            "stage": """CASE WHEN x.h %% 100 < 20 THEN 'interest'
                WHEN x.h %% 100 < 60 THEN 'recruitment' WHEN x.h %% 100 < 85 THEN 'activation'
                WHEN x.h %% 100 < 95 THEN 'investment' ELSE 'devotion' END""",
            "stage_entered_at": "now() - (x.h %% 200) * interval '1 day'",
            "approved_at": """CASE WHEN x.h %% 10 = 0 THEN NULL
                ELSE now() - (x.h %% 600) * interval '1 day' END""",
            "persona_id": """(SELECT id FROM programs_partnerpersona WHERE vendor_id = %(v)s
                ORDER BY id OFFSET x.h %% 2 LIMIT 1)""",
            "join_source_id": """(SELECT id FROM programs_joinsource WHERE vendor_id = %(v)s
                ORDER BY id OFFSET x.h %% 3 LIMIT 1)""",
        },
    )
    partnerships = stmt(
        "WITH g AS (SELECT i FROM generate_series(%(lo)s, %(hi)s) i),\npa AS (\n",
        partner,
        "\nFROM g RETURNING id, email\n),\n"
        "n AS (SELECT id, split_part(split_part(email, '@', 1), '-', 3)::int AS i FROM pa)\n",
        partnership,
        "\nFROM n CROSS JOIN LATERAL (SELECT abs(hashint4((n.i + %(seed)s)::int)) AS h) x",
    )

    # The journey's history: every partnership past Interest reached its stage one move at a
    # time (Interest → Recruitment → …), three weeks apart, the last move at its
    # ``stage_entered_at``, as the stage rules would have recorded it. The funnel and the
    # at-risk pages read these rows.
    transition = insert_into(
        StageTransition,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="stt"),
            "created_at": "s.at",
            "updated_at": "s.at",
            "partnership_id": "ptn.id",
            "from_stage": "s.from_stage",
            "to_stage": "s.to_stage",
            "at": "s.at",
            "actor_type": "'rule'",
            "rule": "'bench seed'",
        },
    )
    history = stmt(
        transition,
        """
FROM partners_partnership ptn
CROSS JOIN LATERAL (
  SELECT st[k] AS from_stage, st[k + 1] AS to_stage,
         ptn.stage_entered_at - (array_position(st, ptn.stage::text) - 1 - k) * interval '21 days'
           AS at
  FROM (SELECT ARRAY['interest', 'recruitment', 'activation', 'investment', 'devotion'] AS st) a
  CROSS JOIN LATERAL generate_series(1, array_position(a.st, ptn.stage::text) - 1) k
) s
WHERE ptn.vendor_id = %(v)s""",
    )

    customer = insert_into(
        Customer,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="cus"),
            # 'a' = annual plan (10 %%), 'm' = monthly
            "external_id": "CASE WHEN x.h %% 10 = 0 THEN 'a-' ELSE 'm-' END || g",
            "partnership_id": "ptn.id",
            "attribution_method": "'referral_code'",
            "attributed_at": "now() - interval '400 days'",
            "status": "CASE WHEN x.h %% 25 = 0 THEN 'churned' ELSE 'active' END",
            "first_paid_at": "date_trunc('month', now()) - interval '13 months'",
            "mrr_amount": "2000 + x.h %% 48000",
            "mrr_currency": "%(cur)s",
            "signed_up_at": "date_trunc('month', now()) - interval '14 months'",
        },
    )
    customers = stmt(
        customer,
        """
FROM generate_series(%(lo)s, %(hi)s) g
CROSS JOIN LATERAL (SELECT abs(hashint4((g + %(seed)s)::int)) AS h) x
CROSS JOIN (SELECT count(*) AS n FROM partners_partnership
            WHERE vendor_id = %(v)s AND status = 'approved') k
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM partners_partnership
      WHERE vendor_id = %(v)s AND status = 'approved') ptn ON ptn.rn = g %% k.n""",
    )

    # Month m (0 = oldest): monthly customers pay every month until they churn (4 % churn at
    # a month given by their hash), annual ones once a year in their own month; about 2 % of
    # the invoices are refunded the next day (same statement, so no rescan).
    invoice = insert_into(
        RevenueEvent,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="rev"),
            "external_id": "'inv-' || c.id || '-' || %(m)s",
            "customer_id": "c.id",
            "partnership_id": "c.partnership_id",
            "kind": "'invoice_paid'",
            "amount": """CASE WHEN left(c.external_id, 1) = 'a' THEN c.mrr_amount * 10
                ELSE c.mrr_amount END""",
            "currency": "%(cur)s",
            "occurred_at": "t.at",
            "period_start": "t.at::date",
            "period_end": "(t.at + interval '1 month')::date",
            "mrr_amount": "c.mrr_amount",
            "source": "'bench'",
        },
    )
    refund = insert_into(
        RevenueEvent,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="rev"),
            "external_id": "'ref-' || e.id",
            "customer_id": "e.customer_id",
            "partnership_id": "e.partnership_id",
            "kind": "'refund'",
            "amount": "e.amount",
            "currency": "e.currency",
            "occurred_at": "e.occurred_at + interval '1 day'",
            "mrr_amount": "0",
            "source": "'bench'",
            "refunded_event_id": "e.id",
        },
    )
    # The ledger's history, in the same statement: every invoice before the last month has
    # its 20 % commission, already paid (a ledger with history, as in production: the
    # benchmarks compute the last month).
    commission = insert_into(
        Commission,
        {
            "vendor_id": "%(v)s",
            "public_id": _ID.format(p="com"),
            "partnership_id": "e.partnership_id",
            "plan_id": "p.id",
            "revenue_event_id": "e.id",
            "customer_id": "e.customer_id",
            "kind": "'percent'",
            "amount": "payouts_round_half_even(p.rate * e.amount)",
            "currency": "e.currency",
            "rate": "p.rate",
            "base_amount": "e.amount",
            "occurred_at": "e.occurred_at",
            "available_at": "e.occurred_at",
            "status": "'paid'",
        },
    )
    invoices = stmt(
        "WITH inv AS (\n",
        invoice,
        """
  FROM payouts_customer c
  CROSS JOIN LATERAL (SELECT abs(hashint4((c.id + %(seed)s)::int)) AS h,
    date_trunc('month', now()) - make_interval(months => %(months)s - %(m)s)
      + (c.id %% 27) * interval '1 day' AS at) t
  WHERE c.vendor_id = %(v)s
    AND (CASE WHEN left(c.external_id, 1) = 'a' THEN t.h %% 12 = %(m)s %% 12
              ELSE c.status = 'active' OR t.h %% %(months)s > %(m)s END)
  RETURNING id, customer_id, partnership_id, amount, currency, occurred_at
),
refunds AS (
""",
        refund,
        """
  FROM inv e WHERE abs(hashint4((e.customer_id + %(seed)s * 7)::int)) %% 50 = 0
)
""",
        commission,
        """
FROM inv e
CROSS JOIN (SELECT id, rate FROM payouts_commissionplan WHERE vendor_id = %(v)s) p
WHERE e.occurred_at < date_trunc('month', now()) - interval '1 month'""",
    )
    return {
        "partnerships": partnerships,
        "history": history,
        "customers": customers,
        "invoices": invoices,
    }
