"""Oracles on the Kubernetes backend's output for every example (see ../shared/ORACLES.md).

kubernetes-validate (strict, 1.25.0 and 1.37.0) for core objects, the vendored CRD schemas for
custom resources, checkov once per example, and our own Pod Security `restricted` check.
"""
from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from conftest import ALL_TARGETS, EXAMPLES, ORACLES, ROOT, compiled, output_files
from ruamel.yaml import YAML

from infracc.backends.kubernetes import meta
from infracc.compiler import library_data as lib
from infracc.compiler import naming
from infracc.compiler.build import default_targets
from infracc.compiler.catalogue import registry
from infracc.compiler.passes.tracing import cluster_collector

CRDS = ROOT / "tests" / "data" / "crds"
CRD_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Rollout"): "argoproj.io_rollout_v1alpha1.json",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io_externalsecret_v1.json",
    ("external-secrets.io/v1", "SecretStore"): "external-secrets.io_secretstore_v1.json",
    ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding"): "elbv2.k8s.aws_targetgroupbinding_v1beta1.json",
}
VERSIONS = ("1.25.0", "1.37.0")


def _spec(example: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load((ROOT / "examples" / example / "stack.yaml").read_text())


def _targets(example: str) -> list[str]:
    """The example's targets, as compiler/build.py decides them (no `targets`: the platform's)."""
    spec = _spec(example)
    return spec.get("targets") or default_targets(spec.get("platform", "ecs"))


# Examples that get Kubernetes output (eks, or `targets` lists it), then each ecs example without
# `targets` compiled as if it listed every backend (`+all-targets`): a user may ask for both.
K8S_EXAMPLES = ([e for e in EXAMPLES if "kubernetes" in _targets(e)]
                + [e + ALL_TARGETS for e in EXAMPLES if "kubernetes" not in _targets(e) and "targets" not in _spec(e)])
# Minimum passed checkov checks per example (measured: microservices 1395, three-tier 1098).
MIN_PASSED = 1000
PSS_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
               "projected", "secret", "image", "name"}


@functools.cache
def objects(example: str) -> dict[str, dict[str, Any]]:
    """Parsed manifests by path (cached: treat as read-only)."""
    yaml = YAML(typ="safe", pure=True)
    return {path: yaml.load(text) for path, text in output_files(example, "kubernetes").items()}


def pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if "template" in spec and "spec" in spec["template"]:
        return [spec["template"]["spec"]]
    return []


