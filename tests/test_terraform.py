"""Terraform backend oracles: checkov on every example, plus what checkov is blind to."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES, ORACLES, compiled, output_files

CHECKOV = ORACLES / "checkov"
# Passed checks per example (a floor: checkov can exit 0 having checked nothing).
MIN_PASSED = {"three-tier": 2200, "serverless": 1000, "microservices": 1500}
REF = re.compile(r"\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)")


def stacks(example: str) -> dict[str, dict]:
    files = output_files(example, "terraform")
    return {Path(p).parts[1]: json.loads(t) for p, t in files.items() if p.endswith("cdk.tf.json")}


def blocks(doc: dict, section: str = "resource", type_: str | None = None):
    for t, named in doc.get(section, {}).items():
        if type_ is None or t == type_:
            for name, attrs in named.items():
                yield t, name, attrs


def skips(example: str) -> dict[str, set[str]]:
    """Resource (both `type.name` and checkov's `resource.name` spelling) → suppressed check ids."""
    out: dict[str, set[str]] = {}
    for doc in stacks(example).values():
        for t, name, attrs in blocks(doc):
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                assert entry.get("comment", "").strip(), f"{t}.{name}: suppression {entry} has no reason"
                out.setdefault(f"{t}.{name}", set()).add(entry["id"])
                out.setdefault(f"resource.{name}", set()).add(entry["id"])
    return out


@pytest.fixture(scope="module", params=EXAMPLES)
def checkov_report(request, tmp_path_factory):
    example = request.param
    root = tmp_path_factory.mktemp(f"tf-{example}")
    scan, report = root / "scan", root / "report"
    for rel, text in output_files(example, "terraform").items():
        (scan / rel).parent.mkdir(parents=True, exist_ok=True)
        (scan / rel).write_text(text, encoding="utf-8")
    proc = subprocess.run([str(CHECKOV), "-d", str(scan), "--framework", "terraform_json", "--skip-download",
                           "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=600)
    data = json.loads((report / "results_json.json").read_text())
    data = data[0] if isinstance(data, list) else data
    return example, data, proc


def test_checkov_has_no_unsuppressed_failures(checkov_report) -> None:
    example, data, proc = checkov_report
    results = data["results"]
    assert data["summary"]["parsing_errors"] == 0, proc.stderr[-2000:]
    assert len(results["passed_checks"]) >= MIN_PASSED[example]
    allowed = skips(example)
    bad = sorted({f"{f['check_id']} {f['resource']}: {f['check_name']}" for f in results["failed_checks"]
                  if f["check_id"] not in allowed.get(f["resource"], set())})
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("example", EXAMPLES)
def test_suppressions_come_from_the_catalogue(example: str) -> None:
    from infracc.compiler.catalogue import registry

    for doc in stacks(example).values():
        for t, name, attrs in blocks(doc):
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                rule = registry().get(entry["comment"].split(":")[0])
                assert rule is not None and entry["id"] in rule.checkov, f"{t}.{name}: {entry}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_reference_resolves(example: str) -> None:
    for env, doc in stacks(example).items():
        known = {f"{t}.{n}" for t, n, _ in blocks(doc)} | {f"data.{t}.{n}" for t, n, _ in blocks(doc, "data")}
        variables = set(doc.get("variable", {}))
        text = json.dumps(doc)
        for expr in re.findall(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}", text):
            for data, t, n in REF.findall(expr):
                assert f"{data}{t}.{n}" in known, f"{env}: ${{{expr}}} refers to a missing {data}{t}.{n}"
            for var in re.findall(r"\bvar\.([a-z_]+)", expr):
                assert var in variables, f"{env}: unknown variable {var}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_env_cidrs_are_distinct(example: str) -> None:
    cidrs = [attrs["cidr_block"] for doc in stacks(example).values() for _, _, attrs in blocks(doc, type_="aws_vpc")]
    assert len(cidrs) == len(stacks(example)) and len(set(cidrs)) == len(cidrs)


SECRET_PATTERNS = (re.compile(r"AKIA[0-9A-Z]{16}"), re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
                   re.compile(r'"(password|auth_token|secret_string)":\s*"(?!\$\{)'))


@pytest.mark.parametrize("example", EXAMPLES)
def test_nothing_secret_or_machine_specific(example: str) -> None:
    for rel, text in output_files(example, "terraform").items():
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), f"{rel}: {pattern.pattern}"
        assert "infracc-cdktf-" not in text and str(compiled(example).ir.source_dir) not in text
        assert '"metadata"' not in text and '"uniqueId"' not in text


def _statements(policy: str) -> list[dict]:
    return json.loads(policy)["Statement"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_kms_key_policies_have_no_wildcard_principal(example: str) -> None:
    for doc in stacks(example).values():
        keys = list(blocks(doc, type_="aws_kms_key"))
        assert keys
        for _, name, attrs in keys:
            assert attrs["enable_key_rotation"] is True
            statements = _statements(attrs["policy"])
            assert statements[0]["Principal"] == {"AWS": "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"}
            for st in statements:
                principal = st["Principal"]
                assert principal != "*" and "*" not in principal.get("AWS", []) and principal.get("AWS") != "*", name
                if "Service" in principal:
                    assert "Condition" in st, f"{name}: service use of a key is scoped to this account"


@pytest.mark.parametrize("example", EXAMPLES)
def test_sqs_queue_policies_only_deny_plaintext(example: str) -> None:
    for doc in stacks(example).values():
        queues = {f"${{aws_sqs_queue.{n}.id}}" for _, n, _ in blocks(doc, type_="aws_sqs_queue")}
        policies = list(blocks(doc, type_="aws_sqs_queue_policy"))
        assert {a["queue_url"] for _, _, a in policies} == queues
        for _, name, attrs in policies:
            for st in _statements(attrs["policy"]):
                assert st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, name


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_bucket_has_a_tls_only_policy(example: str) -> None:
    for doc in stacks(example).values():
        documents = {f"${{data.aws_iam_policy_document.{n}.json}}": a for _, n, a in blocks(doc, "data", "aws_iam_policy_document")}
        policies = {a["bucket"]: a["policy"] for _, _, a in blocks(doc, type_="aws_s3_bucket_policy")}
        for _, name, _ in blocks(doc, type_="aws_s3_bucket"):
            policy = documents[policies[f"${{aws_s3_bucket.{name}.id}}"]]
            deny = [s for s in policy["statement"] if s["effect"] == "Deny"]
            assert deny and deny[0]["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
            assert deny[0]["principals"] == [{"type": "*", "identifiers": ["*"]}], name


@pytest.mark.parametrize("example", EXAMPLES)
def test_container_definitions_are_hardened(example: str) -> None:
    ir = compiled(example).ir
    for env, doc in stacks(example).items():
        secret_names = {v.name for c in ir.envs[env].graph for v in c.env if v.secret}
        for _, name, attrs in blocks(doc, type_="aws_ecs_task_definition"):
            workload, *others = json.loads(attrs["container_definitions"])
            # The tracing collector sidecar (tests/test_tracing.py checks it) when the workload is traced.
            sidecars = [c for c in others if c["name"] == "otel-collector"]
            init = [c for c in others if c["name"] != "otel-collector"]
            # The one other container opens the writable volumes (root-owned on Fargate): chmod only.
            assert [(c["name"], c["essential"], c["command"][:2], c["user"]) for c in init] == [
                (f"{workload['name']}-volumes", False, ["chmod", "1777"], "0:0")], name
            assert workload["dependsOn"] == [{"containerName": init[0]["name"], "condition": "SUCCESS"}] + [
                {"containerName": c["name"], "condition": "START"} for c in sidecars], name
            init += sidecars
            assert workload["user"].split(":")[0] not in ("0", "root") and workload["user"].split(":")[0].isdigit()
            for container in (workload, *init):
                assert container["readonlyRootFilesystem"] is True and container["privileged"] is False, name
                assert container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
                assert not secret_names & {e["name"] for e in container["environment"]}, name
                assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_provider_backend_and_tags() -> None:
    docs = stacks("three-tier")
    for env, doc in docs.items():
        backend = doc["terraform"]["backend"]["s3"]
        assert backend["key"] == f"{env}/terraform.tfstate" and backend["use_lockfile"] and backend["encrypt"]
        assert doc["terraform"]["required_providers"]["aws"] == {"source": "hashicorp/aws", "version": "~> 6.0"}
        provider = doc["provider"]["aws"][0]
        assert provider["default_tags"][0]["tags"]["env"] == env
        assert ("allowed_account_ids" in provider) == (env == "prod")
    files = output_files("three-tier", "terraform")
    assert 'required_version = ">= 1.11.0"' in files["terraform/prod/versions.tf"]


def test_spot_and_arm64_follow_the_cost_pass() -> None:
    dev = stacks("three-tier")["dev"]
    worker = dev["resource"]["aws_ecs_service"]["service_worker"]
    assert worker["capacity_provider_strategy"][0]["capacity_provider"] == "FARGATE_SPOT"
    api = dev["resource"]["aws_ecs_task_definition"]["service_api_task"]
    assert api["runtime_platform"]["cpu_architecture"] == "ARM64"


def test_missing_node_is_one_clear_error(monkeypatch) -> None:
    from infracc.backends import terraform

    monkeypatch.setattr(terraform.synth, "node_available", lambda: False)
    files, diags = terraform.emit(compiled("three-tier").ir)
    assert files == {} and [d.code for d in diags] == ["IC-TF-001"] and "\n" not in diags[0].message


def test_eks_pod_identity_per_workload() -> None:
    ir = compiled("microservices").ir
    for env, doc in stacks("microservices").items():
        associations = dict(doc["resource"]["aws_eks_pod_identity_association"])
        controller = associations.pop("external_secrets_identity")
        assert (controller["namespace"], controller["service_account"]) == ("external-secrets", "external-secrets")
        # the EBS CSI driver's controller (the `search` StatefulSet's gp3 claims)
        ebs = associations.pop("ebs_csi_identity")
        assert (ebs["namespace"], ebs["service_account"]) == ("kube-system", "ebs-csi-controller-sa")
        assert "aws-ebs-csi-driver" in {a["addon_name"] for a in doc["resource"]["aws_eks_addon"].values()}
        # the EFS CSI driver's controller and node (the catalog-files mounts), one role for both
        efs = [associations.pop(f"efs_csi_{part}_identity") for part in ("controller", "node")]
        assert {(a["namespace"], a["service_account"]) for a in efs} == {
            ("kube-system", "efs-csi-controller-sa"), ("kube-system", "efs-csi-node-sa")}
        assert "aws-efs-csi-driver" in {a["addon_name"] for a in doc["resource"]["aws_eks_addon"].values()}
        # the namespace's tracing collector (the example traces its workloads: tests/test_tracing.py)
        collector = associations.pop("otel_collector_identity")
        assert collector["service_account"] == "otel-collector"
        accounts = {a["service_account"] for a in associations.values()}
        assert accounts == {c.name for c in ir.envs[env].graph.components("service", "job")}
        assert {a["namespace"] for a in associations.values()} == {f"marketplace-{env}"}
        roles = {r["name"] for r in doc["resource"]["aws_iam_role"].values()}
        for comp in ir.envs[env].graph.components("service", "job"):
            assert f"marketplace-{env}-{comp.kind}-{comp.name}-pod" in roles
        cluster = doc["resource"]["aws_eks_cluster"]["cluster"]
        assert cluster["vpc_config"]["endpoint_public_access"] is False
        assert cluster["encryption_config"]["resources"] == ["secrets"]
        addons = {a["addon_name"] for a in doc["resource"]["aws_eks_addon"].values()}
        assert "eks-pod-identity-agent" in addons


def test_public_entry_points_are_generated_on_eks() -> None:
    """The load balancer of eks services is Terraform's (HTTPS, certificate, WAF, DNS), as on ecs."""
    from infracc.backends import terraform

    _, diags = terraform.emit(compiled("microservices").ir)
    assert not [d.message for d in diags if "load balancer" in d.message or "gateway" in d.message]
    doc = json.loads(output_files("microservices", "terraform")["terraform/prod/cdk.tf.json"])
    assert doc["resource"]["aws_lb"]["alb"]["internal"] is False
    assert "waf_alb_association" in doc["resource"]["aws_wafv2_web_acl_association"]


def test_security_groups_follow_uses_exactly() -> None:
    ir = compiled("three-tier").ir
    doc = stacks("three-tier")["prod"]
    rules = doc["resource"]["aws_security_group_rule"]
    tcp = [c for c in ir.envs["prod"].graph.connections() if c.network is not None and c.network.protocol == "tcp"]
    between = {n for n, r in rules.items() if "source_security_group_id" in r and not n.startswith("rule_alb")}
    assert len(between) == 2 * len(tcp)
    assert all(r["from_port"] == r["to_port"] and r["protocol"] == "tcp" for r in rules.values())


def test_pii_stores_and_their_keys_are_tagged() -> None:
    ir = compiled("three-tier").ir
    for env, doc in stacks("three-tier").items():
        tagged = {(kind, name) for kind, named in doc["resource"].items() for name, attrs in named.items()
                  if attrs.get("tags", {}).get("data-classification") == "pii"}
        for comp in ir.envs[env].graph:
            if getattr(comp.spec, "contains_pii", False):
                assert any(comp.name in name for _, name in tagged), (env, comp.name)
                assert any(kind == "aws_kms_key" and comp.name in name for kind, name in tagged), (env, comp.name)


def test_soc2_backup_plan_covers_the_decided_stores() -> None:
    ir = compiled("three-tier").ir
    for env, doc in stacks("three-tier").items():
        vault = doc["resource"]["aws_backup_vault"]["vault"]
        assert vault["kms_key_arn"].startswith("${aws_kms_key.")
        selected = [r for sel in doc["resource"]["aws_backup_selection"].values() for r in sel["resources"]]
        decided = [c for c in ir.envs[env].graph if c.retention and c.retention.backup_plan_days]
        assert len(selected) == len(decided) > 0
