"""Preview environments (issue 17): `preview: true` makes a template environment outside the
promotion order; `infracc preview` generates a pull request's copy `pr-<N>`; the CI backend writes a
workflow that deploys the copy per pull request and destroys it on close (workflow schema and
checkov oracles as in test_ci.py)."""
from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import ORACLES, ROOT
from ruamel.yaml import YAML

from infracc.backends import ci
from infracc.compiler.cli import main
from infracc.compiler.pipeline import analyze

SCHEMA = json.loads((ROOT / "tests" / "data" / "github-workflow.schema.json").read_text(encoding="utf-8"))
SPEC = """infracc: 1
name: shop
environments:
  preview: {preview: true}
  dev: {}
  prod: {size: large}
services:
  web: {build: {context: ./web, language: node}, port: 8080, public: true, uses: [db],
        overrides: {preview: {replicas: 1}, prod: {replicas: 3}}}
  api: {image: ghcr.io/acme/api:1.0.0, port: 8080, public: {path: /api}}
databases:
  db: {}
"""


def _stack(tmp_path: Path, text: str = SPEC) -> Path:
    (tmp_path / "web").mkdir(exist_ok=True)
    (tmp_path / "web" / "package.json").write_text('{"name": "web", "main": "server.js"}')
    (tmp_path / "stack.yaml").write_text(text)
    return tmp_path / "stack.yaml"


def _files(text: str = SPEC, tmp: Path | None = None):
    result = analyze(text=text, source_dir=str(tmp) if tmp else None)
    assert result.ok and result.ir is not None, [d.message for d in result.diagnostics if d.is_error]
    files, diags = ci.emit(result.ir)
    return result.ir, {str(k): v for k, v in files.items()}, diags


def _load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def test_a_template_is_small_spot_unprotected_and_outside_promotion() -> None:
    result = analyze(text=SPEC)
    settings = {e.name: e.settings for e in result.ir.envs.values()}
    preview, prod = settings["preview"], settings["prod"]
    assert (preview.size, preview.spot, preview.high_availability, preview.deletion_protection) == ("small", True, False, False)
    assert (preview.approval, preview.is_last, preview.preview) == (False, False, True)
    assert prod.is_last and prod.approval and not settings["dev"].is_last


def test_main_workflow_skips_the_template(tmp_path: Path) -> None:
    _, files, _ = _files(tmp=_stack(tmp_path).parent)
    jobs = _load(files["ci/.github/workflows/shop.yaml"])["jobs"]
    assert "deploy-preview" not in jobs and "plan-preview" not in jobs and "rollback-preview" not in jobs
    assert jobs["deploy-prod"]["needs"][-1] == "deploy-dev"  # dev → prod, the template left out
    oidc = json.loads(files["ci/terraform/github-oidc.tf.json"])
    scope = json.dumps(oidc["data"]["aws_iam_policy_document"]["deploy_iam"])
    assert 'contains([\\"preview\\"], each.key) ? \\"pr\\" : each.key' in scope


