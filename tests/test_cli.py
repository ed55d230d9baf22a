from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT

from infracc.compiler.cli import main

THREE = str(ROOT / "examples" / "three-tier" / "stack.yaml")


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_schema_file_is_up_to_date() -> None:
    from infracc.schema.stack import json_schema

    committed = json.loads((ROOT / "schema" / "stack.schema.json").read_text())
    assert committed == json_schema(), "schema/stack.schema.json is stale: run `make schema`"


def test_every_schema_property_has_a_description() -> None:
    from infracc.schema.stack import json_schema

    schema = json_schema()
    missing = []
    for name, definition in [("Stack", schema), *schema.get("$defs", {}).items()]:
        for prop, body in (definition.get("properties") or {}).items():
            if "description" not in body:
                missing.append(f"{name}.{prop}")
    assert not missing, missing


def test_examples_carry_the_schema_modeline() -> None:
    for path in (ROOT / "examples").glob("*/stack.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=../../schema/stack.schema.json"), path


def test_validate_ok_and_json_format() -> None:
    assert invoke("validate", THREE).exit_code == 0
    out = invoke("validate", THREE, "--format", "json")
    assert json.loads(out.output)["ok"] is True


def test_validate_sarif_on_bad_spec() -> None:
    out = invoke("validate", str(ROOT / "tests" / "invalid" / "unknown-reference.yaml"), "--format", "sarif")
    assert out.exit_code == 1
    sarif = json.loads(out.output)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "IC-REF-001"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (7, 16)


def test_usage_errors_exit_2() -> None:
    assert invoke("compile").exit_code == 2
    assert invoke("explain", "IC-NOPE-123").exit_code == 2
    assert invoke("graph", THREE, "--env", "qa").exit_code == 2


def test_explain_prints_rule() -> None:
    out = invoke("explain", "IC-SEC-010")
    assert out.exit_code == 0 and "allowable: yes" in out.output and "why:" in out.output
    listing = invoke("explain", "--list").output
    assert "IC-REF-001" in listing and "IC-GDPR-001" in listing


def test_graph_formats() -> None:
    mermaid = invoke("graph", THREE).output
    assert mermaid.startswith("flowchart LR") and "service_api -->|send| queue_jobs" in mermaid
    data = json.loads(invoke("graph", THREE, "--format", "json", "--env", "dev").output)
    assert {"source": "service.api", "target": "database.db", "mode": None} in data["edges"]
    assert invoke("graph", THREE, "--format", "dot").output.startswith('digraph "prod"')


def test_compile_json_includes_decisions(tmp_path) -> None:
    out = invoke("compile", THREE, "-o", str(tmp_path / "out"), "--format", "json", "--target", "docs")
    data = json.loads(out.output)
    api = data["decisions"]["environments"]["prod"]["components"]["api"]
    assert api["sizing"]["cpu"] == 1 and api["retention"]["log_retention_days"] == 365
    assert any(u["grant"] and "sqs:SendMessage" in u["grant"]["actions"] for u in api["uses"])


def test_compile_check_and_refusals(tmp_path) -> None:
    out = tmp_path / "out"
    assert invoke("compile", THREE, "-o", str(out), "--target", "docs").exit_code == 0
    assert invoke("compile", THREE, "-o", str(out), "--target", "docs", "--check").exit_code == 0
    (out / "docs" / "README.md").write_text("edited\n")
    (out / "stray.txt").write_text("x\n")
    (out / "docs" / "dev.md").unlink()
    checked = invoke("compile", THREE, "-o", str(out), "--target", "docs", "--check")
    assert checked.exit_code == 1
    assert "stale:" in checked.output and "missing:" in checked.output and "unexpected:" in checked.output
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("precious\n")
    refused = invoke("compile", THREE, "-o", str(foreign), "--target", "docs")
    assert refused.exit_code == 1 and (foreign / "keep.txt").read_text() == "precious\n"