def test_manifests_follow_the_platform() -> None:
    """eks gets manifests; ecs (three-tier) only when `targets` lists kubernetes (issue #15)."""
    assert {"microservices", "three-tier" + ALL_TARGETS} <= set(K8S_EXAMPLES)
    assert compiled("microservices").ir.platform == "eks" and output_files("microservices", "kubernetes")
    assert compiled("three-tier").ir.platform == "ecs"
    for example in set(EXAMPLES) - set(K8S_EXAMPLES):
        assert not output_files(example, "kubernetes"), example
        assert not output_files(example, "helm"), example


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_layout_one_object_per_file(example: str) -> None:
    envs = compiled(example).ir.env_names()
    for path, obj in objects(example).items():
        top, env, name = Path(path).parts
        assert top == "kubernetes" and env in envs
        assert name == f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
    assert {Path(p).parts[1] for p in objects(example)} == set(envs)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_core_objects_validate_strict(example: str, version: str) -> None:
    for path, obj in objects(example).items():
        if (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError as exc:  # unknown or removed API: a failure
            pytest.fail(f"{path}: no schema in {version}: {exc}")
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {exc.message} at {list(exc.path)}")


@functools.cache
def crd_validator(file: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads((CRDS / file).read_text(encoding="utf-8")))


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_custom_resources_match_crds(example: str) -> None:
    seen = set()
    for path, obj in objects(example).items():
        key = (obj["apiVersion"], obj["kind"])
        if key in CRD_SCHEMAS:
            seen.add(key)
            errors = [f"{e.message} at {list(e.path)}" for e in crd_validator(CRD_SCHEMAS[key]).iter_errors(obj)]
            assert not errors, f"{path}: {errors}"
    assert ("external-secrets.io/v1", "ExternalSecret") in seen


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_pod_security_restricted(example: str) -> None:
    """The PSS `restricted` rules (checkov misses runAsNonRoot), plus UIDs/GIDs ≥ 10000."""
    checked = 0
    for path, obj in objects(example).items():
        for pod in pod_specs(obj):
            checked += 1
            psc = pod.get("securityContext", {})
            assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), path
            assert psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", path
            assert psc["runAsUser"] >= 10000 and psc["runAsGroup"] >= 10000 and psc["fsGroup"] >= 10000, path
            for volume in pod.get("volumes", []):
                assert set(volume) <= PSS_VOLUMES, (path, volume)
            assert pod["automountServiceAccountToken"] is False, path
            for c in pod["containers"] + pod.get("initContainers", []):
                sc = c["securityContext"]
                assert sc["allowPrivilegeEscalation"] is False and sc.get("privileged") is False, path
                assert sc.get("runAsNonRoot", True) is True and sc["runAsUser"] >= 10000 and sc["runAsGroup"] >= 10000
                assert "ALL" in sc["capabilities"]["drop"] and not set(sc["capabilities"].get("add", [])) - {"NET_BIND_SERVICE"}
                assert sc.get("seccompProfile", {"type": "RuntimeDefault"})["type"] in ("RuntimeDefault", "Localhost")
                assert sc["readOnlyRootFilesystem"] is True
                assert not any(p.get("hostPort") for p in c.get("ports", [])), path
                image = c["image"]
                assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), (path, image)
                assert c["resources"]["limits"] and c["resources"]["requests"], path
    assert checked


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_namespace_is_restricted_and_every_pod_is_covered_by_policies(example: str) -> None:
    objs = objects(example).values()
    for ns in (o for o in objs if o["kind"] == "Namespace"):
        for mode in ("enforce", "audit", "warn"):
            assert ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"
    names = {o["metadata"]["name"] for o in objs if o["kind"] == "NetworkPolicy"}
    assert {"default-deny", "allow-dns"} <= names


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_no_secret_values(example: str) -> None:
    for path, obj in objects(example).items():
        assert obj["kind"] != "Secret", path
        if obj["kind"] == "ConfigMap":
            for key in obj["data"]:
                assert not any(w in key for w in ("PASSWORD", "SECRET", "KEY", "TOKEN")) or key.endswith("_URL"), (path, key)


