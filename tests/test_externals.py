"""External dependencies (`externals:`, issue #16): resolution, client env on every target, egress
(ECS security groups, eks NetworkPolicies), the metric filters and alarm, runbook, graph,
diagnostics at line:col; the ECS Terraform through terraform validate + mock plan/apply,
tf_semantics and checkov, the eks manifests through kubernetes-validate."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import tf_real
import yaml
from conftest import ORACLES, ROOT, write_emitted
from test_kubernetes import CRD_SCHEMAS, VERSIONS, crd_validator
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.backends.terraform.ops import external_pattern
from infracc.compiler import graph_view, resolved
from infracc.compiler.passes.resolve import split_host, timeout_ms
from infracc.compiler.pipeline import analyze, emit
from infracc.compiler.render import position

SPEC = """infracc: 1
name: payshop
region: eu-west-1
platform: {platform}
domain: payshop.example.com
environments: {{dev: {{}}, prod: {{size: large}}}}
services:
  api:
    image: ghcr.io/acme/api:1.2.3
    port: 8080
    public: true
    env: {{PAYMENTS_BASE: "${{payments.url}}"}}
    uses: [payments, mailer, db]
  worker:
    image: ghcr.io/acme/worker:1.2.3
    health: {{command: [worker, health]}}
    uses: [payments]
functions:
  hook:
    runtime: python3.12
    source: ./f
    handler: app.handler
    uses: [payments]
databases:
  db: {{}}
