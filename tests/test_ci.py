"""CI backend oracles: GitHub workflow schema first, then checkov; pinning and injection rules."""
from __future__ import annotations

import copy
import io
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, ORACLES, ROOT, compiled, output_files
from ruamel.yaml import YAML

SCHEMA = json.loads((ROOT / "tests" / "data" / "github-workflow.schema.json").read_text(encoding="utf-8"))
CHECKOV = ORACLES / "checkov"
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


# Architecture of GitHub-hosted runner labels (self-hosted runners carry `X64` / `ARM64`).
RUNNER_ARCH = {"ubuntu-24.04": "amd64", "ubuntu-22.04": "amd64", "ubuntu-latest": "amd64",
               "ubuntu-24.04-arm": "arm64", "ubuntu-22.04-arm": "arm64", "X64": "amd64", "ARM64": "arm64"}
EMULATION = "docker/setup-qemu-action"


def _runner_arch(job: dict) -> str | None:
    labels = job["runs-on"] if isinstance(job["runs-on"], list) else [job["runs-on"]]
    found = {RUNNER_ARCH[label] for label in labels if label in RUNNER_ARCH}
    assert len(found) <= 1, labels
    return found.pop() if found else None


def _buildx_platforms_run_natively(wf: dict) -> list[str]:
    """Every `docker buildx build --platform X` step runs on an X runner, or after QEMU setup."""
    problems = []
    for job_id, job in wf["jobs"].items():
        emulated = False
        for step in job["steps"]:
            emulated = emulated or EMULATION in step.get("uses", "")
            for match in re.finditer(r"docker buildx build\b.*?--platform[ =](\S+)", step.get("run", "")):
                for platform in match[1].split(","):
                    if not emulated and platform.removeprefix("linux/") != _runner_arch(job):
                        problems.append(f"{job_id}: {step['name']} builds {platform} on {job['runs-on']}")
    return problems


@pytest.mark.parametrize("example", EXAMPLES)
def test_images_build_on_a_runner_of_their_architecture(example: str) -> None:
    wf = _load(_workflow(example)[1])
    assert not _buildx_platforms_run_natively(wf)


def test_the_architecture_check_catches_emulation_free_cross_builds() -> None:
    job = {"runs-on": "ubuntu-24.04", "steps": [{"name": "b", "run": "docker buildx build --platform linux/arm64 ."}]}
    assert _buildx_platforms_run_natively({"jobs": {"build": job}})
    job["steps"].insert(0, {"name": "qemu", "uses": f"{EMULATION}@{'0' * 40}"})
    assert not _buildx_platforms_run_natively({"jobs": {"build": job}})


def _with_arch(example: str, workload: str, env: str, arch: str):
    """A copy of the example's IR where one workload runs on another architecture in one env."""
    ir = copy.deepcopy(compiled(example).ir)
    comp = next(c for c in ir.envs[env].graph.components("service", "job") if c.name == workload)
    comp.optimization = comp.optimization.model_copy(update={"arch": arch})
    return ir


def test_an_image_needed_on_two_architectures_is_one_manifest_list() -> None:
    from infracc.backends.ci import workflow

    ir = _with_arch("three-tier", "api", "dev", "x86_64")
    wf = _load(workflow.render(ir))
    assert not _buildx_platforms_run_natively(wf)
    jobs = wf["jobs"]
    assert jobs["build-amd64"]["runs-on"] == "ubuntu-24.04" and jobs["build-arm64"]["runs-on"] == "ubuntu-24.04-arm"
    amd = [s["run"] for s in jobs["build-amd64"]["steps"] if "buildx build" in s.get("run", "")]
    assert len(amd) == 1 and '/shop/api:$IMAGE_TAG-amd64"' in amd[0]
    arm = " ".join(s.get("run", "") for s in jobs["build-arm64"]["steps"])
    assert '/shop/api:$IMAGE_TAG-arm64"' in arm and '/shop/web:$IMAGE_TAG"' in arm
    manifest = " ".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert re.search(r'imagetools create --tag "\$REGISTRY/shop/api:\$IMAGE_TAG" \S+-amd64" \S+-arm64"', manifest)
    assert jobs["build"]["needs"] == ["build-amd64", "build-arm64"]
    for env in ir.envs:
        assert {"build-amd64", "build-arm64", "build"} <= set(jobs[f"deploy-{env}"]["needs"])
        assert jobs[f"deploy-{env}"]["env"]["REGISTRY"] == "${{ needs.build.outputs.registry }}"


def _package_steps(wf: dict, env: str) -> dict[str, str]:
    return {s["name"].removeprefix("Package function "): s["run"] for s in wf["jobs"][f"deploy-{env}"]["steps"]
            if s["name"].startswith("Package function ")}


def _check_wheel_platforms(ir, wf: dict) -> None:
    for env in ir.envs.values():
        steps = _package_steps(wf, env.name)
        for fn in env.graph.components("function"):
            run, runtime = steps[fn.name], fn.resolved.runtime
            platforms = re.findall(r"--platform (\S+)", run)
            if runtime.startswith("python"):
                machine = {"arm64": "aarch64", "x86_64": "x86_64"}[fn.optimization.arch]
                assert platforms == [f"manylinux2014_{machine}"], (env.name, fn.name, run)
                assert f"--python-version {runtime.removeprefix('python')} " in run, run
            else:
                assert not platforms, run


