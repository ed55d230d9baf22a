"""`infracc check`: the installed independent validators on real and on deliberately bad output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from infracc.compiler.checks import Tool, executable, run_one
from infracc.compiler.checks.report import as_text

# The console script: `python -m infracc.compiler.cli` runs main() before the commands
# registered at the end of cli.py are added.
CLI = [str(Path(sys.executable).parent / "infracc")]
PRIVILEGED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: shop-dev}
spec:
  replicas: 1
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers:
        - name: bad
          image: nginx:latest
          bogusField: true
          securityContext: {privileged: true}
"""
# One rule declares a reasoned skip (honoured), one an empty reason (still a finding).
TERRAFORM = {"resource": {"aws_security_group_rule": {
    "http_in": {"type": "ingress", "from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                "security_group_id": "sg-123", "description": "http",
                "//": {"checkov": {"skip": [{"id": "CKV_AWS_260", "comment": "IC-SKIP-003: redirect to HTTPS only"}]}}},
    "ssh_in": {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
               "security_group_id": "sg-123", "description": "ssh",
               "//": {"checkov": {"skip": [{"id": "CKV_AWS_24", "comment": ""}]}}}}}}


def _check(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "check", str(out), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def bad_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bad-out")
    (out / "kubernetes" / "dev").mkdir(parents=True)
    (out / "kubernetes" / "dev" / "deployment-bad.yaml").write_text(PRIVILEGED)
    (out / "docker" / "app").mkdir(parents=True)
    (out / "docker" / "app" / "Dockerfile").write_text("FROM ubuntu\nRUN apt-get update && apt-get install -y curl\n")
    (out / "terraform" / "dev").mkdir(parents=True)
    (out / "terraform" / "dev" / "cdk.tf.json").write_text(json.dumps(TERRAFORM))
    (out / "helm" / "broken" / "templates").mkdir(parents=True)
    (out / "helm" / "broken" / "Chart.yaml").write_text("apiVersion: v2\nname: broken\n")  # no version
    return out


def test_bad_output_is_caught_by_every_validator(bad_out: Path) -> None:
    proc = _check(bad_out, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    rules = {(f["tool"], f["rule"]) for f in report["findings"]}
    by_tool = {t["tool"]: t for t in report["tools"]}
    kube = "kubeconform" if executable("kubeconform") else "kubernetes-validate"
    assert by_tool[kube]["status"] == "findings"
    assert any("bogusField" in f["message"] for f in report["findings"] if f["tool"] == kube)
    assert ("checkov", "CKV_K8S_16") in rules                     # privileged container
    assert ("hadolint", "DL3006") in rules                        # untagged base image
    assert ("checkov", "CKV_AWS_24") in rules                     # a skip without a reason is not honoured
    assert ("checkov", "CKV_AWS_260") not in rules
    assert [(f["rule"], f["suppressed"]) for f in report["suppressed"]] == [("CKV_AWS_260", "IC-SKIP-003: redirect to HTTPS only")]
    assert by_tool["helm-lint"]["status"] == "findings"
    assert all(f["file"] and not f["file"].startswith("/") for f in report["findings"])
    assert any(f["file"] == "kubernetes/dev/deployment-bad.yaml" for f in report["findings"] if f["tool"] == "checkov")


def test_text_and_sarif_reports(bad_out: Path) -> None:
    text = _check(bad_out)
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert f"{bad_out}/kubernetes/dev/deployment-bad.yaml:1:1: error[checkov CKV_K8S_16]" in text.stdout
    sarif = json.loads(_check(bad_out, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    names = [run["tool"]["driver"]["name"] for run in sarif["runs"]]
    assert "checkov" in names and "hadolint" in names
    results = [r for run in sarif["runs"] for r in run["results"]]
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)


@pytest.mark.parametrize("example", ["three-tier", "microservices"])  # ecs; eks (Kubernetes, Helm)
def test_real_compile_output_is_checked(tmp_path: Path, example: str) -> None:
    out = tmp_path / "out"
    compiled = subprocess.run([*CLI, "compile", str(ROOT / "examples" / example / "stack.yaml"), "-o", str(out)],
                              capture_output=True, text=True, timeout=600)
    assert compiled.returncode == 0, compiled.stderr
    proc = _check(out, "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == (1 if report["findings"] else 0), proc.stderr
    assert not [t for t in report["tools"] if t["status"] == "error"], report["tools"]
    for t in report["tools"]:
        if t["status"] in ("passed", "findings"):
            assert t["checked"] > 0, t                             # checkov can "pass" having checked nothing
    if example == "microservices":  # the cluster validators saw the manifests and the chart
        kube = "kubeconform" if executable("kubeconform") else "kubernetes-validate"
        by_tool = {t["tool"]: t for t in report["tools"]}
        assert all(by_tool[name]["checked"] > 0 for name in (kube, "helm-lint") if by_tool[name]["status"] != "missing")


def test_missing_tool_is_listed_with_how_to_install_not_passed(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    absent = Tool("nonexistent-linter", "pip install nonexistent-linter",
                  lambda: executable("nonexistent-linter-9f3a") is not None,
                  lambda out: [out / "x.txt"], lambda out, files: (len(files), []))
    run = run_one(absent, tmp_path)
    assert run.status == "missing" and run.detail == "pip install nonexistent-linter"
    from infracc.compiler.checks import Outcome

    text = as_text(Outcome(str(tmp_path), [run]))
    assert "not installed (not counted as passing): nonexistent-linter" in text
    assert "0 validator(s)" in text


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    proc = _check(tmp_path / "nope")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_checkov_runs_one_process_per_cpu_heaviest_scans_spread() -> None:
    from infracc.compiler.checks.checkov import groups

    out = Path("/out")
    found = [out / d for d in ("terraform", "kubernetes", "docker", "ci")]
    assert groups(found, cpus=1) == [found]
    assert groups(found, cpus=2) == [[out / "terraform"], [out / "kubernetes", out / "docker", out / "ci"]]
    assert sorted(map(len, groups(found, cpus=8))) == [1, 1, 1, 1]
    assert groups(found[1:], cpus=2) == [[out / "kubernetes"], [out / "docker", out / "ci"]]
