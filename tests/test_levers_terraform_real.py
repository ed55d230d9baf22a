"""The cost levers' Terraform that the examples do not exercise, under the same oracles as
tests/test_terraform_real.py and tests/test_terraform.py: `nat_gateway: false` with a function in
the VPC (interface endpoints instead of NAT). The examples cover the rest: ECS scheduled scaling
and RDS stop/start (three-tier dev, staging), the EKS node group schedule with RDS in one role
(microservices dev, staging), no NAT gateway at all (serverless).

terraform init/validate and `terraform test` with the mock provider, tf_semantics, and checkov
(0 failures beyond the catalogue's suppressions)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import tf_real
from conftest import ORACLES, ROOT
from test_terraform_real import toolchain, validate_and_mock, write_output  # noqa: F401 (fixture)

from infracc.compiler.pipeline import analyze, emit

SPEC = """infracc: 1
name: shop
region: us-east-1
environments: {dev: {nat_gateway: false}, prod: {}}
functions:
  f: {runtime: python3.12, source: ./f, handler: app.handler, trigger: {schedule: '0 3 * * *'}, uses: [db, q:send]}
databases:
  db: {}
queues:
  q: {}
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = analyze(text=SPEC, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result, ["terraform"])
    root = tmp_path_factory.mktemp("levers-out")
    write_output(result.files, root)
    doc = json.loads((root / "terraform" / "dev" / "cdk.tf.json").read_text())
    assert "aws_nat_gateway" not in doc["resource"] and "endpoint_secretsmanager" in doc["resource"]["aws_vpc_endpoint"]
    return root / "terraform" / "dev"


def test_interface_endpoints_validate_and_mock_plan_apply(toolchain, output: Path, tmp_path: Path) -> None:  # noqa: F811
    problems = validate_and_mock(toolchain, output, tmp_path / "dev")
    assert not problems, "\n".join(problems)


def test_interface_endpoints_tf_semantics(output: Path) -> None:
    code, findings, summary = tf_real.semantics(sorted(output.glob("*.tf.json")))
    assert code == 0 and not findings, findings or summary


def test_interface_endpoints_checkov(output: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    subprocess.run([str(ORACLES / "checkov"), "-d", str(output), "--framework", "terraform_json", "--skip-download",
                    "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=600)
    data = json.loads((report / "results_json.json").read_text())
    data = data[0] if isinstance(data, list) else data
    doc = json.loads((output / "cdk.tf.json").read_text())
    allowed: dict[str, set[str]] = {}
    for named in doc["resource"].values():
        for name, attrs in named.items():
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                allowed.setdefault(name, set()).add(entry["id"])
    bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
           if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
    assert data["summary"]["passed"] > 100 and not bad, bad
