"""PartnerHub benchmark suite: every figure next to a floor measured in the same run.

    python bench/run.py                    # BENCH_SIZE=small (default), a few minutes
    BENCH_SIZE=full python bench/run.py    # 50 vendors, 100k partnerships, 1M customers
    BENCH_ARGS=--reuse-seed make bench     # keep a matching seed from an earlier run
    python bench/run.py --size tiny --no-http --no-write   # the smoke test's size

Each size runs twice: at the size and 10x smaller (the scaling check), on data made by
``manage.py bench_seed`` (vendor slugs ``bench-…`` for the size, ``bench10-…`` for the
10x smaller run, so neither deletes the other; reseeded per run unless ``--reuse-seed``
finds a seed with the same counts). Every phase prints a line with the elapsed time, long
ones a progress bar (stderr). Benchmarks:

commissions   ``commissions_compute`` over the last month's revenue events of every vendor,
              floor: one bare ``INSERT … SELECT`` writing the same rows (rolled back);
payout run    ``payout_run_execute`` for every vendor (release, payouts, links, audit,
              events), floor: one ``GROUP BY`` computing the same per-partnership sums;
journey       ``journey_evaluate`` of every vendor (steady state), floor: the plain SQL of
              the same metrics (bench/journey_eval.py);
ingestion     ``POST /api/v1/revenue-events/bulk`` (1,000 per request, in-process client):
              the API's acceptance rate, and end to end with ``revenue_events_settle`` (the
              commissions the worker computes after the response), floor: ``COPY`` of the
              same rows (rolled back);
API reads     ``GET /api/v1/partnerships?limit=100`` and ``/commissions?limit=100`` served by
              gunicorn (2 workers) and loaded from a second process (bench/load.py),
              floor: a bare DRF view returning the same rows from ``.values()``;
dashboard     every main vendor page (home, lists, a partnership, a payout run, journey):
              best-of-3 server time and query count (in-process client).

Commissions, payouts and journey moves happen in transactions that are rolled back, so one
seed serves every benchmark. Results: printed, and written to bench/results/<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partnerhub.core.actor import Actor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.journey_eval import floor_statement as journey_floor_statement  # noqa: E402
from devtools.management.commands.bench_seed import Progress, owner_bypass  # noqa: E402
from journey.services.evaluation import journey_evaluate  # noqa: E402
from partnerhub.tenancy.context import vendor_scope  # noqa: E402
from partnerhub.tenancy.models import Vendor  # noqa: E402
from payouts import sql as payout_sql  # noqa: E402
from payouts.models import PayoutRun  # noqa: E402
from payouts.services import ledger, runs  # noqa: E402
from payouts.services.ledger_months import ledger_months_rebuild  # noqa: E402
from payouts.services.settlement import revenue_events_settle  # noqa: E402
from programs.models import Program  # noqa: E402

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"vendors": 2, "partnerships": 200, "customers": 1_000, "months": 2, "ingest": 1_000},
    "small": {
        "vendors": 5,
        "partnerships": 10_000,
        "customers": 100_000,
        "months": 3,
        "ingest": 10_000,
    },
    "medium": {
        "vendors": 20,
        "partnerships": 40_000,
        "customers": 400_000,
        "months": 3,
        "ingest": 20_000,
    },
    "full": {
        "vendors": 50,
        "partnerships": 100_000,
        "customers": 1_000_000,
        "months": 12,
        "ingest": 50_000,
    },
}
PREFIX = "bench"
TENTH_PREFIX = "bench10"
STARTED = time.perf_counter()


def say(message: str) -> None:
    """A progress line with the wall time since the run started."""
    print(f"[{time.perf_counter() - STARTED:7.0f} s] {message}", flush=True)


class Rollback(Exception):
    pass


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sql(query: str, params: Any = None) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bench_vendors(prefix: str = PREFIX) -> list[Vendor]:
    return list(Vendor.objects.filter(slug__startswith=f"{prefix}-").order_by("pk"))


def month_ranges(vendors: list[Vendor]) -> dict[int, tuple[int, int, int]]:
    """Per vendor: the id range and count of its last month's revenue events."""
    rows = sql(
        """SELECT vendor_id, min(id), max(id), count(*) FROM payouts_revenueevent
           WHERE vendor_id = ANY(%s) AND occurred_at >= date_trunc('month', now())
                 - interval '1 month'
           GROUP BY vendor_id""",
        [[v.pk for v in vendors]],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


_WRITE_FLOOR = f"""
INSERT INTO payouts_commission (vendor_id, public_id, created_at, updated_at, partnership_id,
  plan_id, revenue_event_id, customer_id, kind, amount, currency, rate, base_amount,
  occurred_at, available_at, status)
SELECT e.vendor_id, {payout_sql.NEW_ID.format(prefix="com")}, now(), now(), e.partnership_id,
       p.id, e.id, e.customer_id, 'percent', payouts_round_half_even(p.rate * e.amount),
       e.currency, p.rate, e.amount, e.occurred_at, e.occurred_at, 'pending'
FROM payouts_revenueevent e
JOIN payouts_commissionplan p ON p.vendor_id = e.vendor_id
WHERE e.vendor_id = %(v)s AND e.id BETWEEN %(lo)s AND %(hi)s AND e.kind = 'invoice_paid'
"""  # noqa: S608 -- constants only

_PAYOUT_FLOOR = """
SELECT partnership_id, currency, SUM(amount), COUNT(*) FROM payouts_commission
WHERE vendor_id = %(v)s AND status IN ('pending', 'available') AND payout_id IS NULL
GROUP BY partnership_id, currency HAVING SUM(amount) > 0
"""


def bench_money(vendors: list[Vendor]) -> dict[str, Any]:
    """Commissions then payout runs, in one transaction rolled back at the end."""
    out: dict[str, Any] = {}
    ranges = month_ranges(vendors)
    events = sum(r[2] for r in ranges.values())
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                owner_bypass(cursor)
            sid = transaction.savepoint()
            say(f"commissions: floor, then {events:,} events")
            floor, _ = timed(
                lambda: [
                    sql(_WRITE_FLOOR, {"v": v.pk, "lo": ranges[v.pk][0], "hi": ranges[v.pk][1]})
                    for v in vendors
                ]
            )
            transaction.savepoint_rollback(sid)
            rss_before = rss_mb()

            def compute() -> int:
                n = 0
                bar = Progress(events, "commissions")
                for v in vendors:
                    lo, hi, _ = ranges[v.pk]
                    for start in range(lo, hi + 1, 50_000):
                        n += len(
                            ledger.commissions_compute(
                                vendor_id=v.pk, id_range=(start, min(start + 49_999, hi))
                            )
                        )
                    bar.step(ranges[v.pk][2])
                bar.close()
                return n

            took, created = timed(compute)
            out["commissions"] = {
                "n": events,
                "unit": f"{events:,} events → {created:,} commissions",
                "time": took,
                "floor": floor,
                "rss": rss_mb(),
                "rss_growth": rss_mb() - rss_before,
            }
            say(f"commissions: {took:.0f} s (floor {floor:.0f} s); payout runs: floor, then runs")
            floor_p, sums = timed(lambda: [sql(_PAYOUT_FLOOR, {"v": v.pk}) for v in vendors])
            expected = sum(len(s) for s in sums)

            def payout_runs() -> int:
                made = 0
                bar = Progress(len(vendors), "payout runs")
                for v in vendors:
                    with vendor_scope(v):
                        program = Program.objects.for_vendor(v).get()
                        run = PayoutRun.objects.for_vendor(v).create(
                            vendor=v,
                            program=program,
                            period_start=dt.date.today() - dt.timedelta(days=400),
                            period_end=dt.date.today() + dt.timedelta(days=2),
                        )
                        made += runs.payout_run_execute(vendor=v, run_id=run.pk).payouts_created
                    bar.step(1)
                bar.close()
                return made

            took_p, made = timed(payout_runs)
            assert made == expected, f"payouts {made} != floor sums {expected}"
            out["payout run"] = {
                "n": events,
                "unit": f"{made:,} payouts",
                "time": took_p,
                "floor": floor_p,
                "rss": rss_mb(),
                "rss_growth": rss_mb() - rss_before,
            }
            raise Rollback
    except Rollback:
        pass
    return out


def bench_journey(vendors: list[Vendor]) -> dict[str, Any]:
    n = sql(
        "SELECT count(*) FROM partners_partnership WHERE vendor_id = ANY(%s)",
        [[v.pk for v in vendors]],
    )[0][0]
    try:
        with transaction.atomic():
            for v in vendors:  # first run: apply whatever moves (not timed)
                with vendor_scope(v):
                    journey_evaluate(vendor=v)

            # The same metrics the evaluation computes (the default rules' and each
            # program's own), in plain SQL; built before the timing (it reads the rules).
            now = dt.datetime.now(dt.UTC)
            statements = {}
            for v in vendors:
                with vendor_scope(v):
                    statements[v.pk] = journey_floor_statement(v, now)

            def floor() -> None:
                for v in vendors:
                    with vendor_scope(v):
                        sql(*statements[v.pk])

            def steady() -> None:
                for v in vendors:
                    with vendor_scope(v):
                        journey_evaluate(vendor=v)

            floor_t = min(timed(floor)[0] for _ in range(2))
            with CaptureQueriesContext(connection) as captured:
                took = min(timed(steady)[0] for _ in range(2))
            raise Rollback
    except Rollback:
        pass
    return {
        "journey": {
            "n": n,
            "unit": f"{n:,} partnerships, {len(captured) // 2 // len(vendors)} queries/vendor",
            "time": took,
            "floor": floor_t,
            "rss": rss_mb(),
        }
    }


def _ingest_items(vendor: Vendor, count: int, tag: str) -> list[dict[str, Any]]:
    customers = [
        r[0]
        for r in sql(
            "SELECT external_id FROM payouts_customer WHERE vendor_id = %s ORDER BY id LIMIT 500",
            [vendor.pk],
        )
    ]
    currency = sql("SELECT currency FROM programs_program WHERE vendor_id = %s", [vendor.pk])[0][0]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return [
        {
            "external_id": f"{tag}-{i}",
            "kind": "invoice_paid",
            "customer": customers[i % len(customers)],
            "amount": 1000 + i % 5000,
            "currency": currency,
            "occurred_at": (now - dt.timedelta(seconds=i)).isoformat(),
        }
        for i in range(count)
    ]


def bench_ingestion(vendor: Vendor, count: int, raw_key: str) -> dict[str, Any]:
    tag = f"ing{int(time.time())}"
    items = _ingest_items(vendor, count, tag)
    ids = dict(
        sql("SELECT external_id, id FROM payouts_customer WHERE vendor_id = %s", [vendor.pk])
    )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                owner_bypass(cursor)
                buf = io.StringIO()
                for it in items:
                    buf.write(
                        f"{vendor.pk}\trev_{tag}{it['external_id']}\t{it['occurred_at']}\t"
                        f"{it['occurred_at']}\t{it['external_id']}\t{ids[it['customer']]}\t"
                        f"invoice_paid\t{it['amount']}\t{it['currency']}\t{it['occurred_at']}\t0"
                        "\tbench\n"
                    )
                buf.seek(0)
                floor, _ = timed(
                    lambda: cursor.copy_expert(
                        "COPY payouts_revenueevent (vendor_id, public_id, created_at, "
                        "updated_at, external_id, customer_id, kind, amount, currency, "
                        "occurred_at, mrr_amount, source) FROM STDIN",
                        buf,
                    )
                )
            raise Rollback
    except Rollback:
        pass
    client = Client()
    headers = {"Authorization": f"Bearer {raw_key}"}
    stored = 0

    def post_all() -> None:
        nonlocal stored
        for i in range(0, count, 1000):
            response = client.post(
                "/api/v1/revenue-events/bulk",
                data=json.dumps({"items": items[i : i + 1000]}),
                content_type="application/json",
                headers={**headers, "Idempotency-Key": f"{tag}-{i}"},
            )
            assert response.status_code == 200, response.content[:300]
            stored += response.json()["stored"]

    # A server process answers many requests: its one-time work (URL configuration, view
    # and serializer imports, ~0.3 s) is done by one untimed read of the same API first, not
    # charged to the first timed batch. Nothing is written by it.
    warm = client.get("/api/v1/revenue-events", {"limit": 1}, headers=headers)
    assert warm.status_code == 200, warm.content[:300]
    first_batch = sql("SELECT COALESCE(MAX(id), 0) FROM payouts_revenuebatch")[0][0]
    took, _ = timed(post_all)
    assert stored == count, f"stored {stored} of {count}"

    # The bulk API answers with the events stored and their commissions pending: the settle
    # task a worker runs after each commit (none runs here) computes them. Timed as the
    # worker runs it (vendor scope, its own committed transaction), over every batch posted.
    def settle() -> int:
        with vendor_scope(vendor):
            return revenue_events_settle(vendor=vendor)

    settle_s, created = timed(settle)
    assert created >= count, f"settlement created {created} commissions for {count} events"
    # Remove the ingested rows and their commissions: owner bypass, and the append-only
    # triggers off for this throw-away data.
    with transaction.atomic(), connection.cursor() as cursor:
        owner_bypass(cursor)
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "DELETE FROM payouts_commission WHERE vendor_id = %s AND revenue_event_id IN "
            "(SELECT id FROM payouts_revenueevent WHERE vendor_id = %s AND external_id LIKE %s)",
            [vendor.pk, vendor.pk, f"{tag}-%"],
        )
        cursor.execute(
            "DELETE FROM payouts_revenueevent WHERE vendor_id = %s AND external_id LIKE %s",
            [vendor.pk, f"{tag}-%"],
        )
        cursor.execute(
            "DELETE FROM payouts_revenuebatch WHERE vendor_id = %s AND id > %s",
            [vendor.pk, first_batch],
        )
    ledger_months_rebuild(vendor_ids=[vendor.pk])  # the DELETEs skipped its triggers
    return {
        "ingestion": {
            "n": count,
            "unit": f"{count / took:,.0f} events/s accepted, {count / (took + settle_s):,.0f}"
            f"/s with commissions (settle {settle_s:.2f} s; COPY {count / floor:,.0f}/s)",
            "time": took,
            "settle": settle_s,
            "floor": floor,
            "rss": rss_mb(),
        }
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(vendor: Vendor, raw_key: str, seconds: float) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "partnerhub.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    out: dict[str, Any] = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        def load(url: str, header: str | None) -> dict[str, Any]:
            cmd = [sys.executable, str(ROOT / "bench" / "load.py"), url, "--seconds", str(seconds)]
            cmd += ["--concurrency", "4"]
            if header:
                cmd += ["--header", header]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)  # noqa: S603
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))

        base = f"http://127.0.0.1:{port}"
        for what in ("partnerships", "commissions"):
            floor = load(f"{base}/bench/bare/{vendor.slug}/{what}/", None)
            real = load(f"{base}/api/v1/{what}?limit=100", f"Authorization: Bearer {raw_key}")
            out[f"GET {what}"] = {
                "n": 100,
                "unit": (
                    f"{real['rps']:.0f} req/s p50 {real['p50_ms']:.1f} ms p99 "
                    f"{real['p99_ms']:.1f} ms; floor {floor['rps']:.0f} req/s p99 "
                    f"{floor['p99_ms']:.1f} ms; errors {real['errors']}"
                ),
                # time per request, so the ratio reads like the others (lower is better)
                "time": 1 / real["rps"],
                "floor": 1 / floor["rps"],
                "p99": real["p99_ms"],
                "rps_share": real["rps"] / floor["rps"],
            }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return out


