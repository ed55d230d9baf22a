"""Minimal valid specs that once crashed the compiler (or were wrongly refused).

Each `tests/regressions/<name>.yaml` was found by the spec generator (`tests/specgen.py hunt`)
and reduced to the smallest spec that still shows the problem; its first comment lines name
the crash. Every one must compile through `analyze` and `emit` (all targets) with no exception
and no error diagnostic. A `# variants: {...}` comment picks the shape of a build context;
the source tree (build contexts, function and site sources) is written by `specgen`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from specgen import Generated

from infracc.compiler.pipeline import analyze, emit

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.yaml"))


def _variants(text: str) -> dict[str, list]:
    for line in text.splitlines():
        if line.startswith("# variants:"):
            return json.loads(line.removeprefix("# variants:"))
    return {}


def test_there_are_regressions() -> None:
    assert REGRESSIONS


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.stem)
def test_regression_compiles(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    gen = Generated(YAML(typ="safe", pure=True).load(text), _variants(text))
    gen.write(tmp_path)
    (tmp_path / "stack.yaml").write_text(text, encoding="utf-8")  # as written, comments included
    result = analyze(tmp_path / "stack.yaml")
    errors = [f"{d.code} {'.'.join(map(str, d.origin))}: {d.message}" for d in result.diagnostics if d.is_error]
    assert not errors, errors
    emit(result)
    errors = [f"{d.code} {'.'.join(map(str, d.origin))}: {d.message}" for d in result.diagnostics if d.is_error]
    assert not errors, errors
    assert result.files
