"""Chart values: per environment, every object of `kubernetes/<env>/` as data for the templates.

Each object becomes an entry under its kind's key (`deployments.api`), holding what varies:
`component` (label), optional `annotations`/`extraLabels`, `imageRepository` for images built
by infracc (the templates add `image.registry` and `image.tag`), and the object's body.
"""
from __future__ import annotations

import copy
from typing import Any

from infracc.backends.kubernetes import env_objects, meta
from infracc.compiler import resolved
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR

# kind → (values key, template file, apiVersion); the order is the order of templates/.
KINDS: dict[str, tuple[str, str]] = {
    "Namespace": ("namespaces", "v1"),
    "ResourceQuota": ("resourceQuotas", "v1"),
    "LimitRange": ("limitRanges", "v1"),
    "StorageClass": ("storageClasses", "storage.k8s.io/v1"),
    "PersistentVolume": ("persistentVolumes", "v1"),
    "ServiceAccount": ("serviceAccounts", "v1"),
    "ConfigMap": ("configMaps", "v1"),
    "PersistentVolumeClaim": ("persistentVolumeClaims", "v1"),
    "SecretStore": ("secretStores", "external-secrets.io/v1"),
    "ExternalSecret": ("externalSecrets", "external-secrets.io/v1"),
    "NetworkPolicy": ("networkPolicies", "networking.k8s.io/v1"),
    "Service": ("services", "v1"),
    "Deployment": ("deployments", "apps/v1"),
    "StatefulSet": ("statefulSets", "apps/v1"),
    "Rollout": ("rollouts", "argoproj.io/v1alpha1"),
    "Job": ("jobs", "batch/v1"),
    "CronJob": ("cronJobs", "batch/v1"),
    "HorizontalPodAutoscaler": ("horizontalPodAutoscalers", "autoscaling/v2"),
    "PodDisruptionBudget": ("podDisruptionBudgets", "policy/v1"),
    "TargetGroupBinding": ("targetGroupBindings", "elbv2.k8s.aws/v1beta1"),
}
# Labels the chart's helper writes itself (`infracc.labels`).
HELPER_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
                 "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "app.kubernetes.io/version")


def shared_values(ir: StackIR) -> dict[str, Any]:
    """`values.yaml`: what every environment shares; objects come from `values-<env>.yaml`."""
    return {
        "partOf": ir.name,
        "image": {"registry": ""},  # no `tag`: the templates require it (the commit SHA CI pushed)
        "createNamespace": False,
        **{key: {} for key, _ in KINDS.values()},
    }


def env_values(ir: StackIR, env: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    objects, diagnostics = env_objects(ir, env)
    ctx = meta.Ctx(ir, ir.envs[env])
    values: dict[str, Any] = {"namespace": ctx.namespace, "image": {"registry": ctx.registry}}
    # image of a built workload → its repository (migration Jobs run their service's image)
    repos = {meta.image(ctx, c): meta.image_repository(ctx, c) for c in ctx.env.graph.components("service", "job")
             if resolved.workload(c).built}
    for obj in objects:
        key, _ = KINDS[obj["kind"]]
        values.setdefault(key, {})[obj["metadata"]["name"]] = _entry(obj, repos)
    _mark_hooks(values)
    return values, diagnostics


def _mark_hooks(values: dict[str, Any]) -> None:
    """Migration Jobs run as hooks (weight 0) after what they need exists (weight -5): their
    service account, env, secrets and the claims (and volumes) of their file systems."""
    for entry in values.get("jobs", {}).values():
        if entry["component"] != "migration":
            continue
        entry["hook"] = 0
        pod = entry["spec"]["template"]["spec"]
        app = pod["serviceAccountName"]
        for key in ("serviceAccounts", "configMaps", "secretStores", "externalSecrets"):
            if app in values.get(key, {}):
                values[key][app]["hook"] = -5
        for volume in pod.get("volumes", []):  # a mounted file system's claim and its volume
            claim = values.get("persistentVolumeClaims", {}).get(volume.get("persistentVolumeClaim", {}).get("claimName"))
            if claim is not None:
                claim["hook"] = -5
                values["persistentVolumes"][claim["spec"]["volumeName"]]["hook"] = -5


def _entry(obj: dict[str, Any], repos: dict[str, str]) -> dict[str, Any]:
    body = {k: _copy(v) for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    labels = obj["metadata"]["labels"]
    entry: dict[str, Any] = {"component": labels["app.kubernetes.io/component"], **body}
    extra = {k: v for k, v in labels.items() if k not in HELPER_LABELS}
    if extra:
        entry["extraLabels"] = extra
    if obj["metadata"].get("annotations"):
        entry["annotations"] = dict(obj["metadata"]["annotations"])
    pod = pod_spec(entry)
    images = {container["image"] for container in pod["containers"]} if pod is not None else set()
    if pod is not None and len(images) == 1 and (image := images.pop()) in repos:
        entry["imageRepository"] = repos[image]
        for container in pod["containers"]:
            del container["image"]
    return entry


def pod_spec(entry: dict[str, Any]) -> dict[str, Any] | None:
    spec = entry.get("spec", {})
    if "jobTemplate" in spec:
        job: dict[str, Any] = spec["jobTemplate"]["spec"]["template"]["spec"]
        return job
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        pod: dict[str, Any] = template["spec"]
        return pod
    return None


def _copy(value: Any) -> Any:
    """A deep copy of manifest data (dicts, lists, scalars): what `copy.deepcopy` returns for
    it, without its memo and dispatch (~40% of this backend's time for 50 services)."""
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is list:
        return [_copy(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)