def test_preview_workflow_deploys_comments_and_destroys(tmp_path: Path) -> None:
    ir, files, diags = _files(tmp=_stack(tmp_path).parent)
    assert diags == []
    text = files["ci/.github/workflows/shop-preview.yaml"]
    wf = _load(text)
    jsonschema.validate(wf, SCHEMA)
    assert wf["on"]["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    assert wf["env"]["PREVIEW_ENV"] == "pr-${{ github.event.pull_request.number }}"
    assert wf["env"]["TF_VAR_image_tag"] == "${{ github.event.pull_request.head.sha }}"
    jobs = wf["jobs"]
    web_arch = ir.envs["preview"].graph.by_name()["web"].optimization.arch
    build = f"images-{web_arch}"
    assert set(jobs) == {build, "deploy", "destroy"}
    assert "closed" not in jobs["deploy"]["if"].split("!=")[0] and "== 'closed'" in jobs["destroy"]["if"]
    assert all(j["environment"] == {"name": "preview"} for j in jobs.values())
    deploy = "\n".join(s.get("run", "") for s in jobs["deploy"]["steps"])
    assert 'infracc preview "$STACK_FILE" --number "$PR_NUMBER"' in deploy and "apply -input=false" in deploy
    assert "output -raw service_web_url" in deploy and "output -raw service_api_url" in deploy
    assert 'cat "$OUT_DIR/preview.md"' in deploy and "gh pr comment" in deploy
    assert any("destroy -input=false -auto-approve" in s.get("run", "") for s in jobs["destroy"]["steps"])
    assert "shop/web:$TF_VAR_image_tag" in "\n".join(s.get("run", "") for s in jobs[build]["steps"])
    for job in jobs.values():  # event data only through env, never spliced into a script
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step
    assert "pull_request_target" not in text
    for line in text.splitlines():
        if re.match(r"\s*(- )?uses:", line):
            assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


def test_preview_workflow_passes_checkov(tmp_path: Path) -> None:
    _, files, _ = _files(tmp=_stack(tmp_path).parent)
    src, report = tmp_path / "src", tmp_path / "report"
    for rel in ("ci/.github/workflows/shop-preview.yaml",):
        (src / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
        (src / ".github" / "workflows" / Path(rel).name).write_text(files[rel])
    subprocess.run([str(ORACLES / "checkov"), "-d", str(src), "--framework", "github_actions", "--skip-download",
                    "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=300)
    data = json.loads((report / "results_json.json").read_text(encoding="utf-8"))
    summary = (data[0] if isinstance(data, list) else data)["summary"]
    assert summary["failed"] == 0 and summary["passed"] >= 10, summary


def test_infracc_preview_writes_the_copy(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    out = tmp_path / "out-preview"
    result = CliRunner().invoke(main, ["preview", str(stack), "--number", "42", "-o", str(out)])
    assert result.exit_code == 0, result.output
    tf = json.loads((out / "terraform" / "pr-42" / "cdk.tf.json").read_text())
    text = json.dumps(tf)
    assert "shop-pr-42" in text and "shop-dev" not in text and "shop-preview" not in text
    assert "pr-42/terraform.tfstate" in text
    assert (out / "docker" / "web" / "Dockerfile").is_file()
    copy = json.loads((out / "stack.yaml").read_text())
    assert list(copy["environments"]) == ["pr-42"] and copy["services"]["web"]["overrides"] == {"pr-42": {"replicas": 1}}
    assert re.search(r"\*\*Total: \$[\d,.]+/month\*\*", (out / "preview.md").read_text())
    again = CliRunner().invoke(main, ["preview", str(stack), "--number", "42", "-o", str(tmp_path / "again")])
    assert again.exit_code == 0
    assert (tmp_path / "again" / "terraform" / "pr-42" / "cdk.tf.json").read_bytes() == \
        (out / "terraform" / "pr-42" / "cdk.tf.json").read_bytes()  # deterministic


@pytest.mark.parametrize(("args", "message"), [(["--number", "0"], "not a pull request number"),
                                               (["--number", "3", "--env", "dev"], "not a preview template")])
def test_infracc_preview_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["preview", str(_stack(tmp_path)), *args])
    assert result.exit_code == 2 and message in result.output


def test_no_template_no_workflow_and_eks_is_reported(tmp_path: Path) -> None:
    _, files, diags = _files(SPEC.replace("preview: {preview: true}", "preview: {}"), _stack(tmp_path).parent)
    assert "ci/.github/workflows/shop-preview.yaml" not in files and diags == []
    # What cannot be previewed is refused at validate (was a compile-only warning).
    for change, why in ((("name: shop\n", "name: shop\nplatform: eks\n")), "ecs platform"), \
                       ((("name: shop\n", "name: shop\ntargets: [ci, docs]\n")), "add `terraform`"):
        result = analyze(text=SPEC.replace(*change), source_dir=str(tmp_path))
        found = [d for d in result.diagnostics if d.is_error]
        assert [d.code for d in found] == ["IC-CI-001"] and why in found[0].message, found
        assert found[0].origin[-1] == "preview"


def test_the_copy_and_the_oidc_roles_pass_terraform_validate(tmp_path: Path) -> None:
    import tf_real
    from test_terraform_real import prepare

    toolchain = tf_real.discover()
    if isinstance(toolchain, str):
        pytest.skip(toolchain)
    stack = _stack(tmp_path)
    out = tmp_path / "out-preview"
    result = CliRunner().invoke(main, ["preview", str(stack), "--number", "7", "-o", str(out)])
    assert result.exit_code == 0, result.output
    _, files, _ = _files(tmp=stack.parent)
    oidc = tmp_path / "oidc"
    oidc.mkdir()
    (oidc / "github-oidc.tf.json").write_text(files["ci/terraform/github-oidc.tf.json"])
    for source in (out / "terraform" / "pr-7", oidc):  # the copy; the roles with the `pr-*` IAM scope
        workdir, init, _, _ = prepare(toolchain, source, tmp_path / f"work-{source.name}")
        assert init.returncode == 0, init.stderr
        errors, _ = tf_real.diagnostics(toolchain.run(["validate", "-json", "-no-color"], workdir, reattach=False))
        assert errors == [], (source.name, errors)
