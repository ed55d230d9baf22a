"""`.pre-commit-hooks.yaml`: valid against the SchemaStore schema, and run for real with
`pre-commit try-repo` on a git snapshot of the working tree (uncommitted work included).

try-repo installs infracc and its dependencies into a fresh pre-commit environment (~50 s
measured), so both hooks run in one try-repo call.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import ORACLES, ROOT
from ruamel.yaml import YAML

HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
PACKAGE = ("compiler", "schema", "backends", "library", "agents", "setup.py", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "out", "*.egg-info")


def _hooks() -> list[dict]:
    return YAML(typ="safe").load(HOOKS.read_text())


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=infracc-test", "-c", "user.email=test@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True, capture_output=True)


def _snapshot(src_items: tuple[str, ...], src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for item in src_items:
        path = src / item
        if path.is_dir():
            shutil.copytree(path, dest / item, ignore=IGNORE)
        else:
            shutil.copy2(path, dest / item)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", "snapshot")
    return dest


def test_hooks_file_is_valid_against_the_schemastore_schema() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "pre-commit-hooks.schema.json").read_text())
    jsonschema.validate(_hooks(), schema)
    hooks = {h["id"]: h for h in _hooks()}
    assert set(hooks) == {"infracc-validate", "infracc-compile-check"}
    assert all(h["files"] == r"(^|/)stack\.ya?ml$" for h in hooks.values())


def test_hook_entry_points_accept_many_files_and_resolve_out_per_stack(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "three-tier", project / "a", ignore=IGNORE)
    infracc = str(BIN / "infracc")
    ok = subprocess.run([infracc, "hook", "validate", "a/stack.yaml"], cwd=project, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    stale = subprocess.run([infracc, "hook", "compile-check", "--out", "out", "a/stack.yaml"], cwd=project,
                           capture_output=True, text=True)
    assert stale.returncode == 1 and "a/out: out of date" in stale.stderr
    subprocess.run([infracc, "compile", "a/stack.yaml", "-o", "a/out"], cwd=project, check=True, capture_output=True)
    fresh = subprocess.run([infracc, "hook", "compile-check", "--out", "out"], cwd=project, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    (project / "a" / "bad").mkdir()
    (project / "a" / "bad" / "stack.yaml").write_text("infracc: 1\nname: Bad\n")
    both = subprocess.run([infracc, "hook", "validate", "a/stack.yaml", "a/bad/stack.yaml"], cwd=project,
                          capture_output=True, text=True)
    assert both.returncode == 1 and "a/bad/stack.yaml:2:7" in both.stderr


@pytest.mark.skipif(not (ORACLES / "pre-commit").is_file() or shutil.which("git") is None,
                    reason="pre-commit (dev extra) or git not installed")
def test_pre_commit_try_repo_runs_both_hooks(tmp_path: Path) -> None:
    repo = _snapshot(PACKAGE, ROOT, tmp_path / "infracc")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "three-tier", project, ignore=IGNORE)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PATH": f"{BIN}:{os.environ['PATH']}"}
    proc = subprocess.run([str(ORACLES / "pre-commit"), "try-repo", str(repo), "--files", "stack.yaml"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output                            # no out/ yet: compile-check fails
    assert "infracc validate....." in output and output.split("infracc validate")[1].split("\n")[0].endswith("Passed")
    assert "out: out of date" in output
    assert output.split("infracc compile --check")[1].split("\n")[0].endswith("Failed")
