"""Every spec under tests/invalid/ fails with the expected code at the expected line:col."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from infracc.compiler.pipeline import analyze
from infracc.compiler.render import position

CASES = sorted((ROOT / "tests" / "invalid").glob("*.yaml"))


def test_at_least_25_invalid_specs() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_spec_reported_at_its_line(case) -> None:
    code, where = case.with_suffix(".expected").read_text().split()
    line, col = map(int, where.split(":"))
    result = analyze(case, skip=frozenset({"cost"}))
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors, f"{case.name} produced no error"
    found = [(d.code, position(d, result.source)) for d in errors]
    assert (code, (line, col)) in found, found
    missing = [d.code for d in errors if not d.hint and not d.code.startswith("IC-YAML-00")]
    assert not missing, f"errors without a hint: {missing}"


def test_billion_laughs_is_refused_before_expansion() -> None:
    # No timing assert (a busy machine would fail it): the alias bomb is refused by the loader,
    # so nothing past loading ever sees the expanded document.
    result = analyze(ROOT / "tests" / "invalid" / "billion-laughs.yaml")
    assert not result.ok and result.diagnostics[0].code == "IC-YAML-005"
    assert result.ir is None


@pytest.mark.parametrize("case", CASES[:6], ids=lambda p: p.stem)
def test_cli_never_prints_a_traceback(case) -> None:
    proc = subprocess.run([sys.executable, "-m", "infracc.compiler.cli", "validate", str(case)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{case.name}:" in proc.stderr
