"""Tracing (issue #16): one decision per workload (collector, sample rate per environment size,
X-Ray actions, OTEL_* env), the ECS ADOT sidecar, the eks `otel-collector`, Lambda active
tracing from the same decision, compose, cost, docs, graph and diagnostics at line:col.

The ECS Terraform goes through terraform validate + mock plan/apply, tf_semantics and checkov;
the eks manifests through kubernetes-validate (1.25 and 1.37) and checkov."""
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
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.compiler import graph_view
from infracc.compiler import library_data as lib
from infracc.compiler.passes.tracing import task_size
from infracc.compiler.pipeline import analyze, emit
from infracc.compiler.render import position

XRAY = ["xray:GetSamplingRules", "xray:GetSamplingStatisticSummaries", "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords", "xray:PutTraceSegments"]

ECS = """infracc: 1
name: shop
region: eu-west-1
tracing: true
environments: {dev: {size: small}, staging: {size: medium}, prod: {size: large}}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    usage: {requests: 2000000}
    env: {OTEL_SERVICE_NAME: storefront-api}
  quiet:
    image: ghcr.io/acme/quiet:1.0.0
    port: 8081
    tracing: false
  sampled:
    image: ghcr.io/acme/sampled:1.0.0
    command: [python, -m, worker]
    health: {command: [python, -m, worker, --check]}
    tracing: {sample_rate: 0.25}
    overrides:
      prod: {tracing: {sample_rate: 0.02}}
jobs:
  nightly:
    image: ghcr.io/acme/nightly:1.0.0
    schedule: "0 3 * * *"
functions:
  hook:
    runtime: python3.12
    source: ./f
    handler: app.handler
  silent:
    runtime: python3.12
    source: ./f
    handler: app.handler
    tracing: false
"""

EKS = """infracc: 1
name: shop
region: eu-west-1
platform: eks
environments: {dev: {}, prod: {}}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    tracing: true
    uses: [worker]
  worker:
    image: ghcr.io/acme/worker:1.0.0
    port: 9000
  batch:
    image: ghcr.io/acme/batch:1.0.0
    command: [python, -m, batch]
    health: {command: [python, -m, batch, --check]}
    tracing: {sample_rate: 0.5}
"""


