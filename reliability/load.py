"""Bounded load test: a steady request rate against a gunicorn web server and a Celery
worker started here on 127.0.0.1 only, with the mix 70% API reads, 20% revenue events (API
writes) and 10% dashboard pages. Reports requests sent, 5xx seen, p50/p99 latency and the
resident memory of the web and worker processes after warm-up and at the end.

    python -m reliability.load --seconds 300 --rate 20 --json out.json

Uses its own database (the DATABASE_URL's name + ``_load``), created and migrated here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import requests

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    url = urlparse(os.environ["DATABASE_URL"])
    load_url = urlunparse(url._replace(path=url.path + "_load"))
    return {
        **os.environ,
        "DATABASE_URL": load_url,
        "DJANGO_SETTINGS_MODULE": "reliability.settings",
        "RELIABILITY_QUEUE": f"partnerhub-load-{os.getpid()}",
        "DB_CONN_MAX_AGE": "60",
    }


def _create_database(env: dict[str, str]) -> None:
    import psycopg2

    url = urlparse(env["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres", user=url.username, host=url.hostname, port=url.port or 5432
    )
    admin.autocommit = True
    assert name.endswith("_load"), name  # only ever the load test's own database
    with admin.cursor() as cursor:
        # A clean database each run: the seed's factories number their rows from 0 again.
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


_SEED = r"""
import json, secrets
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor, Role
from tests.factories import (
    VendorFactory, MembershipFactory, ProgramFactory, PartnershipFactory, CustomerFactory,
    CommissionPlanFactory,
)
suffix = secrets.token_hex(3)
vendor = VendorFactory(slug=f"load-{suffix}", name="Load Test Co")
owner = MembershipFactory(vendor=vendor, role=Role.OWNER).user
program = ProgramFactory(vendor=vendor, status="active", hold_period_days=0)
CommissionPlanFactory(program=program)
customers = []
for i in range(20):
    ptn = PartnershipFactory(program=program)
    customers.append(CustomerFactory(partnership=ptn, external_id=f"load-{suffix}-{i}").external_id)
other = VendorFactory(slug=f"load-other-{suffix}")
ProgramFactory(vendor=other)
session = SessionStore()
session[SESSION_KEY] = str(owner.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
session.create()
print("SEED" + json.dumps({
    "slug": vendor.slug, "currency": program.currency, "key": api_key_create(
        vendor=vendor, name="load", role="admin", actor=Actor.system("load test")).raw_key,
    "session": session.session_key, "customers": customers,
}))
"""


def _seed(env: dict[str, str]) -> dict[str, Any]:
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [py, "manage.py", "shell", "-c", _SEED], cwd=ROOT, env=env, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"seeding the load database failed:\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("SEED"))
    return json.loads(line[4:])


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn/celery workers), in kB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        return 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    def __init__(self, base: str, seed: dict[str, Any], rng: random.Random) -> None:
        self.base, self.seed, self.rng = base, seed, rng
        self.local = threading.local()
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors: list[str] = []
        self.counter = 0

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "s"):
            s = requests.Session()
            self.local.s = s
        return self.local.s

    def one(self, kind: str, n: int) -> None:
        s = self._session()
        api = {"Authorization": f"Bearer {self.seed['key']}"}
        start = time.monotonic()
        try:
            if kind == "read":
                path = self.rng.choice(
                    ["programs", "partnerships", "customers", "commissions", "revenue-events"]
                )
                r = s.get(f"{self.base}/api/v1/{path}?limit=20", headers=api, timeout=30)
            elif kind == "write":
                r = s.post(
                    f"{self.base}/api/v1/revenue-events",
                    headers=api,
                    json={
                        "external_id": f"load-{os.getpid()}-{n}",
                        "kind": "invoice_paid",
                        "customer": self.rng.choice(self.seed["customers"]),
                        "amount": 1000 + n % 5000,
                        "currency": self.seed["currency"],
                        "occurred_at": "2026-11-01T00:00:00Z",
                    },
                    timeout=30,
                )
            else:
                page = self.rng.choice(
                    ["", "partnerships/", "programs/", "commissions/", "customers/"]
                )
                r = s.get(
                    f"{self.base}/app/{self.seed['slug']}/{page}",
                    cookies={"sessionid": self.seed["session"]},
                    timeout=30,
                    allow_redirects=False,
                )
            status = str(r.status_code)
            if r.status_code >= 500 or r.status_code in (401, 403, 404):
                with self.lock:
                    self.errors.append(f"{kind} {r.request.method} {r.url} {r.status_code}")
        except requests.RequestException as exc:
            status = "error"
            with self.lock:
                self.errors.append(f"{kind}: {exc!r}")
        elapsed = (time.monotonic() - start) * 1000
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=20, help="requests per second")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    env = _env()
    _create_database(env)
    seed = _seed(env)
    port = _free_port()
    web = subprocess.Popen(  # noqa: S603 - fixed command line, loopback only
        [
            sys.executable, "-m", "gunicorn", "partnerhub.wsgi", "-b", f"127.0.0.1:{port}",
            "-w", "3", "-k", "gthread", "--threads", "4", "--keep-alive", "75",
            "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603 - fixed command line
        [
            sys.executable, "-m", "celery", "-A", "partnerhub", "worker", "--pool=prefork",
            "--concurrency=2", "-Q", env["RELIABILITY_QUEUE"], "--without-heartbeat",
            "--without-gossip", "--without-mingle", "-l", "error",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        rng = random.Random(args.seed)
        load = Load(base, seed, rng)
        warmup = min(15.0, args.seconds / 5)
        interval = 1.0 / args.rate
        rss_start: dict[str, int] = {}
        begin = time.monotonic()
        n = 0
        with ThreadPoolExecutor(max_workers=32) as pool:
            while (now := time.monotonic()) < begin + args.seconds:
                if not rss_start and now - begin >= warmup:
                    rss_start = {"web": _rss_kb(web.pid), "worker": _rss_kb(worker.pid)}
                roll = rng.random()
                kind = "read" if roll < 0.7 else "write" if roll < 0.9 else "page"
                pool.submit(load.one, kind, n)
                n += 1
                next_at = begin + n * interval
                time.sleep(max(0.0, next_at - time.monotonic()))
        time.sleep(2)  # let the worker drain what the writes enqueued
        rss_end = {"web": _rss_kb(web.pid), "worker": _rss_kb(worker.pid)}
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()

    five = sum(v for k, v in load.statuses.items() if k.startswith("5"))
    figures = {
        "seconds": args.seconds,
        "rate": args.rate,
        "requests": n,
        "statuses": load.statuses,
        "server_errors": five,
        "failed": len(load.errors),
        "p50_ms": round(_percentile(load.latencies, 0.50), 1),
        "p99_ms": round(_percentile(load.latencies, 0.99), 1),
        "rss_start_kb": rss_start,
        "rss_end_kb": rss_end,
        "errors_sample": load.errors[:10],
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures))
    flat = all(rss_end[k] <= rss_start.get(k, 0) * 1.25 + 16_384 for k in ("web", "worker"))
    return 0 if five == 0 and not load.errors and flat and n > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
