"""Public tcp services behind a Network Load Balancer (issue #16): decisions, diagnostics at
line:col, Terraform (ecs and eks, with and without a stack domain) through terraform validate +
mock plan/apply, tf_semantics and checkov, Kubernetes manifests through kubernetes-validate and
the TargetGroupBinding CRD schema, and what the cost, docs, graph and tasks say.

An MQTT broker (8883, TLS with a domain) and a Postgres-protocol proxy (5432, with an HTTP health
path) are public; an internal tcp service stays on service discovery."""
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

from infracc.compiler import graph_view, tasks
from infracc.compiler.pipeline import analyze
from infracc.compiler.render import position

ALLOW_WAF = '{rule: IC-SEC-009, reason: "every client authenticates with a certificate; the broker caps connections"}'
ALLOW_TLS = '{rule: IC-SEC-002, reason: "the proxy speaks TLS end to end with its own certificate"}'


def spec(platform: str, domain: bool) -> str:
    allow = f"[{ALLOW_WAF}]" if domain else f"[{ALLOW_WAF}, {ALLOW_TLS}]"
    return f"""infracc: 1
name: broker
platform: {platform}
region: eu-west-1
{"domain: broker.example.com" if domain else ""}
environments: {{dev: {{}}, prod: {{size: large}}}}
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    port: 8080
    public: true
    uses: [mqtt, pgproxy, cache]
  mqtt:
    image: ghcr.io/acme/mqtt:2.0.0
    port: 8883
    protocol: tcp
    public: true
    allow: {allow}
  pgproxy:
    image: ghcr.io/acme/pgproxy:1.4.0
    port: 5432
    protocol: tcp
    health: /healthz
    public: {{host: {"pg.broker.example.com" if domain else "null"}}}
    uses: [db]
    allow: {allow}
  cache:
    image: ghcr.io/acme/cache:1.0.0
    port: 6380
    protocol: tcp
databases:
  db: {{}}
"""


CASES = [("ecs", True), ("ecs", False), ("eks", True), ("eks", False)]
IDS = [f"{p}-{'domain' if d else 'nodomain'}" for p, d in CASES]


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def compiled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, str, bool]:
    platform, domain = request.param
    result = analyze(text=spec(platform, domain), source_dir=str(ROOT))
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics if d.is_error]
    targets = ["terraform", "kubernetes", "compose", "docs"] if platform == "eks" else ["terraform", "compose", "docs"]
    root = write_emitted(result, targets, tmp_path_factory.mktemp(f"nlb-{platform}-{domain}"))
    return result, root, platform, domain


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


def test_endpoints_and_edge(compiled: tuple[Any, Path, str, bool]) -> None:
    result, _, _, domain = compiled
    prod, dev = result.ir.envs["prod"], result.ir.envs["dev"]
    mqtt = prod.graph.component("service.mqtt").endpoint
    assert mqtt.balancer == "nlb" and mqtt.port == 8883 and not mqtt.cdn and mqtt.tls is domain
    assert mqtt.url == ("tls://mqtt.broker.example.com:8883" if domain else None)
    pg = dev.graph.component("service.pgproxy").endpoint
    assert pg.url == ("tls://pg.dev.broker.example.com:5432" if domain else None)
    assert prod.graph.component("service.web").endpoint.balancer == "alb"
    assert prod.graph.component("service.cache").endpoint is None  # internal tcp: service discovery only
    edge = prod.edge
    assert edge.network_load_balancer and edge.load_balancer == ("internet-facing" if domain else "internal")
    assert edge.waf  # for the ALB / CloudFront, not the NLB


