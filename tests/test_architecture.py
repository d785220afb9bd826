"""The layer contract of DESIGN.md ("Architecture") holds on this tree, and it is a real check:
the same contract fails on a copy of the tree with one import running up the layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "web",
    "devtools",
    "attribution",
    "payouts",
    "journey",
    "partners",
    "programs",
    "partnerhub",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 -- our own venv's tool on our own tree
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _copy_tree(dest: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for app in APPS:
        shutil.copytree(
            ROOT / app, dest / app, ignore=shutil.ignore_patterns("__pycache__", "migrations")
        )


def test_the_layer_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_an_import_up_the_layers_breaks_the_contract(tmp_path):
    _copy_tree(tmp_path)
    probe = tmp_path / "programs" / "upward_probe.py"
    probe.write_text("from payouts import selectors  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "programs is not allowed to import payouts" in result.stdout
    assert "programs.upward_probe -> payouts.selectors" in result.stdout