@pytest.fixture(scope="module")
def ecs() -> Any:
    found = analyze(text=ECS, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


@pytest.fixture(scope="module")
def eks() -> Any:
    found = analyze(text=EKS, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


def _comp(result: Any, env: str, name: str) -> Any:
    return result.ir.envs[env].graph.by_name()[name]


def _env(comp: Any) -> dict[str, str]:
    return {v.name: "".join(s for s in v.segments if isinstance(s, str)) for v in comp.env}


@pytest.fixture(scope="module")
def ecs_out(ecs: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(ecs, ["terraform", "compose", "docs"], tmp_path_factory.mktemp("tracing-ecs"))


@pytest.fixture(scope="module")
def eks_out(eks: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(eks, ["terraform", "kubernetes", "helm", "docs"], tmp_path_factory.mktemp("tracing-eks"))


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


# --- the decision -------------------------------------------------------------------------

def test_sample_rate_by_size_and_an_explicit_rate_wins(ecs: Any) -> None:
    rates = lib.tracing().sample_rates
    assert rates == {"small": 1.0, "medium": 0.5, "large": 0.1}
    for env, size in (("dev", "small"), ("staging", "medium"), ("prod", "large")):
        api = _comp(ecs, env, "api").tracing
        assert (api.enabled, api.collector, api.sample_rate, api.sample_rate_source) == (True, "sidecar", rates[size], "size")
    assert _comp(ecs, "dev", "sampled").tracing.sample_rate == 0.25
    assert _comp(ecs, "prod", "sampled").tracing.sample_rate == 0.02  # the override's rate
    assert _comp(ecs, "prod", "sampled").tracing.sample_rate_source == "spec"
    assert not _comp(ecs, "dev", "quiet").tracing.enabled and _comp(ecs, "dev", "quiet").tracing.collector == "none"
    assert _comp(ecs, "dev", "nightly").tracing.enabled  # the stack's `tracing: true`


def test_functions_share_the_decision(ecs: Any) -> None:
    hook, silent = _comp(ecs, "dev", "hook").tracing, _comp(ecs, "dev", "silent").tracing
    assert (hook.enabled, hook.collector, hook.sample_rate, hook.actions) == (True, "lambda", None, XRAY)
    assert (silent.enabled, silent.actions) == (False, [])


def test_without_tracing_services_are_off_and_functions_on() -> None:
    found = analyze(text=ECS.replace("tracing: true\n", "", 1), source_dir=str(ROOT))
    assert not _comp(found, "dev", "api").tracing.enabled
    assert _comp(found, "dev", "hook").tracing.enabled
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in _env(_comp(found, "dev", "api"))


def test_sdk_environment_is_injected_and_the_spec_wins(ecs: Any, eks: Any) -> None:
    env = _env(_comp(ecs, "prod", "api"))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio" and env["OTEL_TRACES_SAMPLER_ARG"] == "0.1"
    assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage,xray"
    assert env["OTEL_RESOURCE_ATTRIBUTES"] == "deployment.environment=prod,service.namespace=shop"
    assert env["OTEL_SERVICE_NAME"] == "storefront-api"  # written in the spec: not replaced
    assert _env(_comp(ecs, "dev", "sampled"))["OTEL_SERVICE_NAME"] == "sampled"
    assert _env(_comp(eks, "dev", "api"))["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert not any(k.startswith("OTEL_") for k in _env(_comp(eks, "dev", "worker")))


def test_sidecar_memory_grows_the_task_to_a_valid_fargate_size(ecs: Any) -> None:
    assert task_size(0.25, 512 + 128) == (0.25, 1024)
    assert task_size(0.25, 2048 + 128) == (0.5, 3072)  # no 0.25 vCPU size holds it: the next CPU step
    api, quiet = _comp(ecs, "dev", "api"), _comp(ecs, "dev", "quiet")
    assert quiet.sizing.memory_mib == 512 and quiet.tracing.memory_added_mib == 0
    assert api.sizing.memory_mib in lib.fargate_memory(api.sizing.cpu)
    assert api.sizing.memory_mib >= quiet.sizing.memory_mib + api.tracing.collector_memory_mib
    assert api.tracing.memory_added_mib == api.sizing.memory_mib - quiet.sizing.memory_mib


@pytest.mark.parametrize(("body", "code", "where"), [
    ("services:\n  a: {image: 'ghcr.io/a/a:1', tracing: {sample_rate: 1.5}}\n", "IC-SCHEMA-003", (4, 54)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', tracing: {sample_rate: -1}}\n", "IC-SCHEMA-003", (4, 54)),
    ("tracing: {rate: 0.1}\n", "IC-SCHEMA-001", (3, 11)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', tracing: [true]}\n", "IC-SCHEMA-003", (4, 40)),
])
def test_bad_tracing_is_reported_at_the_field(body: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text="infracc: 1\nname: shop\n" + body, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert any(c == code and w == where for c, w in errors), errors
    assert all(d.hint for d in found.diagnostics if d.is_error)


def test_rate_warnings_point_at_the_rate() -> None:
    body = ("services:\n  a:\n    image: ghcr.io/a/a:1\n    tracing: {sample_rate: 0}\n"
            "functions:\n  f:\n    runtime: python3.12\n    source: .\n    handler: a.h\n"
            "    tracing: {sample_rate: 0.5}\n")
    found = analyze(text="infracc: 1\nname: shop\n" + body, skip=frozenset({"cost"}))
    warnings = {(d.code, position(d, found.source)) for d in found.diagnostics if d.severity == "warning"}
    assert ("IC-TRACE-001", (6, 28)) in warnings and ("IC-TRACE-002", (12, 28)) in warnings, warnings
    # A stack-level rate is for services and jobs: a function that inherits it gets no warning.
    found = analyze(text="infracc: 1\nname: shop\ntracing: {sample_rate: 0.5}\n" + body.split("    tracing: {sample_rate: 0.5}\n")[0],
                    skip=frozenset({"cost"}))
    assert not [d for d in found.diagnostics if d.code == "IC-TRACE-002"]


# --- ECS ------------------------------------------------------------------------------------

def _containers(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    task = doc["resource"]["aws_ecs_task_definition"][f"service_{name}_task"]
    return json.loads(task["container_definitions"])


def test_ecs_sidecar_is_hardened_non_essential_with_its_own_logs(ecs_out: Path) -> None:
    doc = _doc(ecs_out, "prod")
    app, *others = _containers(doc, "api")
    sidecar = next(c for c in others if c["name"] == "otel-collector")
    assert sidecar["image"] == lib.tracing().image and sidecar["image"].endswith(":v0.47.0")
    assert sidecar["essential"] is False and sidecar["readonlyRootFilesystem"] is True
    assert sidecar["user"] == "10001:10001" and sidecar["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    assert (sidecar["cpu"], sidecar["memory"]) == (64, 128)
    assert sidecar["healthCheck"]["command"] == ["CMD", "/healthcheck"]
    config = yaml.safe_load(next(e["value"] for e in sidecar["environment"] if e["name"] == "AOT_CONFIG_CONTENT"))
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "127.0.0.1:4317"
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    assert config["extensions"]["health_check"]["endpoint"] == "127.0.0.1:13133"  # where /healthcheck asks
    group = sidecar["logConfiguration"]["options"]["awslogs-group"]
    assert group == "${aws_cloudwatch_log_group.service_api_otel_logs.name}"
    logs = doc["resource"]["aws_cloudwatch_log_group"]["service_api_otel_logs"]
    assert logs["name"] == "/ecs/shop-prod/api/otel-collector" and logs["kms_key_id"] == "${aws_kms_key.kms_env.arn}"
    assert {"containerName": "otel-collector", "condition": "START"} in app["dependsOn"]
    quiet = _containers(doc, "quiet")
    assert not any(c["name"] == "otel-collector" for c in quiet)
    assert not any(e["name"].startswith("OTEL_") for e in quiet[0]["environment"])


def test_task_roles_get_exactly_the_xray_actions(ecs_out: Path) -> None:
    data = _doc(ecs_out, "dev")["data"]["aws_iam_policy_document"]
    api = [s for s in data["service_api_grants"]["statement"] if s.get("sid") == "SendTraces"]
    assert api == [{"sid": "SendTraces", "effect": "Allow", "actions": XRAY, "resources": ["*"]}]
    assert "service_quiet_grants" not in data  # untraced, nothing else used: no policy at all


def test_lambda_tracing_follows_the_decision(ecs_out: Path) -> None:
    doc = _doc(ecs_out, "dev")
    fns = doc["resource"]["aws_lambda_function"]
    assert fns["function_hook"]["tracing_config"] == {"mode": "Active"}
    assert fns["function_silent"]["tracing_config"] == {"mode": "PassThrough"}
    skips = [s["id"] for s in fns["function_silent"]["//"]["checkov"]["skip"]]
    assert "CKV_AWS_50" in skips and "CKV_AWS_50" not in [s["id"] for s in fns["function_hook"]["//"]["checkov"]["skip"]]
    statements = doc["data"]["aws_iam_policy_document"]
    assert [s for s in statements["function_hook_grants"]["statement"] if s.get("sid") == "SendTraces"][0]["actions"] == XRAY
    assert not [s for s in statements["function_silent_grants"]["statement"] if s.get("sid") == "SendTraces"]
    managed = [a["policy_arn"] for a in doc["resource"].get("aws_iam_role_policy_attachment", {}).values()]
    assert not any("AWSXRayDaemonWriteAccess" in m for m in managed)  # the inline statement replaces it


def test_ecs_terraform_validates_and_mock_plans(toolchain, ecs_out: Path, tmp_path: Path) -> None:  # noqa: F811
    for env in ("dev", "prod"):
        problems = validate_and_mock(toolchain, ecs_out / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


def test_ecs_terraform_semantics(ecs_out: Path) -> None:
    for env in ("dev", "prod"):
        code, findings, summary = tf_real.semantics(sorted((ecs_out / "terraform" / env).glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


def _checkov(out: Path, framework: str, report: Path) -> dict[str, Any]:
    subprocess.run([str(ORACLES / "checkov"), "-d", str(out), "--framework", framework, "--skip-download",
                    "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=600)
    data = json.loads((report / "results_json.json").read_text())
    return data[0] if isinstance(data, list) else data


def test_ecs_terraform_checkov_has_no_unsuppressed_failure(ecs_out: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    doc = _doc(ecs_out, "prod")
    data = _checkov(ecs_out / "terraform" / "prod", "terraform_json", tmp_path)
    allowed: dict[str, set[str]] = {}
    for named in doc["resource"].values():
        for name, attrs in named.items():
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                allowed.setdefault(name, set()).add(entry["id"])
    bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
           if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
    assert not bad, bad
    passed = {f["check_id"] for f in data["results"]["passed_checks"] if "service_api_grants" in f["resource"]}
    assert "CKV_AWS_111" in passed  # no write access without constraints: the X-Ray statement is accepted


# --- eks ------------------------------------------------------------------------------------

def _manifests(root: Path, env: str) -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted((root / "kubernetes" / env).glob("*.yaml"))}


def test_eks_collector_objects_validate_and_are_restricted(eks_out: Path) -> None:
    objs = _manifests(eks_out, "prod")
    names = {n for n in objs if "otel-collector" in n}
    assert names == {"configmap-otel-collector.yaml", "deployment-otel-collector.yaml", "networkpolicy-otel-collector.yaml",
                     "poddisruptionbudget-otel-collector.yaml", "service-otel-collector.yaml",
                     "serviceaccount-otel-collector.yaml"}
    for name in names:
        for version in ("1.25.0", "1.37.0"):
            kubernetes_validate.validate(objs[name], version, strict=True)
    pod = objs["deployment-otel-collector.yaml"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    sec = c["securityContext"]
    assert sec["runAsNonRoot"] and sec["readOnlyRootFilesystem"] and not sec["allowPrivilegeEscalation"]
    assert sec["capabilities"]["drop"] == ["ALL"] and sec["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["securityContext"]["runAsUser"] >= 10000 and pod["automountServiceAccountToken"] is False
    assert c["image"] == lib.tracing().image and c["resources"]["limits"] == c["resources"]["requests"]
    assert c["readinessProbe"]["httpGet"]["port"] == "health" and "livenessProbe" in c
    config = yaml.safe_load(objs["configmap-otel-collector.yaml"]["data"]["config.yaml"])
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert [p["port"] for p in objs["service-otel-collector.yaml"]["spec"]["ports"]] == [4317, 4318]


def test_eks_network_policies_connect_traced_workloads_to_the_collector(eks_out: Path) -> None:
    objs = _manifests(eks_out, "dev")
    collector = objs["networkpolicy-otel-collector.yaml"]["spec"]
    sources = sorted(f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for f in collector["ingress"][0]["from"])
    assert sources == ["api", "batch"]  # the worker is not traced: it cannot reach the collector
    ports = sorted((e["to"][0].get("ipBlock", {}).get("cidr"), e["ports"][0]["port"]) for e in collector["egress"])
    assert ports == [("0.0.0.0/0", 443), ("169.254.170.23/32", 80)]
    api = objs["networkpolicy-api.yaml"]["spec"]["egress"]
    assert any(e["to"][0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "otel-collector"
               for e in api)
    worker = objs["networkpolicy-worker.yaml"]["spec"]["egress"]
    assert not any("otel-collector" in json.dumps(e) for e in worker)


def test_eks_collector_pod_identity_sends_traces_only(eks_out: Path) -> None:
    doc = _doc(eks_out, "dev")
    assoc = doc["resource"]["aws_eks_pod_identity_association"]["otel_collector_identity"]
    assert assoc["service_account"] == "otel-collector" and assoc["namespace"] == "shop-dev"
    (statement,) = doc["data"]["aws_iam_policy_document"]["otel_collector_pod"]["statement"]
    assert statement["actions"] == XRAY and statement["resources"] == ["*"]


def test_eks_quota_and_nodes_hold_the_collector(eks: Any, eks_out: Path) -> None:
    without = analyze(text=EKS.replace("    tracing: true\n", "").replace("    tracing: {sample_rate: 0.5}\n", ""),
                      source_dir=str(ROOT))
    emit(without, ["kubernetes"])
    files = {str(p): text for p, text in without.files.items()}
    assert not any("otel-collector" in p for p in files)
    plain = yaml.safe_load(files["kubernetes/dev/resourcequota-compute.yaml"])
    quota = yaml.safe_load((eks_out / "kubernetes" / "dev" / "resourcequota-compute.yaml").read_text())
    data = lib.tracing()
    surge = 2  # namespace.SURGE_FACTOR
    assert int(quota["spec"]["hard"]["pods"]) == int(plain["spec"]["hard"]["pods"]) + surge * data.cluster_replicas
    assert eks.ir.envs["dev"].nodes.min_size >= without.ir.envs["dev"].nodes.min_size


def test_eks_manifests_checkov_clean(eks_out: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    data = _checkov(eks_out / "kubernetes" / "prod", "kubernetes", tmp_path)
    assert not data["results"]["failed_checks"], [f["check_id"] + " " + f["resource"] for f in data["results"]["failed_checks"]]
    passed = [f for f in data["results"]["passed_checks"] if "otel-collector" in f["resource"]]
    assert len(passed) >= 20


def test_helm_chart_carries_the_collector(eks_out: Path) -> None:
    values = yaml.safe_load((eks_out / "helm" / "shop" / "values-dev.yaml").read_text())
    assert "otel-collector" in values["deployments"] and "otel-collector" in values["services"]
    assert values["configMaps"]["api"]["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"


# --- compose, cost, docs, graph ---------------------------------------------------------------

def test_compose_turns_the_sdk_off(ecs_out: Path) -> None:
    services = yaml.safe_load((ecs_out / "compose" / "compose.yaml").read_text())["services"]
    assert services["api"]["environment"]["OTEL_SDK_DISABLED"] == "true"
    assert "OTEL_SDK_DISABLED" not in services["quiet"]["environment"]
    assert "otel-collector" not in services


def test_cost_lines_from_usage_and_sample_rate(ecs: Any) -> None:
    prod = ecs.ir.envs["prod"].graph.by_name()
    (line,) = [i for i in prod["api"].cost.items if i.item == "X-Ray traces recorded"]
    assert line.quantity == pytest.approx(2_000_000 * 0.1 / 1e6)  # 2M requests × 0.1
    (usage,) = [i for i in prod["sampled"].cost.items if i.item == "X-Ray traces recorded"]
    assert usage.quantity is None and "usage.requests" in (usage.assumption or "")
    assert not [i for i in prod["quiet"].cost.items if "X-Ray" in i.item]
    memory = next(i for i in prod["api"].cost.items if i.item.startswith("Fargate memory"))
    assert "ADOT collector sidecar" in (memory.assumption or "")


def test_docs_say_where_traces_are(ecs_out: Path) -> None:
    text = (ecs_out / "docs" / "README.md").read_text()
    assert "## Tracing" in text and "#xray:service-map/map" in text and "eu-west-1.console.aws.amazon.com" in text
    assert "| `sampled` | service |" in text and "0.02 (as written)" in text and "0.1 (the large default)" in text
    assert "`quiet`" not in text.split("## Tracing")[1].split("## Cost")[0]


def test_graph_shows_traces_to_xray(ecs: Any) -> None:
    env = ecs.ir.envs["prod"]
    text = graph_view.mermaid(env)
    assert "service_api -.->|traces| xray" in text and "service_quiet -.->|traces|" not in text
    assert json.loads(graph_view.as_json(env))["traced"] == ["service.api", "service.sampled", "job.nightly", "function.hook"]
