"""``make lint`` (mypy's Django plugin) imports its own settings: they must not need, or
start, a database or Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_typecheck_settings_start_no_server_and_need_no_url(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DJANGO_SETTINGS_MODULE": "partnerhub.settings.typecheck",
            "PARTNERHUB_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr
    assert not (tmp_path / "data").exists()  # no embedded PostgreSQL or Redis was started