def _page_time(client: Client, url: str) -> tuple[float, int]:
    """Best of 3 server times of one page (after a warm-up request), and its query count."""
    client.get(url)  # warm
    best, queries = float("inf"), 0
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            took, response = timed(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        best, queries = min(best, took), len(captured)
    return best, queries


def dashboard_pages(vendor: Vendor) -> dict[str, str]:
    """The main vendor pages (tests/browser/test_page_tour.py), one row each in the table
    (labels distinct from the other benchmarks' rows: the results share one dict).
    The partnership is the one with the most customers (the heaviest detail page); the
    payout run is the one ``bench_dashboard`` makes for the vendor's program."""
    base = f"/app/{vendor.slug}"
    with vendor_scope(vendor):
        heaviest = sql(
            """SELECT p.public_id FROM partners_partnership p
               JOIN payouts_customer c ON c.vendor_id = p.vendor_id AND c.partnership_id = p.id
               WHERE p.vendor_id = %s GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1""",
            [vendor.pk],
        )[0][0]
        run = PayoutRun.objects.for_vendor(vendor).order_by("-id").first()
    pages = {
        "dashboard home": f"{base}/",
        "partnership list": f"{base}/partnerships/",
        "partnership page": f"{base}/partnerships/{heaviest}/",
        "applications list": f"{base}/applications/",
        "journey funnel": f"{base}/journey/",
        "journey at risk": f"{base}/journey/at-risk/",
        "customers list": f"{base}/customers/",
        "commissions list": f"{base}/commissions/",
        "payout runs list": f"{base}/payout-runs/",
    }
    if run is not None:
        pages["payout run page"] = f"{base}/payout-runs/{run.public_id}/"
    return pages


def bench_dashboard(vendor: Vendor, user: Any) -> dict[str, Any]:
    """Every main vendor page of the first vendor: best of 3 server times and query count.
    A payout run of the vendor's program (all its available commissions) is made first so
    the payout-run pages show one; it is rolled back with the rest at the end."""
    client = Client()
    client.force_login(user)
    out: dict[str, Any] = {}
    try:
        with transaction.atomic():
            with vendor_scope(vendor):
                program = Program.objects.for_vendor(vendor).order_by("id").first()
                if program is not None:
                    run = PayoutRun.objects.for_vendor(vendor).create(
                        vendor=vendor,
                        program=program,
                        period_start=dt.date.today() - dt.timedelta(days=400),
                        period_end=dt.date.today() + dt.timedelta(days=2),
                    )
                    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
            for label, url in dashboard_pages(vendor).items():
                best, queries = _page_time(client, url)
                out[label] = {
                    "n": 1,
                    "unit": f"{queries} queries",
                    "time": best,
                    "floor": None,
                    "page": True,
                }
            raise Rollback
    except Rollback:
        pass
    return out


def prepare_access(vendor: Vendor) -> tuple[str, Any]:
    from django.contrib.auth import get_user_model

    from partnerhub.api.services import api_key_create
    from partnerhub.tenancy.models import Membership

    user, _ = get_user_model().objects.get_or_create(email="bench-owner@bench.example")
    with vendor_scope(vendor):
        Membership.objects.for_vendor(vendor).get_or_create(
            vendor=vendor, user=user, defaults={"role": "owner"}
        )
        key = api_key_create(actor=Actor.system(), vendor=vendor, name="bench", role="admin")
    return key.raw_key, user


def commit_commissions(vendor: Vendor) -> None:
    """The commissions list needs committed rows: the last month of the first vendor."""
    lo, hi, _ = month_ranges([vendor])[vendor.pk]
    with transaction.atomic():
        ledger.commissions_compute(vendor_id=vendor.pk, id_range=(lo, hi))
    sql("ANALYZE payouts_commission")  # what autovacuum does after a large write


# The tables a benchmark's rolled-back writes leave dead rows in.
_CHURNED = (
    "payouts_commission",
    "payouts_revenueevent",
    "payouts_customer",
    "payouts_payout",
    "journey_stagetransition",
    "partners_partnership",
    "webhooks_event",
    "audit_auditentry",
)


def vacuum() -> None:
    """Each benchmark starts on tables as autovacuum keeps them in production: the previous
    benchmark's rolled-back rows (about a million dead commissions at full size) would
    otherwise be read and skipped by the next one's scans and index probes. Untimed."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(_CHURNED)}")
    say(f"vacuumed in {time.perf_counter() - started:.0f} s")


def seed_restore(vendors: list[Vendor]) -> None:
    """A reused seed as the seeder left it: the last month without commissions. A previous
    run committed the first vendor's (``commit_commissions``), which the commissions floor's
    plain INSERT would collide with. Owner bypass, and the append-only triggers off for this
    benchmark data only."""
    with transaction.atomic(), connection.cursor() as cursor:
        owner_bypass(cursor)
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """DELETE FROM payouts_commission c USING payouts_revenueevent e
               WHERE c.vendor_id = ANY(%s) AND e.vendor_id = c.vendor_id
                 AND e.id = c.revenue_event_id
                 AND e.occurred_at >= date_trunc('month', now()) - interval '1 month'""",
            [[v.pk for v in vendors]],
        )
    ledger_months_rebuild(vendor_ids=[v.pk for v in vendors])  # the DELETE skipped its trigger


def seeded(prefix: str, dims: dict[str, int]) -> bool:
    """Whether a seed with this prefix and these counts is already there (``--reuse-seed``)."""
    vendors = [v.pk for v in bench_vendors(prefix)]
    if len(vendors) != dims["vendors"]:
        return False
    counts = sql(
        "SELECT (SELECT count(*) FROM partners_partnership WHERE vendor_id = ANY(%(v)s)), "
        "(SELECT count(*) FROM payouts_customer WHERE vendor_id = ANY(%(v)s)), "
        "(SELECT count(DISTINCT date_trunc('month', occurred_at)) FROM payouts_revenueevent "
        " WHERE vendor_id = %(first)s AND kind = 'invoice_paid')",
        {"v": vendors, "first": vendors[0]},
    )[0]
    per_p, per_c = dims["partnerships"] // len(vendors), dims["customers"] // len(vendors)
    return tuple(counts) == (per_p * len(vendors), per_c * len(vendors), dims["months"])


def run_size(
    name: str,
    dims: dict[str, int],
    http: bool,
    seconds: float,
    prefix: str = PREFIX,
    reuse: bool = False,
) -> dict[str, Any]:
    say(f"== {name}: {dims}")
    started = time.perf_counter()
    if reuse and seeded(prefix, dims):
        say(f"reusing the seed {prefix}-… (--reuse-seed)")
        seed_s = None
        seed_restore(bench_vendors(prefix))
    else:
        call_command(
            "bench_seed",
            vendors=dims["vendors"],
            partnerships=dims["partnerships"],
            customers=dims["customers"],
            months=dims["months"],
            prefix=prefix,
        )
        seed_s = time.perf_counter() - started
        say(f"seeded in {seed_s:.0f} s")
    vendors = bench_vendors(prefix)
    results: dict[str, Any] = {}
    vacuum()
    results.update(bench_money(vendors))
    say(f"payout runs done ({results['payout run']['time']:.0f} s)")
    vacuum()
    results.update(bench_journey(vendors))
    say(f"journey done ({results['journey']['time']:.1f} s); ingestion via the API")
    vacuum()
    raw_key, user = prepare_access(vendors[0])
    results.update(bench_ingestion(vendors[0], dims["ingest"], raw_key))
    say(f"ingestion done ({results['ingestion']['unit']})")
    commit_commissions(vendors[0])
    if http:
        say(f"API reads on gunicorn, {seconds:.0f} s per measurement")
        results.update(bench_http(vendors[0], raw_key, seconds))
    results.update(bench_dashboard(vendors[0], user))
    say(f"dashboard done; {name} took {time.perf_counter() - started:.0f} s")
    return {"dims": dims, "seed_s": seed_s, "results": results}


def table(runs_: list[tuple[str, dict[str, Any]]]) -> str:
    big_name, big = runs_[0]
    lines = [
        f"| benchmark | {big_name}: figure | time | floor | ratio | "
        f"{runs_[1][0] if len(runs_) > 1 else '-'}: time | ratio | growth (time x) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, r in big["results"].items():
        small = runs_[1][1]["results"].get(key) if len(runs_) > 1 else None
        ratio = f"{r['time'] / r['floor']:.2f}x" if r.get("floor") else "-"
        floor = f"{r['floor'] * 1000:.1f} ms" if r.get("floor") else "-"
        s_time = f"{small['time'] * 1000:.1f} ms" if small else "-"
        s_ratio = f"{small['time'] / small['floor']:.2f}x" if small and small.get("floor") else "-"
        growth = f"{r['time'] / small['time']:.1f}" if small else "-"
        lines.append(
            f"| {key} | {r['unit']} | {r['time'] * 1000:.1f} ms | {floor} | {ratio} | "
            f"{s_time} | {s_ratio} | {growth} |"
        )
    return "\n".join(lines)


def targets(big: dict[str, Any]) -> list[str]:
    """Each target of the issue, met or missed (and by how much)."""
    r = big["results"]
    out = []

    def check(label: str, ok: bool, detail: str) -> None:
        out.append(f"- {'met' if ok else 'MISSED'}: {label} — {detail}")

    for key in ("commissions", "payout run", "journey"):
        if key in r:
            ratio = r[key]["time"] / r[key]["floor"]
            check(
                f"{key} within 2x of its floor",
                ratio <= 2,
                f"{ratio:.2f}x ({ratio / 2:.2f}x the bar)",
            )
    for key in ("commissions", "payout run"):
        if key in r:
            check(f"{key} peak RSS < 300 MB", r[key]["rss"] < 300, f"{r[key]['rss']:.0f} MB")
    if "ingestion" in r:
        ing = r["ingestion"]
        eps = ing["n"] / ing["time"]
        end_to_end = ing["n"] / (ing["time"] + ing.get("settle", 0.0))
        check(
            "ingestion ≥ 10,000 events/s",
            eps >= 10_000,
            f"{eps:,.0f} events/s accepted by the API; end to end, commissions included: "
            f"{end_to_end:,.0f} events/s",
        )
    for key in ("GET partnerships", "GET commissions"):
        if key in r:
            share, p99 = r[key]["rps_share"], r[key]["p99"]
            check(f"{key} ≥ 50% of the bare view", share >= 0.5, f"{share:.0%}")
            check(f"{key} p99 < 50 ms (4 concurrent clients)", p99 < 50, f"{p99:.1f} ms")
    for key in [k for k, v in r.items() if v.get("page")]:
        ms = r[key]["time"] * 1000
        check(f"{key} < 150 ms server time", ms < 150, f"{ms:.1f} ms, {r[key]['unit']}")
    return out


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.1f}" for x in load)


def seed_note(seconds: float | None) -> str:
    return "seed reused from an earlier run" if seconds is None else f"seeded in {seconds:.0f} s"


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GB RAM"
    except OSError:
        pass
    pg = sql("SHOW server_version")[0][0]
    return (
        f"{platform.machine()}, {cpus} CPUs, {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {pg} on the same machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default=os.environ.get("BENCH_SIZE", "small"), choices=SIZES)
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn API reads")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 10x smaller run")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--seconds", type=float, default=8.0, help="load per API measurement")
    parser.add_argument(
        "--reuse-seed",
        action="store_true",
        help="skip seeding a size whose seed (same counts) is already in the database",
    )
    args = parser.parse_args()
    dims = SIZES[args.size]
    started = time.perf_counter()
    http, reuse = not args.no_http, args.reuse_seed
    load_before = os.getloadavg()
    runs_ = [(args.size, run_size(args.size, dims, http, args.seconds, PREFIX, reuse))]
    if not args.no_scaling:
        tenth = {k: max(v // 10, 1) for k, v in dims.items()}
        tenth["vendors"] = max(dims["vendors"] // 10, 1)
        tenth["months"] = dims["months"]
        tenth["ingest"] = max(dims["ingest"] // 10, 1000)
        name = f"{args.size}/10"
        runs_.append((name, run_size(name, tenth, http, args.seconds, TENTH_PREFIX, reuse)))
    text = "\n".join(
        [
            f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, BENCH_SIZE={args.size}",
            "",
            f"Machine: {machine()}.",
            "",
            f"Load average (1/5/15 min) at the start: {fmt_load(load_before)}, at the end: "
            f"{fmt_load(os.getloadavg())} (the machine is shared: other processes ran too).",
            "",
            *(f"- {name}: {r['dims']}, {seed_note(r['seed_s'])}" for name, r in runs_),
            "",
            table(runs_),
            "",
            "Targets (at the larger size):",
            "",
            *targets(runs_[0][1]),
            "",
            f"Total wall time {time.perf_counter() - started:.0f} s.",
        ]
    )
    print("\n" + text)
    if not args.no_write:
        path = ROOT / "bench" / "results" / f"{dt.date.today():%Y-%m-%d}-{args.size}.md"
        path.write_text(text + "\n")
        print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
