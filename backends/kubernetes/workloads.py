"""Workload controllers: Deployment, StatefulSet, Argo Rollout, Job, CronJob, HPA, PDB."""
from __future__ import annotations

from typing import Any

from infracc.backends.kubernetes import meta, pods
from infracc.backends.kubernetes.meta import Ctx
from infracc.compiler import decided, naming, resolved
from infracc.compiler.decisions import Sizing
from infracc.compiler.ir import Component

ROLLOUT_API = "argoproj.io/v1alpha1"


def service_account(ctx: Ctx, component: Component) -> dict[str, Any]:
    sec = component.security
    assert sec is not None
    return meta.obj(ctx, "v1", "ServiceAccount", naming.service_account(component.name), component.kind,
                    {"automountServiceAccountToken": sec.automount_service_account_token})


def strategy(component: Component) -> str:
    rollout = resolved.rollout(component)
    return rollout.strategy if rollout is not None else "rolling"


def _pod_template(ctx: Ctx, component: Component, env_from: list[dict[str, Any]]) -> dict[str, Any]:
    main = pods.container(ctx, component, env_from)
    spec = pods.pod_spec(ctx, component, main)
    if resolved.service(component).stateful:
        main["volumeMounts"].append({"name": pods.DATA_VOLUME, "mountPath": pods.DATA_PATH})
    if ctx.env.settings.high_availability:
        spec["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": meta.selector(component.name)},
        }]
    return pods.template(ctx, component, spec, component.kind)


def controller(ctx: Ctx, component: Component, env_from: list[dict[str, Any]],
               annotations: dict[str, str]) -> dict[str, Any]:
    """Deployment, StatefulSet (`stateful`) or Argo Rollout (canary / blue-green)."""
    sizing = component.sizing
    assert sizing is not None
    spec: dict[str, Any] = {
        "replicas": sizing.replicas_min,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": meta.selector(component.name)},
        "template": _pod_template(ctx, component, env_from),
    }
    if resolved.service(component).stateful:
        spec["serviceName"] = component.name
        spec["updateStrategy"] = {"type": "RollingUpdate"}
        spec["volumeClaimTemplates"] = [_claim(ctx, component)]
        return meta.obj(ctx, "apps/v1", "StatefulSet", component.name, component.kind, {"spec": spec}, annotations)
    kind = strategy(component)
    if kind == "rolling":
        spec["strategy"] = _rolling(sizing)
        return meta.obj(ctx, "apps/v1", "Deployment", component.name, component.kind, {"spec": spec}, annotations)
    spec["strategy"] = _canary(ctx, component) if kind == "canary" else _blue_green(ctx, component)
    return meta.obj(ctx, ROLLOUT_API, "Rollout", component.name, component.kind, {"spec": spec}, annotations)


def _rolling(sizing: Sizing) -> dict[str, Any]:
    """Surge-then-drain; for a singleton (the sizing pass's decision) `Recreate`: every old pod
    has terminated before the new one is created. A rolling update with `maxSurge: 0` is not
    enough: it creates the new pod while the old one is still in its termination grace period."""
    if sizing.singleton:
        return {"type": "Recreate"}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}


def _claim(ctx: Ctx, component: Component) -> dict[str, Any]:
    size = resolved.service(component).volume_gb
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{size}Gi"}}}
    if decided.optimization(component).storage_type == "gp3":  # the cost pass's decision (IC-COST-002)
        spec["storageClassName"] = naming.GP3_STORAGE_CLASS
    return {
        "metadata": {"name": pods.DATA_VOLUME, "labels": meta.labels(ctx, component.name, component.kind)},
        "spec": spec,
    }


def storage_class(ctx: Ctx) -> dict[str, Any] | None:
    """The gp3 StorageClass of the StatefulSets' claims (EBS CSI driver, the `aws-ebs-csi-driver`
    add-on Terraform installs; encrypted; bound where the pod is scheduled), or None."""
    if not any(decided.optimization(c).storage_type == "gp3" for c in ctx.env.graph.components("service")):
        return None
    return meta.obj(ctx, "storage.k8s.io/v1", "StorageClass", naming.GP3_STORAGE_CLASS, "storage", {
        "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
        "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
    }, namespaced=False)


