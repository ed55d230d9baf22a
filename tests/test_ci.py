"""CI backend oracles: GitHub workflow schema first, then checkov; pinning and injection rules."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, ROOT, compiled, output_files
from ruamel.yaml import YAML

SCHEMA = json.loads((ROOT / "tests" / "data" / "github-workflow.schema.json").read_text(encoding="utf-8"))
CHECKOV = Path(sys.executable).parent / "checkov"
MIN_GHA_PASSED = 20


def _workflow(example: str) -> tuple[str, str]:
    name = compiled(example).ir.name
    return name, output_files(example, "ci")[f"ci/.github/workflows/{name}.yaml"]


def _load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def _checkov(tmp: Path, framework: str, files: dict[str, str]) -> dict:
    src, report = tmp / "src", tmp / "report"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    subprocess.run([str(CHECKOV), "-d", str(src), "--framework", framework, "--skip-download",
                    "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=300)
    data = json.loads((report / "results_json.json").read_text(encoding="utf-8"))
    return (data[0] if isinstance(data, list) else data)["summary"]


@pytest.fixture(scope="module", params=EXAMPLES)
def gha_summary(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    name, text = _workflow(request.param)
    jsonschema.validate(_load(text), SCHEMA)  # checkov silently skips a schema-invalid workflow
    return _checkov(tmp_path_factory.mktemp("gha"), "github_actions", {f".github/workflows/{name}.yaml": text})


@pytest.mark.parametrize("example", EXAMPLES)
def test_workflow_matches_schema(example: str) -> None:
    jsonschema.validate(_load(_workflow(example)[1]), SCHEMA)


def test_checkov_github_actions(gha_summary: dict) -> None:
    assert gha_summary["failed"] == 0, gha_summary
    assert gha_summary["passed"] >= MIN_GHA_PASSED, gha_summary


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_action_pinned_by_sha_with_version(example: str) -> None:
    lines = [line for line in _workflow(example)[1].splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


@pytest.mark.parametrize("example", EXAMPLES)
def test_no_untrusted_event_data_in_run(example: str) -> None:
    text = _workflow(example)[1]
    assert "pull_request_target" not in text
    for job in _load(text)["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


@pytest.mark.parametrize("example", EXAMPLES)
def test_least_privilege_and_promotion_order(example: str) -> None:
    ir = compiled(example).ir
    wf = _load(_workflow(example)[1])
    assert wf["permissions"] == {"contents": "read"}
    for job_id, job in wf["jobs"].items():
        needs_oidc = any("configure-aws-credentials" in s.get("uses", "") for s in job["steps"])
        assert (job.get("permissions", {}).get("id-token") == "write") == needs_oidc, job_id
    envs = list(ir.envs)
    for prev, env in zip(envs, envs[1:], strict=False):
        job = wf["jobs"][f"deploy-{env}"]
        assert f"deploy-{prev}" in job["needs"]
        assert job["environment"]["name"] == env and job["concurrency"]["group"].endswith(env)
        assert "failure()" in wf["jobs"][f"rollback-{env}"]["if"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_arm64_builds_where_decided(example: str) -> None:
    ir = compiled(example).ir
    text = _workflow(example)[1]
    for comp in list(ir.envs.values())[-1].graph.components("service", "job"):
        if comp.spec.build and comp.optimization and comp.optimization.arch == "arm64":
            assert re.search(rf"Build and push {comp.name} \(.*linux/arm64", text)


@pytest.mark.parametrize("example", EXAMPLES)
def test_oidc_terraform_checkov(example: str, tmp_path: Path) -> None:
    files = {k.removeprefix("ci/terraform/"): v for k, v in output_files(example, "ci").items()
             if k.startswith("ci/terraform/")}
    doc = json.loads(files["github-oidc.tf.json"])
    subjects = json.dumps(doc["data"]["aws_iam_policy_document"]["deploy_trust"])
    assert "repo:${var.github_repository}:environment:${each.key}" in subjects
    summary = _checkov(tmp_path, "terraform_json", files)
    assert summary["failed"] == 0, summary
    assert summary["passed"] >= 5, summary