externals:
  payments:
    description: Card payments.
    host: https://api.example-psp.com/v1
    timeout: 800ms
    retries: 1
    circuit_breaker: {{failures: 10, window: 90s, open_for: 1m}}
    critical: true
    status_page: https://status.example-psp.com
    contact: support@example-psp.com
    overrides:
      dev: {{host: https://sandbox.example-psp.com/v1}}
  mailer:
    host: smtp.example.com
    protocol: tcp
    port: 587
"""


def _analyze(platform: str) -> Any:
    found = analyze(text=SPEC.format(platform=platform), source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    assert not [d for d in found.diagnostics if d.code.startswith("IC-EXT")], found.diagnostics
    return found


@pytest.fixture(scope="module")
def ecs() -> Any:
    return _analyze("ecs")


@pytest.fixture(scope="module")
def eks() -> Any:
    return _analyze("eks")


@pytest.fixture(scope="module")
def ecs_out(ecs: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(ecs, ["terraform", "compose", "docs"], tmp_path_factory.mktemp("externals-ecs"))


@pytest.fixture(scope="module")
def eks_out(eks: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(eks, ["terraform", "kubernetes", "helm", "docs"], tmp_path_factory.mktemp("externals-eks"))


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


def test_resolved_settings_and_defaults(ecs: Any) -> None:
    pay = resolved.external(ecs.ir.envs["prod"].graph.component("external.payments"))
    assert (pay.host, pay.port, pay.protocol, pay.path, pay.url) == (
        "api.example-psp.com", 443, "https", "/v1", "https://api.example-psp.com/v1")
    assert (pay.timeout_ms, pay.retries, pay.breaker_failures, pay.breaker_window_seconds, pay.breaker_open_seconds) == (
        800, 1, 10, 90, 60)
    assert pay.alarm_period_seconds == 120 and pay.alarm_periods == (1, 1)  # critical: one period
    dev = resolved.external(ecs.ir.envs["dev"].graph.component("external.payments"))
    assert dev.url == "https://sandbox.example-psp.com/v1"
    mail = resolved.external(ecs.ir.envs["prod"].graph.component("external.mailer"))
    assert (mail.url, mail.timeout_ms, mail.retries, mail.breaker_failures, mail.alarm_periods) == (
        "smtp.example.com:587", resolved.EXTERNAL_TIMEOUT_MS, resolved.EXTERNAL_RETRIES, resolved.BREAKER_FAILURES, (3, 5))
    assert split_host("http://h.example.com:8080/") == ("http", "h.example.com", 8080, "")
    assert [timeout_ms(t) for t in ("250ms", "3s", "1m")] == [250, 3000, 60000]


def test_every_user_gets_the_client_settings(ecs: Any) -> None:
    api = {v.name: v for v in ecs.ir.envs["prod"].graph.component("service.api").env}
    names = {f"PAYMENTS_{o}" for o in ("URL", "HOST", "PORT", "TIMEOUT_MS", "RETRIES", "CB_FAILURES", "CB_WINDOW_S",
                                       "CB_OPEN_S")}
    assert names <= set(api) and not any(api[n].secret for n in names)
    assert {"MAILER_URL", "MAILER_PORT"} <= set(api)


def test_ecs_env_egress_alarms_and_outputs(ecs_out: Path) -> None:
    prod = _doc(ecs_out, "prod")
    tasks = prod["resource"]["aws_ecs_task_definition"]
    env = {e["name"]: e["value"] for e in json.loads(tasks["service_api_task"]["container_definitions"])[0]["environment"]}
    assert env["PAYMENTS_URL"] == env["PAYMENTS_BASE"] == "https://api.example-psp.com/v1"
    assert (env["PAYMENTS_TIMEOUT_MS"], env["PAYMENTS_RETRIES"], env["PAYMENTS_CB_FAILURES"], env["PAYMENTS_CB_WINDOW_S"],
            env["PAYMENTS_CB_OPEN_S"]) == ("800", "1", "10", "90", "60")
    assert env["MAILER_URL"] == "smtp.example.com:587" and env["MAILER_PORT"] == "587"
    dev = _doc(ecs_out, "dev")
    dev_env = {e["name"]: e["value"] for e in json.loads(
        dev["resource"]["aws_ecs_task_definition"]["service_api_task"]["container_definitions"])[0]["environment"]}
    assert dev_env["PAYMENTS_HOST"] == "sandbox.example-psp.com"
    rules = prod["resource"]["aws_security_group_rule"]
    # 587 to anywhere on the one user's group; 443 stays the single rule every workload had.
    out587 = [r for r in rules.values() if r["type"] == "egress" and r["from_port"] == 587]
    assert out587 == [rules["rule_api_service_external_587_out"]]
    assert out587[0]["cidr_blocks"] == ["0.0.0.0/0"] and "sg_service_api" in out587[0]["security_group_id"]
    assert not any(r["from_port"] == 587 and "worker" in r["security_group_id"] for r in rules.values())
    egress_443 = [r for r in rules.values() if r["type"] == "egress" and r["from_port"] == 443
                  and "sg_service_api" in r["security_group_id"]]
    assert len(egress_443) == 1
    filters = prod["resource"]["aws_cloudwatch_log_metric_filter"]
    pay = {k: v for k, v in filters.items() if k.startswith("external_payments_")}
    assert set(pay) == {"external_payments_service_api", "external_payments_service_worker",
                        "external_payments_function_hook"}
    assert pay["external_payments_service_api"]["pattern"] == external_pattern("payments")
    assert "$.message.external" in pay["external_payments_function_hook"]["pattern"]
    assert pay["external_payments_service_api"]["log_group_name"] == "${aws_cloudwatch_log_group.service_api_logs.name}"
    assert {v["metric_transformation"]["name"] for v in pay.values()} == {"payments-failed-calls"}
    alarm = prod["resource"]["aws_cloudwatch_metric_alarm"]["alarm_external_payments_dependency-errors".replace("-", "_")]
    assert (alarm["metric_name"], alarm["threshold"], alarm["period"], alarm["evaluation_periods"],
            alarm["datapoints_to_alarm"]) == ("payments-failed-calls", 10, 120, 1, 1)
    assert alarm["namespace"] == "infracc/payshop-prod" and alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]
    mailer = prod["resource"]["aws_cloudwatch_metric_alarm"]["alarm_external_mailer_dependency_errors"]
    assert (mailer["evaluation_periods"], mailer["datapoints_to_alarm"], mailer["threshold"]) == (5, 3, 5)
    fn = prod["resource"]["aws_lambda_function"]["function_hook"]["environment"]["variables"]
    assert fn["PAYMENTS_URL"] == "https://api.example-psp.com/v1" and fn["PAYMENTS_TIMEOUT_MS"] == "800"


def test_pattern_matches_the_log_contract() -> None:
    """The filter's selectors name the contract's fields and each failed outcome, nothing else."""
    pattern = external_pattern("payments")
    assert pattern.startswith("{ ") and pattern.endswith(" }")
    assert '($.external = "payments")' in pattern
    assert [o for o in ("ok", "error", "timeout", "open") if f'$.outcome = "{o}"' in pattern] == ["error", "timeout", "open"]


def test_terraform_validates_and_mock_plans(toolchain, ecs_out: Path, tmp_path: Path) -> None:  # noqa: F811
    for env in ("dev", "prod"):
        problems = validate_and_mock(toolchain, ecs_out / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


def test_terraform_semantics(ecs_out: Path, eks_out: Path) -> None:
    for root in (ecs_out, eks_out):
        for env in ("dev", "prod"):
            code, findings, summary = tf_real.semantics(sorted((root / "terraform" / env).glob("*.tf.json")))
            assert code == 0 and not findings, findings or summary


def test_terraform_checkov_has_no_unsuppressed_failure(ecs_out: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    out = ecs_out / "terraform" / "prod"
    subprocess.run([str(ORACLES / "checkov"), "-d", str(out), "--framework", "terraform_json", "--skip-download",
                    "-o", "json", "--output-file-path", str(tmp_path)], capture_output=True, text=True, timeout=600)
    data = json.loads((tmp_path / "results_json.json").read_text())
    data = data[0] if isinstance(data, list) else data
    allowed: dict[str, set[str]] = {}
    for named in _doc(ecs_out, "prod")["resource"].values():
        for name, attrs in named.items():
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                allowed.setdefault(name, set()).add(entry["id"])
    bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
           if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
    assert not bad, bad


def _manifests(root: Path, env: str) -> list[dict[str, Any]]:
    return [d for f in sorted((root / "kubernetes" / env).glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def test_eks_network_policy_and_config(eks: Any, eks_out: Path) -> None:
    objs = _manifests(eks_out, "prod")
    policy = next(o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "api")
    cidr = eks.ir.envs["prod"].network.cidr
    external = [e for e in policy["spec"]["egress"] if e["to"][0]["ipBlock"].get("except")]
    assert sorted(e["ports"][0]["port"] for e in external) == [443, 587]
    assert all(e["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [cidr, "169.254.169.254/32"]}}] for e in external)
    worker = next(o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "worker")
    assert [e["ports"][0]["port"] for e in worker["spec"]["egress"]] == [443]
    config = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "api")
    assert config["data"]["PAYMENTS_URL"] == "https://api.example-psp.com/v1" and config["data"]["MAILER_PORT"] == "587"
    # No metric filter on eks (the users' logs are the cluster agent's): no alarm is claimed.
    assert "aws_cloudwatch_log_metric_filter" not in _doc(eks_out, "prod")["resource"] or not any(
        k.endswith(("service_api", "service_worker")) for k in _doc(eks_out, "prod")["resource"]["aws_cloudwatch_log_metric_filter"])
    comp = eks.ir.envs["prod"].graph.component("external.mailer")
    assert comp.retention is not None and comp.retention.alarms == []


def test_eks_manifests_validate(eks_out: Path) -> None:
    for obj in _manifests(eks_out, "prod"):
        key = (obj["apiVersion"], obj["kind"])
        if key in CRD_SCHEMAS:
            errors = [e.message for e in crd_validator(CRD_SCHEMAS[key]).iter_errors(obj)]
            assert not errors, (obj["metadata"]["name"], errors)
            continue
        for version in VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


def test_compose_sets_the_first_environments_values(ecs_out: Path) -> None:
    doc = yaml.safe_load((ecs_out / "compose" / "compose.yaml").read_text())
    api = doc["services"]["api"]
    assert api["environment"]["PAYMENTS_URL"] == "https://sandbox.example-psp.com/v1"
    assert "payments" not in api.get("depends_on", {}) and "payments" not in doc["services"]


def test_runbook_and_graph(ecs: Any, ecs_out: Path) -> None:
    text = (ecs_out / "docs" / "README.md").read_text()
    section = text.split("## External dependencies", 1)[1].split("\n## ", 1)[0]
    assert "### `payments` (critical)" in section and "### `mailer`" in section
    assert "`https://sandbox.example-psp.com/v1` (dev), `https://api.example-psp.com/v1` (prod)" in section
    assert "https://status.example-psp.com" in section and "support@example-psp.com" in section
    assert "`payshop-prod-payments-dependency-errors`" in section and '"outcome"' in section
    assert "App Mesh" in section and "application enforces" in section
    assert "each user's security group allows TCP 587 to 0.0.0.0/0" in section
    assert "| `payments` | `dependency-errors` |" in text  # the alarm table
    mermaid = graph_view.mermaid(ecs.ir.envs["prod"])
    assert 'subgraph outside["outside AWS"]' in mermaid and "service_api --> external_payments" in mermaid


def test_eks_runbook_gives_the_logs_query(eks_out: Path) -> None:
    text = (eks_out / "docs" / "README.md").read_text()
    section = text.split("## External dependencies", 1)[1].split("\n## ", 1)[0]
    assert "Logs Insights" in section and "NetworkPolicy allows TCP 587" in section


BAD = "infracc: 1\nname: shop\nservices:\n  api: {image: 'ghcr.io/a/a:1', uses: [x]}\nexternals:\n  x:\n"


@pytest.mark.parametrize(("body", "code", "where"), [
    ("    host: ftp://files.example.com\n", "IC-EXT-001", (7, 11)),
    ("    host: https://user:pw@api.example.com\n", "IC-EXT-001", (7, 11)),
    ("    host: 10.0.0.5\n", "IC-EXT-001", (7, 11)),
    ("    host: api.example.com/v1\n", "IC-EXT-001", (7, 11)),
    ("    host: https://api.example.com\n    protocol: http\n", "IC-EXT-002", (8, 15)),
    ("    host: https://api.example.com:8443\n    port: 443\n", "IC-EXT-002", (8, 11)),
    ("    host: smtp.example.com\n    protocol: tcp\n", "IC-EXT-002", (8, 15)),
    ("    host: api.example.com\n    timeout: 20m\n", "IC-EXT-003", (8, 14)),
    ("    host: api.example.com\n    circuit_breaker: {window: 5s}\n", "IC-EXT-003", (8, 31)),
    ("    host: api.example.com\n    circuit_breaker: {open_for: 2h}\n", "IC-EXT-003", (8, 33)),
    ("    host: api.example.com\n    port: 70000\n", "IC-SCHEMA-003", (8, 11)),
    ("    host: api.example.com\n    circuit_breaker: {failures: 0}\n", "IC-SCHEMA-003", (8, 33)),
    ("    host: api.example.com\n    timeout: 5 seconds\n", "IC-SCHEMA-003", (8, 14)),
])
def test_bad_externals_are_reported_at_the_field(body: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text=BAD + body, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert (code, where) in errors, errors
    assert all(d.hint for d in found.diagnostics if d.is_error)


@pytest.mark.parametrize(("text", "code", "where"), [
    ("infracc: 1\nname: shop\nexternals:\n  x: {host: api.example.com}\n", "IC-EXT-004", (4, 6)),
    ("infracc: 1\nname: shop\nservices:\n  api: {image: 'ghcr.io/a/a:1', uses: [s3]}\n"
     "externals:\n  s3: {host: 'https://s3.eu-west-1.amazonaws.com'}\n", "IC-EXT-005", (6, 14)),
])
def test_external_warnings(text: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text=text, skip=frozenset({"cost"}))
    assert found.ok
    warnings = [(d.code, position(d, found.source)) for d in found.diagnostics if d.severity == "warning"]
    assert (code, where) in warnings, warnings


def test_unknown_external_and_no_route_without_nat() -> None:
    found = analyze(text="infracc: 1\nname: shop\nservices:\n  api: {image: 'ghcr.io/a/a:1', uses: [paymnts]}\n"
                         "externals:\n  payments: {host: api.example.com}\n", skip=frozenset({"cost"}))
    unknown = next(d for d in found.diagnostics if d.code == "IC-REF-001")
    assert position(unknown, found.source) == (4, 40) and "payments" in (unknown.hint or "")
    text = ("infracc: 1\nname: shop\nenvironments:\n  dev: {nat_gateway: false}\nfunctions:\n  f:\n"
            "    runtime: python3.12\n    source: .\n    handler: a.h\n    uses: [db, payments]\n"
            "databases:\n  db: {}\nexternals:\n  payments: {host: api.example.com}\n")
    found = analyze(text=text, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert ("IC-EXT-006", (10, 16)) in errors, errors


def test_preview_copy_keeps_externals_with_the_templates_override() -> None:
    from infracc.compiler.preview import copy_spec

    text = SPEC.format(platform="ecs").replace("environments: {dev: {}, prod: {size: large}}",
                                               "environments: {dev: {preview: true}, prod: {}}")
    out, template = copy_spec(yaml.safe_load(text), 7)
    assert template == "dev" and out["externals"]["payments"]["overrides"] == {
        "pr-7": {"host": "https://sandbox.example-psp.com/v1"}}
    out["targets"] = ["terraform", "docs"]
    found = analyze(text=yaml.safe_dump(out, sort_keys=False), source_dir=str(ROOT), skip=frozenset({"cost"}))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    assert resolved.external(found.ir.envs["pr-7"].graph.component("external.payments")).host == "sandbox.example-psp.com"


def test_cost_notes_the_calls_through_nat(ecs: Any) -> None:
    line = next(i for i in ecs.ir.envs["prod"].cost.items if i.item == "NAT data processed")
    assert line.monthly is None and line.assumption is not None
    assert line.assumption.endswith("includes the calls to the externals payments, mailer")


def test_compose_calls_the_local_mock_when_set() -> None:
    text = SPEC.format(platform="ecs").replace("    contact: support@example-psp.com\n",
                                               "    contact: support@example-psp.com\n    local: http://psp-mock:8080/\n")
    found = analyze(text=text, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    emit(found, ["compose", "terraform"])
    api = yaml.safe_load(next(t for p, t in found.files.items() if str(p).endswith("compose.yaml")))["services"]["api"]
    assert (api["environment"]["PAYMENTS_URL"], api["environment"]["PAYMENTS_HOST"], api["environment"]["PAYMENTS_PORT"],
            api["environment"]["PAYMENTS_TIMEOUT_MS"]) == ("http://psp-mock:8080", "psp-mock", "8080", "800")
    tf = json.loads(next(t for p, t in found.files.items() if str(p) == "terraform/prod/cdk.tf.json"))
    container = json.loads(tf["resource"]["aws_ecs_task_definition"]["service_api_task"]["container_definitions"])[0]
    assert {e["name"]: e["value"] for e in container["environment"]}["PAYMENTS_URL"] == "https://api.example-psp.com/v1"


def test_bad_local_url() -> None:
    found = analyze(text=BAD + "    host: api.example.com\n    local: ftp://mock\n", skip=frozenset({"cost"}))
    assert [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error] == [("IC-EXT-001", (8, 12))]
