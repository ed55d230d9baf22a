"""Stack-level shared secrets (`secrets:`, issue #16): one Secrets Manager secret per environment
read by several workloads: ECS task secrets and execution-role grants, Lambda `<NAME>_SECRET_ARN`,
eks ExternalSecrets and pod-role grants, compose `.env`, tasks, runbook, cost, diagnostics at
line:col; the Terraform through terraform validate + mock plan/apply, tf_semantics and checkov."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tf_real
import yaml
from conftest import ORACLES, ROOT, write_emitted
from test_kubernetes import CRD_SCHEMAS, crd_validator
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.compiler import naming, resolved
from infracc.compiler.pipeline import analyze
from infracc.compiler.render import position
from infracc.compiler.tasks import breakdown

SPEC = """infracc: 1
name: blog
region: eu-west-1
platform: {platform}
environments: {{dev: {{}}, prod: {{}}}}
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    port: 8000
    env: {{SIGNING: "${{django-key.value}}"}}
    uses: [django-key, psp-token]
  worker:
    image: ghcr.io/acme/web:1.0.0
    health: {{command: [worker, health]}}
    uses: [django-key]
functions:
  hook:
    runtime: python3.12
    source: ./f
    handler: app.handler
    uses: [psp-token]
secrets:
  django-key:
    description: Django SECRET_KEY.
    generate: {{length: 80}}
    variable: DJANGO_SECRET_KEY
  psp-token:
    value_from: external
