"""Fixtures of the crash suite: a real Celery worker (prefork, one child) as a subprocess on
this run's own queue, on the throwaway Redis that ``reliability/run.py`` started, and a
place to write the figures of the summary table."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import other_vendor as other_vendor  # the suite's usual two vendors
from tests.conftest import vendor as vendor
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("RELIABILITY_SEED", "20261121"))
KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))


def record(**figures: Any) -> None:
    """Append one scenario's figures to the results file read by the summary table."""
    path = os.environ.get("RELIABILITY_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(figures) + "\n")


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    return wait_for(predicate, timeout)


class Worker:
    """``celery worker --pool=prefork -c 1``: SIGKILLing its child is a worker process dying
    under a task; the parent hands the message back (reject_on_worker_lost) and a new child
    runs it again."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        db = connection.settings_dict
        port = f":{db['PORT']}" if db["PORT"] else ""
        env = {
            **os.environ,
            "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}{port}/{db['NAME']}",
            # The test settings name the queue after the process id: tasks the worker
            # enqueues itself (fan-outs) must reach the queue it consumes, this run's.
            "DJANGO_SETTINGS_MODULE": "reliability.settings",
            "RELIABILITY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                sys.executable, "-m", "celery", "-A", "partnerhub", "worker",
                "--pool=prefork", "--concurrency=1", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE,
                "--without-heartbeat", "--without-gossip", "--without-mingle", "-l",
                os.environ.get("RELIABILITY_WORKER_LOGLEVEL", "error"),
            ],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_log_sink(),
        )  # fmt: skip
        assert wait_until(lambda: self.child() is not None, 30), "the worker never forked"

    def child(self) -> int | None:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = path.read_text().split()
        except OSError:
            return None
        return int(pids[0]) if pids else None

    def kill_child(self) -> None:
        pid = self.child()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # The parent forks a new child; wait for it so the next kill has a target.
        assert wait_until(lambda: self.child() not in (None, pid), 30), "no new child"

    def shut_down(self) -> None:
        """SIGTERM: Celery's warm shutdown stops consuming, finishes the running task and
        hands the messages it prefetched back to the queue."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        # The children of a SIGKILLed parent exit on their own (the pool's pipe closes).


def _log_sink() -> Any:
    """The worker's log goes to ``RELIABILITY_WORKER_LOG`` when set (diagnosing a run)."""
    path = os.environ.get("RELIABILITY_WORKER_LOG")
    return open(path, "ab") if path else subprocess.DEVNULL


@pytest.fixture
def worker_factory() -> Iterator[Callable[..., Worker]]:
    from partnerhub.celery import app

    app.control.purge()
    started: list[Worker] = []

    def make(extra_env: dict[str, str] | None = None) -> Worker:
        w = Worker(extra_env)
        started.append(w)
        return w

    yield make
    for w in started:
        w.stop()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """Seeded per test, so a failing run is replayed with the same kill points."""
    return random.Random(f"{SEED}:{request.node.name}")