def _canary(ctx: Ctx, component: Component) -> dict[str, Any]:
    rollout = resolved.service(component).rollout
    weights = rollout.steps
    # Manual promotion where the environment requires approval, the bake time elsewhere.
    pause: dict[str, Any] = {} if ctx.env.settings.approval else {"duration": f"{rollout.bake_minutes}m"}
    steps: list[dict[str, Any]] = []
    for weight in weights:
        steps.append({"setWeight": weight})
        if weight < 100:
            steps.append({"pause": dict(pause)})
    return {"canary": {"maxSurge": "25%", "maxUnavailable": 0, "steps": steps}}


def _blue_green(ctx: Ctx, component: Component) -> dict[str, Any]:
    return {"blueGreen": {
        "activeService": component.name,
        "previewService": preview_service(component),
        "autoPromotionEnabled": not ctx.env.settings.approval,
    }}


def preview_service(component: Component) -> str:
    return f"{component.name}-preview"


def _job_spec(ctx: Ctx, component: Component, env_from: list[dict[str, Any]],
              command: list[str] | None, timeout_seconds: int, retries: int, instance: str | None = None) -> dict[str, Any]:
    main = pods.container(ctx, component, env_from, command=command, with_probes=False)
    spec = pods.pod_spec(ctx, component, main, restart="Never")
    return {
        "activeDeadlineSeconds": timeout_seconds,
        "backoffLimit": retries,
        "ttlSecondsAfterFinished": 86400,
        "template": pods.template(ctx, component, spec, "migration" if instance else component.kind, instance),
    }


def job(ctx: Ctx, component: Component, env_from: list[dict[str, Any]], annotations: dict[str, str]) -> dict[str, Any]:
    """CronJob for a `schedule` (UTC), else a run-once Job."""
    job_ = resolved.job(component)
    spec = _job_spec(ctx, component, env_from, None, job_.timeout_seconds, job_.retries)
    if job_.schedule is None:
        return meta.obj(ctx, "batch/v1", "Job", component.name, component.kind, {"spec": spec}, annotations)
    cron = {
        "schedule": job_.schedule,
        "timeZone": "Etc/UTC",
        # Forbid unless the spec says runs may overlap (`singleton: false`; the sizing pass decides).
        "concurrencyPolicy": "Forbid" if decided.sizing(component).singleton else "Allow",
        "startingDeadlineSeconds": 300,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"metadata": {"labels": meta.labels(ctx, component.name, component.kind)}, "spec": spec},
    }
    return meta.obj(ctx, "batch/v1", "CronJob", component.name, component.kind, {"spec": cron}, annotations)


def migration_name(component: Component) -> str:
    return f"{component.name}-migrate"


def migration(ctx: Ctx, component: Component, env_from: list[dict[str, Any]],
              annotations: dict[str, str]) -> dict[str, Any]:
    """The service's `migrate` command, once per deploy, with the service's image and env."""
    name = migration_name(component)
    spec = _job_spec(ctx, component, env_from, list(resolved.service(component).migrate),
                     resolved.MIGRATION_TIMEOUT_SECONDS, 0, instance=name)
    return meta.obj(ctx, "batch/v1", "Job", name, "migration", {"spec": spec}, annotations)


def autoscaler(ctx: Ctx, component: Component, target: dict[str, Any]) -> dict[str, Any] | None:
    sizing = component.sizing
    assert sizing is not None
    if not sizing.replicas_max or sizing.replicas_max <= (sizing.replicas_min or 0):
        return None
    spec = {
        "scaleTargetRef": {"apiVersion": target["apiVersion"], "kind": target["kind"], "name": component.name},
        "minReplicas": max(sizing.replicas_min or 1, 1),
        "maxReplicas": sizing.replicas_max,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": sizing.cpu_target}}}],
    }
    return meta.obj(ctx, "autoscaling/v2", "HorizontalPodAutoscaler", component.name, component.kind, {"spec": spec})


def disruption_budget(ctx: Ctx, component: Component) -> dict[str, Any] | None:
    """In high-availability environments, for services running at least two replicas."""
    sizing = component.sizing
    if not ctx.env.settings.high_availability or not sizing or (sizing.replicas_min or 0) < 2:
        return None
    spec = {"maxUnavailable": 1, "selector": {"matchLabels": meta.selector(component.name)}}
    return meta.obj(ctx, "policy/v1", "PodDisruptionBudget", component.name, component.kind, {"spec": spec})
