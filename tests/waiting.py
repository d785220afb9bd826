"""Polling for tests that wait on another process or thread (a worker, a live server)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """True as soon as ``predicate()`` is, False if it is still false after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def blocking_another_backend() -> bool:
    """True when another database session waits for a lock held by this thread's connection
    (a row lock, an advisory lock…): the moment a test holding locks may let go."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted"
            " AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return bool(cursor.fetchone()[0])


class TaskTracker:
    """Counts the Celery tasks published by this process (the test and an in-process worker
    alike) and the ones run to the end: :meth:`idle` is True when nothing is left to run."""

    def __init__(self) -> None:
        self.published: set[str] = set()
        self.finished: set[str] = set()

    def _on_publish(self, sender: object = None, headers: dict | None = None, **_: object) -> None:
        if headers and "id" in headers:
            self.published.add(headers["id"])

    def _on_postrun(self, sender: object = None, task_id: str | None = None, **_: object) -> None:
        if task_id:
            self.finished.add(task_id)

    def __enter__(self) -> TaskTracker:
        from celery.signals import after_task_publish, task_postrun

        after_task_publish.connect(self._on_publish, weak=False)
        task_postrun.connect(self._on_postrun, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        from celery.signals import after_task_publish, task_postrun

        after_task_publish.disconnect(self._on_publish)
        task_postrun.disconnect(self._on_postrun)

    def idle(self) -> bool:
        return self.published <= self.finished
