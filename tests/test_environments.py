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


# A process in which the optional extras are not installed: `sys.modules[name] = None` makes
# `import name` fail and `importlib.util.find_spec(name)` answer None, as for a missing package.
WITHOUT_EXTRAS = """
import sys
for name in ("mcp", "questionary"):
    sys.modules[name] = None
sys.argv = ["infracc", *sys.argv[1:]]
from infracc.compiler.cli import run
run()
"""


def test_extras_are_optional_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.match(r"[A-Za-z0-9_.-]+", req).group(0) for req in project["dependencies"]}
    assert not names & {"mcp", "questionary"}
    extras = project["optional-dependencies"]
    assert [r.split(">")[0] for r in extras["mcp"]] == ["mcp"]
    assert [r.split(">")[0] for r in extras["wizard"]] == ["questionary"]
    assert "infracc[mcp,wizard]" in extras["dev"]


@pytest.mark.parametrize(("args", "extra"), [(["mcp"], "mcp"), (["init", "-o", "{tmp}/stack.yaml"], "wizard")])
def test_without_an_extra_its_command_says_how_to_install_it(tmp_path, args: list[str], extra: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, *argv], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'infracc[{extra}]'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_without_the_extras_everything_else_works(tmp_path) -> None:
    stack = tmp_path / "stack.yaml"
    for args in (["init", "--pattern", "three-tier", "--name", "my-app", "-o", str(stack)],
                 ["validate", str(stack)], ["cost", str(stack)],
                 ["compile", str(stack), "-o", str(tmp_path / "out"), "--target", "docs"]):
        proc = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, *args], capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, (args, proc.stderr)
