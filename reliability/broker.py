"""The throwaway Redis of the reliability suite: its own redis-server on a loopback port,
started and stopped here (never the machine's Redis), persisting to an append-only file so
queued messages survive a restart, as a production broker is configured to."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def start(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [  # noqa: S607 - redis-server from the PATH, like redis-cli below
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--protected-mode", "yes",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if ping(port):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server on 127.0.0.1:{port} did not start")


def ping(port: int) -> bool:
    done = subprocess.run(  # noqa: S603 - a fixed command line
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],  # noqa: S607
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() == "PONG"


def stop(port: int) -> None:
    """SHUTDOWN (the append-only file is flushed first); a no-op when nothing listens."""
    subprocess.run(  # noqa: S603 - a fixed command line
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "shutdown"],  # noqa: S607
        capture_output=True, check=False,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while ping(port) and time.monotonic() < deadline:
        time.sleep(0.05)