@functools.cache
def checkov_report(example: str, tmp: str) -> dict[str, Any]:
    scan, out = Path(tmp) / "scan", Path(tmp) / "report"
    for rel, text in output_files(example, "kubernetes").items():
        (scan / rel).parent.mkdir(parents=True, exist_ok=True)
        (scan / rel).write_text(text, encoding="utf-8")
    checkov = ORACLES / "checkov"
    subprocess.run([str(checkov), "-d", str(scan), "--framework", "kubernetes", "--skip-download",
                    "-o", "json", "--output-file-path", str(out)], capture_output=True, check=False, timeout=600)
    return json.loads((out / "results_json.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {e: checkov_report(e, str(tmp_path_factory.mktemp(f"checkov-{e}"))) for e in K8S_EXAMPLES}


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_checkov_clean(example: str, checkov_reports: dict[str, dict[str, Any]]) -> None:
    report = checkov_reports[example]
    failed = [(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert not failed, failed
    assert report["summary"]["passed"] >= MIN_PASSED, report["summary"]


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_checkov_skips_carry_a_catalogue_reason(example: str, checkov_reports: dict[str, dict[str, Any]]) -> None:
    for path, obj in objects(example).items():
        for key, value in obj["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check, reason = value.split("=", 1)
                rule_id, title = reason.split(": ", 1)
                rule = registry().get(rule_id)
                assert rule is not None and rule.title == title, (path, value)
    for skipped in checkov_reports[example]["results"].get("skipped_checks", []):
        assert skipped["check_id"] in ("CKV_K8S_35", "CKV_K8S_43"), skipped["check_id"]


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_every_env_var_is_delivered(example: str) -> None:
    """Each variable reaches the container once: ConfigMap (plain) or ExternalSecret template."""
    ir = compiled(example).ir
    for env_name, env in ir.envs.items():
        base = f"kubernetes/{env_name}"
        objs = {(o["kind"], o["metadata"]["name"]): o for p, o in objects(example).items() if p.startswith(base + "/")}
        for component in env.graph.components("service", "job"):
            plain = objs.get(("ConfigMap", component.name), {}).get("data", {})
            secret = objs.get(("ExternalSecret", component.name), {})
            templated = secret.get("spec", {}).get("target", {}).get("template", {}).get("data", {})
            for var in component.env:
                assert (var.name in plain) != (var.name in templated), (env_name, component.name, var.name)
                if var.secret or var.source == "secret":
                    assert var.name in templated, (component.name, var.name)


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_network_policies_follow_uses(example: str) -> None:
    ir = compiled(example).ir
    for env_name, env in ir.envs.items():
        objs = {(o["kind"], o["metadata"]["name"]): o for p, o in objects(example).items()
                if p.startswith(f"kubernetes/{env_name}/")}
        for component in env.graph.components("service", "job"):
            policy = objs[("NetworkPolicy", component.name)]["spec"]
            peers = {(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"], rule["ports"][0]["port"])
                     for rule in policy["egress"] for peer in rule["to"] if "podSelector" in peer}
            wanted = {(env.graph.component(e.target).name, e.network.port) for e in env.graph.uses(component.id)
                      if env.graph.component(e.target).kind == "service" and e.network and e.network.port}
            if component.tracing is not None and component.tracing.collector == "cluster":  # OTLP to the collector
                wanted.add((naming.OTEL_COLLECTOR, lib.tracing().otlp_grpc_port))
            assert peers == wanted, (env_name, component.name)


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_services_select_only_their_workload_pods(example: str) -> None:
    """A Service never selects Job pods (e.g. a migration running with the service's image)."""
    objs = list(objects(example).values())
    job_pods = [p["metadata"]["labels"] for o in objs if o["kind"] in ("Job", "CronJob")
                for p in [o["spec"]["jobTemplate"]["spec"]["template"] if o["kind"] == "CronJob" else o["spec"]["template"]]]
    for svc in (o for o in objs if o["kind"] == "Service"):
        selector = svc["spec"]["selector"].items()
        assert not any(selector <= labels.items() for labels in job_pods), svc["metadata"]["name"]


# Label values the API server accepts (apimachinery IsValidLabelValue): `kubectl apply` of an
# object whose label does not match is refused.
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_built_images_take_the_release_tag_at_apply_time(example: str) -> None:
    """CI pushes images only as the commit SHA (immutable ECR tags): the manifests carry the
    `${IMAGE_TAG}` placeholder, which the API server refuses until it is substituted."""
    ir, sha = compiled(example).ir, "3f786850e387550fdab836ed7e6dc881de23001b"
    assert meta.IMAGE_TAG == "${IMAGE_TAG}"
    for path, text in output_files(example, "kubernetes").items():
        assert "0.1.0" not in text, path
    for path, obj in objects(example).items():
        env = ir.envs[Path(path).parts[1]]
        version = obj["metadata"]["labels"]["app.kubernetes.io/version"]
        assert version == meta.IMAGE_TAG and not LABEL_VALUE.fullmatch(version), path
        assert LABEL_VALUE.fullmatch(version.replace(meta.IMAGE_TAG, sha)) and len(sha) <= 63
        registry_host = meta.Ctx(ir, env).registry
        workloads = env.graph.components("service", "job")
        allowed = ({f"{registry_host}/{naming.image_repository(ir.name, c.name)}:{meta.IMAGE_TAG}"
                    for c in workloads if c.resolved.built} | {c.resolved.image for c in workloads if not c.resolved.built}
                   | ({lib.tracing().image} if cluster_collector(env) else set()))  # the pinned tracing collector
        for pod in pod_specs(obj):
            for container in pod["containers"] + pod.get("initContainers", []):
                assert container["image"] in allowed, (path, container["image"])
        # only the object's own labels change per release: volumeClaimTemplates are immutable
        nested = json.dumps({k: v for k, v in obj.items() if k != "metadata"})
        assert "app.kubernetes.io/version" not in nested, path
