"""What is tested is what users install (issue #15): the product's virtualenv holds the runtime
dependencies a user gets (plus the test runner and pin-free oracle libraries); the oracle tools
that pin (checkov: networkx<2.7, packaging<24, ...; pre-commit + virtualenv<21) run from
.venv-oracles (tests/oracles.txt), which `make test` creates."""
from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import re
import subprocess
import sys
import tomllib

import pytest
from conftest import ORACLES, ROOT

PINNING_ORACLES = ("checkov", "pre_commit", "virtualenv", "cdktf_cdktf_provider_aws")


def _runtime_requirements() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.parametrize("module", PINNING_ORACLES)
def test_pinning_oracles_are_not_in_the_product_environment(module: str) -> None:
    assert importlib.util.find_spec(module) is None, f"{module} belongs in .venv-oracles (tests/oracles.txt)"


def test_runtime_dependencies_are_not_held_back() -> None:
    """networkx was held at 2.6 by checkov's pin (now only the tests' reference for the graph
    code); with the oracles apart, the dev environment gets current releases."""
    assert int(metadata.version("networkx").split(".")[0]) >= 3
    names = [re.match(r"[A-Za-z0-9_.-]+", req).group(0) for req in _runtime_requirements()]
    for name in names:  # every runtime dependency is installed (and so satisfies `pip check` below)
        metadata.version(name)
    proc = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_runtime_dependency_is_test_only() -> None:
    """`jsonschema` was a runtime dependency that only the tests imported."""
    text = "\n".join(p.read_text(encoding="utf-8") for folder in ("compiler", "backends", "schema")
                     for p in (ROOT / folder).rglob("*.py"))
    for req in _runtime_requirements():
        name = re.match(r"[A-Za-z0-9_.-]+", req).group(0)
        module = {"ruamel.yaml": "ruamel", "pyyaml": "yaml"}.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {re.escape(module)}\b", text, re.M), f"{name} is never imported"


def test_oracle_tools_come_from_their_own_environment() -> None:
    if not ORACLES.is_dir():
        pytest.skip(f"no oracle environment at {ORACLES} (`make test` creates it)")
    for tool in ("checkov", "hadolint", "pre-commit"):
        assert (ORACLES / tool).is_file(), tool
