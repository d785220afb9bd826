"""Every task of the product survives a worker killed under it: the message is acknowledged
only after the task finished (``acks_late``), handed back when the worker process dies
(``reject_on_worker_lost``), and the task is stopped when it runs away (time limits)."""

from __future__ import annotations

from partnerhub.celery import app


def _product_tasks():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(tasks) >= 10, sorted(tasks)  # autodiscovery found the product's tasks
    return tasks


def _effective(task, option: str):
    value = getattr(task, option, None)
    return app.conf[f"task_{option}"] if value is None else value


def test_every_task_is_acknowledged_late_and_handed_back_when_its_worker_dies():
    for name, task in _product_tasks().items():
        assert _effective(task, "acks_late") is True, name
        assert _effective(task, "reject_on_worker_lost") is True, name


def test_every_task_has_a_soft_and_a_hard_time_limit():
    for name, task in _product_tasks().items():
        soft = _effective(task, "soft_time_limit")
        hard = _effective(task, "time_limit")
        assert soft, name
        assert hard, name
        assert 0 < soft < hard <= 3600, name


def test_a_worker_takes_one_message_at_a_time():
    # With prefetch 1 a killed worker holds (and hands back) at most the task it was running.
    assert app.conf.worker_prefetch_multiplier == 1