def test_terraform_network_load_balancer(compiled: tuple[Any, Path, str, bool]) -> None:
    _, root, platform, domain = compiled
    for env, protected in (("dev", False), ("prod", True)):
        res = _doc(root, env)["resource"]
        lb = res["aws_lb"]["nlb"]
        assert lb["load_balancer_type"] == "network" and lb["internal"] is False
        assert lb["enable_cross_zone_load_balancing"] is True and lb["enable_deletion_protection"] is protected
        assert lb["subnets"] == [f"${{aws_subnet.public_{i}.id}}" for i in range(len(lb["subnets"]))]
        assert lb["access_logs"] == {"bucket": "${aws_s3_bucket.bucket_logs.id}", "prefix": "nlb", "enabled": True}
        assert lb["security_groups"] == ["${aws_security_group.sg_nlb.id}"]
        listeners = {k: v for k, v in res["aws_lb_listener"].items() if k.startswith("nlb_")}
        assert sorted(listeners) == ["nlb_mqtt", "nlb_pgproxy"]
        for name, port in (("nlb_mqtt", 8883), ("nlb_pgproxy", 5432)):
            listener = listeners[name]
            assert listener["port"] == port and listener["protocol"] == ("TLS" if domain else "TCP")
            assert ("certificate_arn" in listener) is domain
        tgs = res["aws_lb_target_group"]
        assert tgs["service_mqtt_tg"]["protocol"] == "TCP" and tgs["service_mqtt_tg"]["target_type"] == "ip"
        assert tgs["service_mqtt_tg"]["health_check"]["protocol"] == "TCP"
        assert tgs["service_mqtt_tg"]["preserve_client_ip"] == "false"  # the targets admit the NLB's group
        check = tgs["service_pgproxy_tg"]["health_check"]
        assert (check["protocol"], check["path"], check["matcher"]) == ("HTTP", "/healthz", "200-399")
        assert "service_cache_tg" not in tgs
        rules = res["aws_security_group_rule"]
        assert rules["rule_nlb_mqtt_in"]["cidr_blocks"] == ["0.0.0.0/0"] and rules["rule_nlb_mqtt_in"]["from_port"] == 8883
        inbound = rules["rule_nlb_to_mqtt_in"]
        assert inbound["source_security_group_id"] == "${aws_security_group.sg_nlb.id}"
        assert inbound["security_group_id"] == ("${aws_security_group.sg_service_mqtt.id}" if platform == "ecs"
                                                else "${aws_eks_cluster.cluster.vpc_config[0].cluster_security_group_id}")
        # No WAF and no CloudFront in front of the NLB; the one regional ACL is the ALB's.
        for assoc in res.get("aws_wafv2_web_acl_association", {}).values():
            assert assoc["resource_arn"] != "${aws_lb.nlb.arn}"
        alarm = res["aws_cloudwatch_metric_alarm"]["alarm_service_mqtt_unhealthy_targets"]
        assert alarm["namespace"] == "AWS/NetworkELB" and alarm["dimensions"]["LoadBalancer"] == "${aws_lb.nlb.arn_suffix}"
        records = res.get("aws_route53_record", {})
        host = "mqtt.broker.example.com" if env == "prod" else "mqtt.dev.broker.example.com"
        assert (f"dns_{host.replace('.', '_')}" in records) is domain
        policy = json.dumps(_doc(root, env)["data"]["aws_iam_policy_document"]["logs_bucket_policy"])
        assert "delivery.logs.amazonaws.com" in policy and "/nlb/AWSLogs/" in policy
        out = _doc(root, env)["output"]["service_mqtt_url"]["value"]
        assert out == (f"tls://{host}:8883" if domain else "tcp://${aws_lb.nlb.dns_name}:8883")
        if platform == "ecs":
            svc = res["aws_ecs_service"]["service_mqtt"]
            assert svc["load_balancer"][0]["target_group_arn"] == "${aws_lb_target_group.service_mqtt_tg.arn}"
            assert svc["depends_on"] == ["aws_lb_listener.nlb_mqtt"]
            assert "load_balancer" not in res["aws_ecs_service"]["service_cache"]


