"""`validate --format sarif` is what GitHub code scanning takes as is (issue #15).

The OASIS SARIF 2.1.0 schema (tests/data/sarif-schema-2.1.0.json) is the oracle for shape; the
fields code scanning reads beyond the schema are asserted one by one.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from infracc.compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
INVALID = ROOT / "tests" / "invalid"


def sarif(path: Path | str) -> dict:
    out = CliRunner().invoke(main, ["validate", str(path), "--format", "sarif"])
    assert out.exit_code in (0, 1), out.output
    doc = json.loads(out.output)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    return doc


@pytest.mark.parametrize("case", sorted(p.name for p in INVALID.glob("*.yaml")))
def test_every_invalid_case_is_schema_valid_sarif(case: str) -> None:
    doc = sarif(INVALID / case)
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        rule = rules[result["ruleId"]]
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]] is rule
        assert rule["name"][0].isupper() and rule["name"].isalnum()
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["help"]["text"] and rule["help"]["markdown"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["endLine"] >= region["startLine"]
        if region["endLine"] == region["startLine"]:  # equal only for an insertion point past the text
            assert region["endColumn"] >= region["startColumn"]
        assert list(result["partialFingerprints"]) == ["infraccDiagnostic/v1"]


def test_security_rules_carry_security_severity() -> None:
    run = sarif(INVALID / "secret-literal.yaml")["runs"][0]
    secret_rules = [r for r in run["tool"]["driver"]["rules"] if r["id"].startswith("IC-SECRET-")]
    assert secret_rules
    for rule in secret_rules:
        assert "security" in rule["properties"]["tags"]
        assert float(rule["properties"]["security-severity"]) >= 7.0  # an error files as a high alert
    ref = sarif(INVALID / "unknown-reference.yaml")["runs"][0]["tool"]["driver"]["rules"][0]
    assert "security-severity" not in ref["properties"]


def test_region_spans_the_token() -> None:
    result = sarif(INVALID / "unknown-reference.yaml")["runs"][0]["results"][0]
    # line 7 is `    uses: [db, cahce]`: the region covers exactly `cahce`
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 7, "startColumn": 16, "endLine": 7, "endColumn": 21}


def test_uri_is_relative_to_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "app"
    (repo / ".git").mkdir(parents=True)
    (repo / "deploy").mkdir()
    spec = repo / "deploy" / "stack.yaml"
    shutil.copy(INVALID / "unknown-reference.yaml", spec)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for given in (spec, Path("../app/deploy/stack.yaml")):
        loc = sarif(given)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc == {"uri": "deploy/stack.yaml", "uriBaseId": "%SRCROOT%"}


def test_fingerprints_survive_a_line_shift(tmp_path: Path) -> None:
    spec = tmp_path / "stack.yaml"
    text = (INVALID / "unknown-reference.yaml").read_text()
    spec.write_text(text)
    before = sarif(spec)["runs"][0]["results"][0]
    spec.write_text("# a comment added above\n\n" + text)
    after = sarif(spec)["runs"][0]["results"][0]
    assert after["partialFingerprints"] == before["partialFingerprints"]
    assert (after["locations"][0]["physicalLocation"]["region"]["startLine"]
            == before["locations"][0]["physicalLocation"]["region"]["startLine"] + 2)
