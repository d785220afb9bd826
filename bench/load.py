"""Load generator for the API-read benchmark, run as a separate process on loopback.

    python bench/load.py URL --concurrency 4 --seconds 10 [--header "Authorization: Bearer …"]

Prints one JSON line: requests, errors, requests/s, p50 and p99 latency in ms.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = 0.0

    def worker() -> None:
        session = requests.Session()
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            response = session.get(args.url, headers=headers, timeout=30)
            mine.append(time.perf_counter() - t0)
            bad += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    # Warm up (first request of each server process imports and connects).
    for _ in range(args.concurrency * 2):
        requests.get(args.url, headers=headers, timeout=30)
    started = time.perf_counter()
    deadline = started + args.seconds
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    print(
        json.dumps(
            {
                "requests": n,
                "errors": errors[0],
                "rps": n / took,
                "p50_ms": latencies[n // 2] * 1000 if n else None,
                "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else None,
            }
        )
    )


if __name__ == "__main__":
    main()
