"""``make reliability``: the crash suite and the load test, then one summary table.

Starts its own redis-server on 127.0.0.1 (port ``RELIABILITY_REDIS_PORT``, default 6391) for
the broker of the crash suite — the machine's Redis is never restarted — runs the isolation
matrix to count the routes covered, the crash suite (SIGKILLed workers, broker restarts, a
database connection dropped mid-request), the load test, prints the table and writes it into
docs/reliability.md. Exits non-zero when any part failed.

    python -m reliability.run [--load-seconds 300] [--rate 20] [--kills 20]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reliability import broker

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"


def _pytest(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:warnings", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
    return done.returncode, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load-seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    started = time.monotonic()
    port = int(os.environ.get("RELIABILITY_REDIS_PORT", "6391"))
    work = Path(tempfile.mkdtemp(prefix="partnerhub-reliability-"))
    results = work / "results.jsonl"
    env = {
        **os.environ,
        "RELIABILITY_REDIS_PORT": str(port),
        "RELIABILITY_REDIS_DIR": str(work / "redis"),
        "RELIABILITY_RESULTS": str(results),
        "RELIABILITY_KILLS": str(args.kills),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{port}/1",
    }
    failures: list[str] = []

    # 1. Routes covered: the isolation matrix prints how many route/method pairs it checked.
    code, out = _pytest(["-q", "-s", "tests/test_isolation_matrix.py"], {**os.environ})
    routes = sum(int(n) for n in re.findall(r"isolation matrix: (\d+)", out))
    if code:
        failures.append("isolation matrix")

    # 2. Crashes: workers SIGKILLed, the broker restarted, a database connection dropped.
    if broker.ping(port):
        print(f"something already listens on 127.0.0.1:{port}; set RELIABILITY_REDIS_PORT")
        return 2
    broker.start(port, work / "redis")
    try:
        code, out = _pytest(
            ["-q", "reliability/test_crash.py", "reliability/test_redis_restart.py",
             "tests/reliability/test_database_drop.py"],
            env,
        )  # fmt: skip
    finally:
        broker.stop(port)
    if code:
        failures.append("crash suite")
    scenarios = (
        [json.loads(x) for x in results.read_text().splitlines()] if results.exists() else []
    )
    drops = re.search(r"(\d+) passed", out)
    db_drop_ok = code == 0 or "test_database_drop" not in out

    # 3. Load.
    load_json = work / "load.json"
    load_code = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "reliability.load", "--seconds", str(args.load_seconds),
         "--rate", str(args.rate), "--json", str(load_json)],
        cwd=ROOT, env={**os.environ}, check=False,
    ).returncode  # fmt: skip
    load = json.loads(load_json.read_text()) if load_json.exists() else {}
    if load_code:
        failures.append("load")

    crashes = sum(s["crashes"] for s in scenarios)
    rows = [
        ("routes covered (isolation matrix, route x method)", routes),
        ("requests sent (load)", load.get("requests", 0)),
        ("5xx seen (load)", load.get("server_errors", "n/a")),
        ("other failed requests (load)", load.get("failed", "n/a")),
        ("latency p50 / p99 (ms)", f"{load.get('p50_ms')} / {load.get('p99_ms')}"),
        ("RSS web after warm-up → end (MB)", _mb(load, "web")),
        ("RSS worker after warm-up → end (MB)", _mb(load, "worker")),
        ("crashes injected", crashes),
        ("duplicates found", sum(s["duplicates"] for s in scenarios)),
        ("rows lost", sum(s["lost"] for s in scenarios)),
    ]
    detail = [
        f"| {s['scenario']} | {s['crashes']} | {s['mid_task']} | {s['duplicates']} "
        f"| {s['lost']} | {s['checked']} |"
        for s in scenarios
    ]
    table = "\n".join(
        [
            f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{args.kills} kills per scenario, load {args.load_seconds:g} s at "
            f"{args.rate:g} req/s, took {time.monotonic() - started:.0f} s. "
            f"Result: **{'FAILED: ' + ', '.join(failures) if failures else 'all passed'}**.",
            "",
            "| figure | value |",
            "|---|---|",
            *[f"| {name} | {value} |" for name, value in rows],
            "",
            "| scenario | crashes | while the task ran | duplicates | lost | checked |",
            "|---|---|---|---|---|---|",
            *detail,
            "",
            f"Database connection dropped mid-request → 503, next request 200: "
            f"{'passed' if db_drop_ok else 'FAILED'} ({drops.group(0) if drops else '?'} "
            "crash-suite tests).",
        ]
    )
    print("\n" + table)
    if DOC.exists() and BEGIN in DOC.read_text():
        text = DOC.read_text()
        head, rest = text.split(BEGIN, 1)
        DOC.write_text(head + BEGIN + "\n" + table + "\n" + END + rest.split(END, 1)[1])
    return 1 if failures else 0


def _mb(load: dict, key: str) -> str:
    start = load.get("rss_start_kb", {}).get(key)
    end = load.get("rss_end_kb", {}).get(key)
    if start is None or end is None:
        return "n/a"
    return f"{start / 1024:.0f} → {end / 1024:.0f}"


if __name__ == "__main__":
    sys.exit(main())