def test_function_wheels_match_the_function_architecture() -> None:
    from infracc.backends.ci import workflow

    ir = compiled("serverless").ir
    assert any(f.resolved.runtime.startswith("python") for f in ir.envs["dev"].graph.components("function"))
    _check_wheel_platforms(ir, _load(_workflow("serverless")[1]))
    tf = json.loads(output_files("serverless", "terraform")["terraform/dev/cdk.tf.json"])
    for fn in ir.envs["dev"].graph.components("function"):  # Terraform deploys the same architecture
        assert tf["resource"]["aws_lambda_function"]["function_" + fn.name.replace("-", "_")]["architectures"] == [fn.optimization.arch]
    x86 = copy.deepcopy(ir)
    for fn in x86.envs["dev"].graph.components("function"):
        fn.optimization = fn.optimization.model_copy(update={"arch": "x86_64"})
    wf = _load(workflow.render(x86))
    _check_wheel_platforms(x86, wf)
    assert "manylinux2014_x86_64" in json.dumps(_package_steps(wf, "dev"))


CLUSTER_API = re.compile(r"\b(kubectl|helm (upgrade|rollback|install|uninstall)|aws eks update-kubeconfig)\b")
HOSTED = {label for label in RUNNER_ARCH if label.startswith("ubuntu")}


@pytest.mark.parametrize("example", EXAMPLES)
def test_cluster_steps_run_where_the_endpoint_is_reachable(example: str) -> None:
    """A private EKS endpoint is reachable only from inside the VPC: every step that talks to the
    Kubernetes API runs on the environment's self-hosted runner, never on a GitHub-hosted one;
    Terraform (which creates the VPC and the cluster) runs before it on GitHub's runners."""
    ir = compiled(example).ir
    wf = _load(_workflow(example)[1])
    for env in ir.envs.values():
        tf = json.loads(output_files(example, "terraform")[f"terraform/{env.name}/cdk.tf.json"])
        clusters = tf["resource"].get("aws_eks_cluster", {})
        for job_id, job in wf["jobs"].items():
            talks = [s["name"] for s in job["steps"] if CLUSTER_API.search(s.get("run", ""))]
            if not talks or not job_id.endswith(f"-{env.name}"):
                continue
            assert clusters, (job_id, talks)
            vpc = clusters["cluster"]["vpc_config"]
            labels = job["runs-on"] if isinstance(job["runs-on"], list) else [job["runs-on"]]
            if vpc["endpoint_public_access"] is False:
                assert vpc["endpoint_private_access"] is True
                assert labels[0] == "self-hosted" and clusters["cluster"]["name"] in labels, (job_id, labels)
                assert not HOSTED & set(labels)
            else:
                assert "0.0.0.0/0" not in vpc.get("public_access_cidrs", ["0.0.0.0/0"]), job_id
        if clusters and any(c.resolved.built for c in env.graph.components("service")):
            release, deploy = wf["jobs"][f"release-{env.name}"], wf["jobs"][f"deploy-{env.name}"]
            assert f"deploy-{env.name}" in release["needs"] and deploy["runs-on"] in HOSTED
            assert any("terraform" in s.get("run", "") and "apply" in s.get("run", "") for s in deploy["steps"])
            assert release["environment"] == deploy["environment"]
            runs = [s.get("run", "") for s in release["steps"]]
            namespace = next(i for i, r in enumerate(runs) if "--show-only templates/namespace.yaml" in r)
            assert namespace < next(i for i, r in enumerate(runs) if "helm upgrade" in r)  # Helm does not create it
            assert wf["jobs"][f"rollback-{env.name}"]["runs-on"] == release["runs-on"]
    envs = list(ir.envs)
    for prev, env in zip(envs, envs[1:], strict=False):
        if f"release-{prev}" in wf["jobs"]:
            assert f"release-{prev}" in wf["jobs"][f"deploy-{env}"]["needs"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_chart_render_gets_the_commit_sha(example: str) -> None:
    """The chart has no default tag; CI pushed the images as the commit SHA and must pass it."""
    wf = _load(_workflow(example)[1])
    for job_id, job in wf["jobs"].items():
        for step in job["steps"]:
            if re.search(r"\bhelm (upgrade|template|install)\b", step.get("run", "")):
                assert '--set-string image.tag="$IMAGE_TAG"' in step["run"], (job_id, step["name"])
                assert {**job.get("env", {}), **step.get("env", {})}["IMAGE_TAG"] == "${{ github.sha }}", job_id


@pytest.mark.parametrize("example", EXAMPLES)
def test_pull_requests_upload_diagnostics_to_code_scanning(example: str) -> None:
    """The spec's diagnostics reach code scanning as SARIF, from same-repository PRs only."""
    _, text = _workflow(example)
    job = _load(text)["jobs"]["validate"]
    assert job["permissions"]["security-events"] == "write"
    runs = [s.get("run", "") for s in job["steps"]]
    assert any('--format sarif > infracc.sarif' in r for r in runs)
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert re.fullmatch(r"github/codeql-action/upload-sarif@[0-9a-f]{40}", upload["uses"])
    assert upload["with"]["sarif_file"] == "infracc.sarif"
    assert "always()" in upload["if"] and "head.repo.full_name == github.repository" in upload["if"]
