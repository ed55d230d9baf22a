from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed seed so a red build always reproduces; explore new
# inputs locally with `pytest --hypothesis-profile=explore tests/test_properties.py`.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/stack.yaml"))
# The oracle tools (checkov, hadolint, pre-commit, ...; tests/oracles.txt) live in a virtualenv of
# their own that `make test` creates, so their pins never touch the product's .venv.
# $INFRACC_ORACLES names its bin directory; it joins the end of PATH for `infracc check` and
# every other subprocess.
ORACLES = Path(os.environ.get("INFRACC_ORACLES") or ROOT / ".venv-oracles" / "bin")
if str(ORACLES) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + str(ORACLES)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden from current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


# `<example>+all-targets`: the example as if its `targets` listed every backend. An ecs stack
# gets Kubernetes manifests and a Helm chart only when it asks for them (issue #15); the
# Kubernetes and Helm oracles still check what such a stack gets.
ALL_TARGETS = "+all-targets"


@functools.cache
def compiled(example: str):
    """Compile an example once per test process: (result with files, IR)."""
    from infracc.compiler.pipeline import analyze, emit
    from infracc.schema.models import TARGETS

    name, variant = example.split("+")[0], example[len(example.split("+")[0]):]
    path = ROOT / "examples" / name / "stack.yaml"
    if variant == ALL_TARGETS:
        text = path.read_text(encoding="utf-8")
        assert "\ntargets:" not in text, f"{name} lists its targets already"
        result = analyze(text=text + f"targets: [{', '.join(TARGETS)}]\n", name=str(path), source_dir=str(path.parent))
    else:
        assert not variant, example
        result = analyze(path)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    return result


def output_files(example: str, top: str) -> dict[str, str]:
    """Generated files of one example under one top-level output folder (e.g. `kubernetes`)."""
    return {str(p): t for p, t in compiled(example).files.items() if p.parts[0] == top}


def write_emitted(result: Any, targets: list[str], root: Path) -> Path:
    """Run the backends `targets` on an analyzed result and write its files under `root`, as
    `compile -o root` would (feature tests then read them and hand the directory to oracles)."""
    from infracc.compiler.pipeline import emit

    emit(result, targets)
    for rel, text in result.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root