def test_terraform_validates_and_mock_plans(toolchain, compiled: tuple[Any, Path, str, bool], tmp_path: Path) -> None:  # noqa: F811
    _, root, _, _ = compiled
    for env in ("dev", "prod"):
        problems = validate_and_mock(toolchain, root / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


def test_terraform_semantics(compiled: tuple[Any, Path, str, bool]) -> None:
    _, root, _, _ = compiled
    for env in ("dev", "prod"):
        code, findings, summary = tf_real.semantics(sorted((root / "terraform" / env).glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


def test_terraform_checkov_has_no_unsuppressed_failure(compiled: tuple[Any, Path, str, bool], tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    _, root, _, _ = compiled
    for env in ("dev", "prod"):
        report = tmp_path / env
        subprocess.run([str(ORACLES / "checkov"), "-d", str(root / "terraform" / env), "--framework", "terraform_json",
                        "--skip-download", "-o", "json", "--output-file-path", str(report)],
                       capture_output=True, text=True, timeout=600)
        data = json.loads((report / "results_json.json").read_text())
        data = data[0] if isinstance(data, list) else data
        allowed: dict[str, set[str]] = {}
        for named in _doc(root, env)["resource"].values():
            for name, attrs in named.items():
                for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                    allowed.setdefault(name, set()).add(entry["id"])
        bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
               if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
        assert not bad, bad
        # checkov names a resource `resource.<name>` in its plain checks, `<type>.<name>` in graph checks.
        passed = {f["check_id"] for f in data["results"]["passed_checks"] if f["resource"] in ("aws_lb.nlb", "resource.nlb")}
        assert "CKV_AWS_91" in passed  # access logging on the NLB
        if env == "prod":
            assert "CKV_AWS_150" in passed  # deletion protection where the environment has it


def test_kubernetes_binds_the_nlb_target_group(compiled: tuple[Any, Path, str, bool]) -> None:
    _, root, platform, _ = compiled
    if platform != "eks":
        pytest.skip("ecs: the tasks register in the target group themselves")
    for env in ("dev", "prod"):
        folder = root / "kubernetes" / env
        tgb = yaml.safe_load((folder / "targetgroupbinding-mqtt.yaml").read_text())
        assert tgb["spec"]["targetGroupName"] == f"broker-{env}-mqtt" and tgb["spec"]["targetType"] == "ip"
        assert not (folder / "targetgroupbinding-cache.yaml").exists()
        svc = yaml.safe_load((folder / "service-mqtt.yaml").read_text())
        assert svc["spec"]["type"] == "ClusterIP"  # Terraform owns the NLB; no controller-made one
        policy = yaml.safe_load((folder / "networkpolicy-mqtt.yaml").read_text())
        public = [r for r in policy["spec"]["ingress"] if r["ports"] == [{"protocol": "TCP", "port": 8883}]
                  and all("ipBlock" in p for p in r["from"])]
        assert public, policy["spec"]["ingress"]  # from the public subnets the NLB sits in
        for path in sorted(folder.glob("*.yaml")):
            for obj in yaml.safe_load_all(path.read_text()):
                if not obj:
                    continue
                key = (obj["apiVersion"], obj["kind"])
                if key in CRD_SCHEMAS:
                    errors = [e.message for e in crd_validator(CRD_SCHEMAS[key]).iter_errors(obj)]
                    assert not errors, f"{path.name}: {errors}"
                    continue
                kubernetes_validate.validate(obj, VERSIONS[-1], strict=True)


def test_cost_docs_graph_and_tasks(compiled: tuple[Any, Path, str, bool]) -> None:
    result, root, _, domain = compiled
    prod = result.ir.envs["prod"]
    lines = {(i.component, i.item) for i in prod.cost.items}
    assert {("load-balancer", "Network Load Balancer"), ("load-balancer", "NLB LCU"),
            ("load-balancer", "NLB public IPv4")} <= lines
    runbook = (root / "docs" / "README.md").read_text()
    section = runbook.split("## Entry points", 1)[1].split("\n## ", 1)[0]
    assert "`mqtt` (service)" in section and "network load balancer" in section and "no WAF" in section
    assert ("tls://mqtt.broker.example.com:8883" in section) is domain
    assert ("plain TCP" in section) is not domain
    assert "unhealthy-targets" in runbook
    mermaid = graph_view.mermaid(prod)
    assert "internet --> nlb" in mermaid and "nlb --> service_mqtt" in mermaid and "nlb --> service_web" not in mermaid
    verify = {t.component: t for t in tasks.breakdown(result.ir) if t.id.startswith("prod:verify:")}
    assert verify["mqtt"].command.startswith("openssl s_client" if domain else 'addr="$(terraform')
    assert "cache" not in verify


def test_compose_publishes_the_tcp_port(compiled: tuple[Any, Path, str, bool]) -> None:
    _, root, _, _ = compiled
    compose = yaml.safe_load((root / "compose" / "compose.yaml").read_text())
    assert any(str(p).endswith("8883") or "8883" in str(p) for p in compose["services"]["mqtt"].get("ports", []))


HEAD = ("infracc: 1\nname: shop\ndomain: broker.example.com\nservices:\n"
        "  web: {image: 'ghcr.io/acme/web:1', port: 80, public: true}\n"
        "  mqtt:\n    image: ghcr.io/acme/mqtt:1.0\n    port: 8883\n    protocol: tcp\n")
RELAY = ("  relay: {image: 'ghcr.io/acme/relay:1', port: 8883, protocol: tcp, public: true,"
         " allow: [{rule: IC-SEC-009, reason: 'clients authenticate with certificates'}]}\n")


@pytest.mark.parametrize(("body", "code", "where"), [
    ("    public: {path: /mqtt}\n", "IC-SVC-010", (10, 20)),
    ("    public: {cdn: true}\n", "IC-SVC-010", (10, 19)),
    ("    public: true\n    deploy: {strategy: canary}\n", "IC-SVC-010", (11, 24)),
    ("    public: {host: broker.example.com}\n", "IC-SVC-008", (10, 20)),
    ("    public: true\n" + RELAY, "IC-SVC-008", (11, RELAY.index("8883") + 1)),
])
def test_bad_public_tcp_services_are_reported_at_the_field(body: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text=HEAD + body, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert (code, where) in errors, errors
    assert all(d.hint for d in found.diagnostics if d.is_error)


def test_security_pass_requires_the_allowances() -> None:
    text = ("infracc: 1\nname: shop\nservices:\n  mqtt:\n    image: ghcr.io/acme/mqtt:1.0\n    port: 1883\n"
            "    protocol: tcp\n    public: true\n")
    found = analyze(text=text, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert ("IC-SEC-009", (7, 15)) in errors and ("IC-SEC-002", (8, 13)) in errors, errors
    allowed = analyze(text=spec("ecs", False), source_dir=str(ROOT))
    mqtt = allowed.ir.envs["prod"].graph.component("service.mqtt")
    assert {a.rule for a in mqtt.allowances} == {"IC-SEC-009", "IC-SEC-002"}


def test_internal_tcp_service_is_unchanged() -> None:
    """Without `public` a tcp service has no endpoint, no load balancer and keeps its TCP probe."""
    text = ("infracc: 1\nname: shop\nservices:\n  cache:\n    image: ghcr.io/acme/cache:1.0\n    port: 6380\n"
            "    protocol: tcp\n")
    found = analyze(text=text, source_dir=str(ROOT))
    assert found.ok
    env = found.ir.envs["prod"]
    assert env.graph.component("service.cache").endpoint is None
    assert env.edge.load_balancer == "none" and not env.edge.network_load_balancer
    assert "internet" not in graph_view.mermaid(env)
