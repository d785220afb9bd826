"""Time only the ingestion benchmark of ``bench/run.py`` on an existing seed, several times.

    BENCH_SIZE=medium python bench/run.py --no-http --no-scaling --no-write   # seeds once
    cd <checkout> && python bench/ingest_only.py --rounds 5 --events 50000

Run it from the checkout being measured: the project package is imported from the current
directory first.

Each round is ``bench_ingestion`` exactly as the full suite runs it (same vendor, same
1,000-event requests through the in-process client, same warm-up GET), after the same
untimed ``VACUUM (ANALYZE)``; one line per round, then the range. The noise of a shared
machine is large next to a few ms per request: compare code versions in alternating runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=50_000, help="events per round")
    parser.add_argument("--prefix", default=run.PREFIX)
    args = parser.parse_args()
    vendor = run.bench_vendors(args.prefix)[0]
    raw_key, _ = run.prepare_access(vendor)
    rates = []
    for index in range(args.rounds):
        run.vacuum()
        load = os.getloadavg()[0]
        result = run.bench_ingestion(vendor, args.events, raw_key)["ingestion"]
        rates.append(args.events / result["time"])
        print(
            f"round {index + 1}: {rates[-1]:,.0f} events/s accepted "
            f"({result['time'] * 1000 / (args.events / 1000):.1f} ms per request; "
            f"COPY {args.events / result['floor']:,.0f}/s; load {load:.1f})",
            flush=True,
        )
        time.sleep(1.1)  # bench_ingestion tags its external ids by the second
    median = sorted(rates)[len(rates) // 2]
    print(f"range: {min(rates):,.0f}-{max(rates):,.0f} events/s, median {median:,.0f}")


if __name__ == "__main__":
    main()