def test_failed_compile_leaves_output_untouched(tmp_path) -> None:
    out = tmp_path / "out"
    assert invoke("compile", THREE, "-o", str(out), "--target", "docs").exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "stack.yaml"
    bad.write_text("infracc: 1\nname: shop\nservices:\n  api: {image: 'x/a:1', uses: [nope]}\n")
    assert invoke("compile", str(bad), "-o", str(out)).exit_code == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_output_is_byte_identical_across_processes(tmp_path) -> None:
    outs = []
    for seed in ("1", "2"):
        target = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "infracc.compiler.cli", "compile", THREE, "-o", str(target)],
                       check=True, env=env, capture_output=True)
        outs.append({p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]


# --- CLI conventions (issue #15) --------------------------------------------------------------

INFRACC = str(Path(sys.executable).parent / "infracc")
BAD = str(ROOT / "tests" / "invalid" / "unknown-reference.yaml")


def _on_terminal(args: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[int, str, str]:
    """Run infracc with stderr on a pseudo-terminal: (exit code, stdout, what the terminal showed).
    NO_COLOR is unset unless `env` sets it."""
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen([INFRACC, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env={**base, **(env or {})}, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, stdout, b"".join(chunks).decode(errors="replace")


def test_colour_on_a_terminal_unless_no_color() -> None:
    code, _, shown = _on_terminal(["validate", BAD])
    assert code == 1 and "\x1b[" in shown and "IC-REF-001" in shown
    for args, extra in ((["validate", BAD], {"NO_COLOR": "1"}), (["--no-color", "validate", BAD], {})):
        code, _, shown = _on_terminal(args, env=extra)
        assert code == 1 and "\x1b[" not in shown and "error[IC-REF-001]" in shown, args


def test_quiet_prints_only_errors_and_asked_for_output(tmp_path: Path) -> None:
    spec = tmp_path / "stack.yaml"
    spec.write_text("infracc: 1\nname: shop\nservices:\n  api:\n    image: nginx:1.27\n    uses: [dbb]\n")
    loud = invoke("validate", str(spec))
    quiet = invoke("-q", "validate", str(spec))
    assert loud.exit_code == quiet.exit_code == 1
    assert "warning[IC-SVC-006]" in loud.output and "warning[" not in quiet.output
    assert "error[IC-REF-001]" in quiet.output and "failed (1 error(s)" in quiet.output
    ok = invoke("-q", "validate", THREE)
    assert ok.exit_code == 0 and ok.output == ""
    compiled = invoke("-q", "compile", THREE, "-o", str(tmp_path / "out"), "--target", "docs")
    assert compiled.exit_code == 0 and compiled.output == "" and (tmp_path / "out" / "docs" / "README.md").is_file()
    assert invoke("-q", "compile", THREE, "-o", str(tmp_path / "out"), "--target", "docs", "--check").output == ""
    table = invoke("-q", "cost", THREE, "--env", "prod")
    assert table.exit_code == 0 and "prod" in table.output                    # what was asked for stays
    assert json.loads(invoke("-q", "validate", THREE, "--format", "json").output)["ok"] is True


def test_stack_from_stdin_with_base_dir(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "three-tier" / "stack.yaml").read_text()
    here = CliRunner().invoke(main, ["validate", "-", "--format", "json"], input=text)
    based = CliRunner().invoke(main, ["validate", "-", "--format", "json", "--base-dir",
                                      str(ROOT / "examples" / "three-tier")], input=text)
    assert here.exit_code == based.exit_code == 0
    codes = {d["code"] for d in json.loads(here.output)["diagnostics"]}
    assert "IC-PATH-002" in codes                                   # ./api does not exist in the cwd
    assert "IC-PATH-002" not in {d["code"] for d in json.loads(based.output)["diagnostics"]}
    assert all(d["file"] == "<stdin>" for d in json.loads(here.output)["diagnostics"])
    out = tmp_path / "out"
    piped = subprocess.run([INFRACC, "compile", "-", "--base-dir", str(ROOT / "examples" / "three-tier"), "-o",
                            str(out), "--target", "docker"], input=text, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    from_file = invoke("compile", THREE, "-o", str(tmp_path / "file-out"), "--target", "docker")
    assert from_file.exit_code == 0
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == \
        {p.relative_to(tmp_path / "file-out"): p.read_bytes() for p in (tmp_path / "file-out").rglob("*") if p.is_file()}
    assert "prod" in CliRunner().invoke(main, ["cost", "-", "--env", "prod"], input=text).output


@pytest.mark.parametrize("args", [["validate"], ["compile"], ["cost"], ["graph"], ["tasks"],
                                  ["diff", "--from", "dev", "--to", "prod"]])
def test_a_missing_file_is_a_usage_error(args: list[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    result = invoke(*args[:1], missing, *args[1:])
    assert result.exit_code == 2 and "does not exist" in result.output and "IC-YAML" not in result.output


def test_target_outside_the_stacks_targets_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("compile", THREE, "-o", str(tmp_path / "out"), "--target", "helm")
    assert result.exit_code == 2 and "ecs stack gets kubernetes and helm only when `targets` lists them" in result.output
    assert not (tmp_path / "out").exists()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def _listed(help_text: str) -> list[str]:
    """The summary lines of a group's `Commands:` section."""
    if "Commands:" not in help_text:
        return []
    section = help_text.split("Commands:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in section.splitlines() if line.strip()]


def test_help_summaries_are_whole_and_every_command_has_examples() -> None:
    """Summaries were cut mid-sentence (`Run the installed independent validators...`)."""
    from infracc.compiler.cli_import import import_group

    commands = _commands(main) + [("import", *c) for c in _commands(import_group)]
    assert len(commands) >= 20
    for path in [(), *commands]:
        proc = subprocess.run([INFRACC, *path, "--help"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (path, proc.stderr)
        assert "Examples:" in proc.stdout, path
        for line in _listed(proc.stdout):
            assert not line.endswith("...") and line.endswith("."), (path, line)
    assert len(_listed(invoke("--help").output)) == len(main.commands)


def test_progress_only_on_a_terminal_and_not_quiet(tmp_path: Path) -> None:
    code, stdout, shown = _on_terminal(["compile", THREE, "-o", str(tmp_path / "a"), "--target", "docs"])
    assert code == 0 and "infracc: generating docs..." in shown and "wrote " in stdout
    assert shown.endswith("\r")                                      # the status line is cleared
    code, _, shown = _on_terminal(["-q", "compile", THREE, "-o", str(tmp_path / "b"), "--target", "docs"])
    assert code == 0 and "infracc:" not in shown
    piped = subprocess.run([INFRACC, "compile", THREE, "-o", str(tmp_path / "c"), "--target", "docs"],
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "generating" not in piped.stderr


def test_version_constant_matches_the_distribution() -> None:
    """compiler/version.py is a constant (no metadata read at start-up); it must be the number
    pyproject.toml declares and the installed distribution carries."""
    import tomllib
    from importlib.metadata import version

    from infracc.compiler.version import VERSION

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert VERSION == declared == version("infracc")