"""


def _analyze(platform: str) -> Any:
    found = analyze(text=SPEC.format(platform=platform), source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


@pytest.fixture(scope="module")
def ecs() -> Any:
    return _analyze("ecs")


@pytest.fixture(scope="module")
def eks() -> Any:
    return _analyze("eks")


@pytest.fixture(scope="module")
def ecs_out(ecs: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(ecs, ["terraform", "compose", "docs"], tmp_path_factory.mktemp("shared-ecs"))


@pytest.fixture(scope="module")
def eks_out(eks: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(eks, ["terraform", "kubernetes", "docs"], tmp_path_factory.mktemp("shared-eks"))


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


def test_resolved_and_injected(ecs: Any) -> None:
    graph = ecs.ir.envs["dev"].graph
    key = resolved.shared_secret(graph.component("secret.django-key"))
    assert (key.variable, key.generate_length, key.generated) == ("DJANGO_SECRET_KEY", 80, True)
    token = resolved.shared_secret(graph.component("secret.psp-token"))
    assert (token.variable, token.generated) == ("PSP_TOKEN", False)
    web = {v.name: v for v in graph.component("service.web").env}
    assert web["DJANGO_SECRET_KEY"].secret and web["PSP_TOKEN"].secret and web["SIGNING"].secret
    assert naming.shared_secret("blog", "dev", "django-key") == "blog/dev/_shared/django-key"
    # A use of a shared secret opens no network path of its own.
    assert all(c.network is None for c in graph.users("secret.django-key"))


def test_ecs_secret_task_secrets_and_least_privilege(ecs_out: Path) -> None:
    dev = _doc(ecs_out, "dev")
    secrets = dev["resource"]["aws_secretsmanager_secret"]
    key = secrets["secret_django-key_shared".replace("-", "_")] if "secret_django_key_shared" in secrets else None
    assert key is not None and key["name"] == "blog/dev/_shared/django-key"
    assert key["kms_key_id"] == "${aws_kms_key.kms_env.arn}" and key["recovery_window_in_days"] == 7
    assert "read by web, worker" in key["description"]
    assert secrets["secret_psp_token_shared"]["name"] == "blog/dev/_shared/psp-token"
    versions = dev["resource"]["aws_secretsmanager_secret_version"]
    generated = versions["django_key_shared"]
    assert generated["secret_string_wo_version"] == 1 and "secret_string" not in generated
    assert generated["secret_string_wo"].count("uuid()") == 3 and ", 80)" in generated["secret_string_wo"]
    assert "psp_token_shared" not in versions  # an operator sets it
    tasks = dev["resource"]["aws_ecs_task_definition"]
    web = json.loads(tasks["service_web_task"]["container_definitions"])[0]["secrets"]
    arn = "${aws_secretsmanager_secret.secret_django_key_shared.arn}"
    token = "${aws_secretsmanager_secret.secret_psp_token_shared.arn}"
    assert {s["name"]: s["valueFrom"] for s in web} == {
        "DJANGO_SECRET_KEY": f"{arn}:value::", "SIGNING": f"{arn}:value::", "PSP_TOKEN": f"{token}:value::"}
    policies = dev["data"]["aws_iam_policy_document"]
    reads = {s["sid"]: s for s in policies["service_worker_execution"]["statement"]}
    assert reads["ReadOwnSecrets"]["resources"] == [arn]  # the worker reads only the key
    fn = dev["resource"]["aws_lambda_function"]["function_hook"]["environment"]["variables"]
    assert fn == {"PSP_TOKEN_SECRET_ARN": token}
    hook = {s["sid"]: s for s in policies["function_hook_grants"]["statement"]}
    assert hook["ReadOwnSecrets"]["resources"] == [token]
    assert dev["output"]["secret_django_key_arn"]["value"] == arn


def test_eks_external_secrets_and_pod_roles(eks_out: Path) -> None:
    objs = [d for f in sorted((eks_out / "kubernetes" / "dev").glob("externalsecret-*.yaml"))
            for d in yaml.safe_load_all(f.read_text()) if d]
    web = next(o for o in objs if o["metadata"]["name"] == "web")
    data = {d["secretKey"]: d["remoteRef"] for d in web["spec"]["data"]}
    assert data["django_key_value"] == {"key": "blog/dev/_shared/django-key", "property": "value"}
    assert data["psp_token_value"] == {"key": "blog/dev/_shared/psp-token", "property": "value"}
    assert web["spec"]["target"]["template"]["data"]["DJANGO_SECRET_KEY"] == "{{ .django_key_value }}"
    for obj in objs:
        assert not list(crd_validator(CRD_SCHEMAS[(obj["apiVersion"], obj["kind"])]).iter_errors(obj))
    policies = _doc(eks_out, "dev")["data"]["aws_iam_policy_document"]
    worker = next(v for k, v in policies.items() if "worker" in k and any(
        s.get("sid") == "ReadOwnSecrets" for s in v["statement"]))
    read = next(s for s in worker["statement"] if s["sid"] == "ReadOwnSecrets")
    assert read["resources"] == ["${aws_secretsmanager_secret.secret_django_key_shared.arn}"]


def test_terraform_validates_and_mock_plans(toolchain, ecs_out: Path, eks_out: Path, tmp_path: Path) -> None:  # noqa: F811
    for name, root in (("ecs", ecs_out), ("eks", eks_out)):
        problems = validate_and_mock(toolchain, root / "terraform" / "dev", tmp_path / name)
        assert not problems, "\n".join(problems)


def test_terraform_semantics(ecs_out: Path, eks_out: Path) -> None:
    for root in (ecs_out, eks_out):
        code, findings, summary = tf_real.semantics(sorted((root / "terraform" / "dev").glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


def test_terraform_checkov_has_no_unsuppressed_failure(ecs_out: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    out = ecs_out / "terraform" / "dev"
    subprocess.run([str(ORACLES / "checkov"), "-d", str(out), "--framework", "terraform_json", "--skip-download",
                    "-o", "json", "--output-file-path", str(tmp_path)], capture_output=True, text=True, timeout=600)
    data = json.loads((tmp_path / "results_json.json").read_text())
    data = data[0] if isinstance(data, list) else data
    allowed: dict[str, set[str]] = {}
    for named in _doc(ecs_out, "dev")["resource"].values():
        for name, attrs in named.items():
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                allowed.setdefault(name, set()).add(entry["id"])
    bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
           if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
    passed = {f["check_id"] for f in data["results"]["passed_checks"] if "shared" in f["resource"]}
    assert not bad, bad
    assert "CKV_AWS_149" in passed  # Secrets Manager secret encrypted with a customer-managed key


def test_compose_reads_the_value_from_env_file(ecs_out: Path) -> None:
    doc = yaml.safe_load((ecs_out / "compose" / "compose.yaml").read_text())
    web = doc["services"]["web"]["environment"]
    assert web["DJANGO_SECRET_KEY"] == web["SIGNING"] == "${DJANGO_SECRET_KEY:?see .env.example}"
    example = (ecs_out / "compose" / ".env.example").read_text()
    assert "DJANGO_SECRET_KEY=" in example and "PSP_TOKEN=" in example


def test_tasks_runbook_and_cost(ecs: Any, ecs_out: Path) -> None:
    tasks = [t for t in breakdown(ecs.ir) if t.kind == "secret"]
    names = [t.id for t in tasks]
    assert "dev:secret:psp-token" in names and not any("django-key" in n for n in names)
    task = next(t for t in tasks if t.id == "prod:secret:psp-token")
    assert "hook, web read it as `PSP_TOKEN`" in task.title
    assert task.command is not None and "--secret-id blog/prod/_shared/psp-token" in task.command
    assert "file:///dev/stdin" in task.command and '{value:' in task.command
    text = (ecs_out / "docs" / "README.md").read_text()
    assert "| `blog/dev/_shared/django-key` | shared secret `django-key` (JSON: value) as `DJANGO_SECRET_KEY`, read by " \
           "`web`, `worker`; generated once" in text
    assert "`blog/dev/_shared/psp-token`" in text and "set by an operator" in text
    lines = [i for i in ecs.ir.envs["dev"].cost.items if i.item.startswith("Secrets Manager")]
    assert [i.quantity for i in lines] == [2]  # the two shared secrets (no database here)


@pytest.mark.parametrize(("text", "code", "where"), [
    ("services:\n  a: {image: 'ghcr.io/a/a:1', secrets: [TOKEN], uses: [tok]}\n"
     "secrets:\n  tok: {value_from: external, variable: TOKEN}\n", "IC-SECRET-004", (4, 56)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', uses: [one, two]}\n"
     "secrets:\n  one: {generate: {}, variable: KEY}\n  two: {generate: {}, variable: KEY}\n", "IC-SECRET-004", (4, 43)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', uses: [tok]}\nsecrets:\n  tok: {}\n", "IC-SCHEMA-003", (6, 8)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', uses: [tok]}\nsecrets:\n  tok: {generate: {length: 8}}\n",
     "IC-SCHEMA-003", (6, 28)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', uses: [tokn]}\nsecrets:\n  tok: {generate: {}}\n", "IC-REF-001", (4, 38)),
])
def test_bad_shared_secrets_are_reported_at_the_field(text: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text="infracc: 1\nname: shop\n" + text, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert (code, where) in errors, errors
    assert all(d.hint for d in found.diagnostics if d.is_error)


def test_unused_shared_secret_warns() -> None:
    found = analyze(text="infracc: 1\nname: shop\nsecrets:\n  tok:\n    generate: {}\n", skip=frozenset({"cost"}))
    assert found.ok
    assert [(d.code, position(d, found.source)) for d in found.diagnostics if d.severity == "warning"] == [
        ("IC-SECRET-003", (4, 3))]
