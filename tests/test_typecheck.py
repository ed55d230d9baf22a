"""`tools/typecheck.py`: the modules on the strict ratchet list pass `mypy --strict`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[dev]')")


def test_ratchet_list_is_sorted_and_exists():
    lines = [
        line.split("#", 1)[0].strip()
        for line in (REPO / "tools" / "typecheck-strict.txt").read_text(encoding="utf-8").splitlines()
    ]
    modules = [line for line in lines if line]
    assert modules, "the ratchet list is empty"
    assert len(modules) == len(set(modules)), "duplicate entries"
    for module in modules:
        assert module.startswith("infracc/") and module.endswith(".py"), module
        assert (REPO / module.removeprefix("infracc/")).is_file(), module


def test_ratcheted_modules_pass_mypy_strict():
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "typecheck.py")],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    assert "strict errors" in proc.stdout
