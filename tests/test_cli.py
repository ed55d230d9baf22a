from __future__ import annotations

import json
import os
import subprocess
import sys

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
