"""`tools/typecheck.py`: every module of the packages passes `mypy --strict` (issue #11)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[dev]')")


def test_whole_tree_passes_mypy_strict():
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "typecheck.py")],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    assert "0 strict errors in 0 files" in proc.stdout, proc.stdout[-2000:]
