"""Pod templates: the hardened container (security pass), probes, resources and env sources."""
from __future__ import annotations

from typing import Any

from infracc.backends.kubernetes import meta, volumes
from infracc.backends.kubernetes.meta import Ctx
from infracc.compiler import resolved
from infracc.compiler.decisions import WorkloadSecurity
from infracc.compiler.ir import Component

# EKS Pod Identity agent: where the SDK fetches the workload's AWS credentials.
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
TMP_VOLUME = "tmp"
DATA_VOLUME = "data"
# Mount point of a stateful service's volume.
DATA_PATH = "/data"


def pod_security(sec: WorkloadSecurity) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": sec.run_as_user,
        "runAsGroup": sec.run_as_group,
        "fsGroup": sec.run_as_group,
        "seccompProfile": {"type": sec.seccomp_profile},
    }


def container_security(sec: WorkloadSecurity) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": sec.allow_privilege_escalation,
        "privileged": False,
        "readOnlyRootFilesystem": sec.read_only_root_filesystem,
        "runAsNonRoot": True,
        "runAsUser": sec.run_as_user,
        "runAsGroup": sec.run_as_group,
        "capabilities": {"drop": list(sec.drop_capabilities)},
        "seccompProfile": {"type": sec.seccomp_profile},
    }


def writable(sec: WorkloadSecurity) -> list[tuple[str, str]]:
    """(volume name, path) of each writable path: an emptyDir under a read-only root."""
    return [(TMP_VOLUME if i == 0 else f"{TMP_VOLUME}-{i}", path) for i, path in enumerate(sec.writable_paths)]


def resources(component: Component) -> dict[str, Any]:
    sizing = component.sizing
    assert sizing is not None and sizing.cpu is not None and sizing.memory_mib is not None
    amount = {"cpu": meta.cpu(sizing.cpu), "memory": meta.memory(sizing.memory_mib)}
    return {"requests": dict(amount), "limits": dict(amount)}


def probes(component: Component) -> dict[str, Any]:
    """Readiness and liveness from `health`: an exec command, or an HTTP path on the port."""
    probe = resolved.workload(component).probe
    if probe.kind == "exec":
        action: dict[str, Any] = {"exec": {"command": list(probe.command)}}
    elif probe.kind == "http":
        action = {"httpGet": {"path": probe.path or "/", "port": meta.port_name(component)}}
    elif probe.kind in ("grpc", "tcp"):
        action = {"tcpSocket": {"port": meta.port_name(component)}}
    else:
        return {}
    timings = {"periodSeconds": probe.interval_seconds, "timeoutSeconds": probe.timeout_seconds,
               "failureThreshold": probe.unhealthy_threshold}
    return {
        "startupProbe": {**action, **timings, "failureThreshold": max(1, probe.grace_seconds // probe.interval_seconds)
                         + probe.unhealthy_threshold},
        "readinessProbe": {**action, **timings},
        "livenessProbe": {**action, **timings},
    }


def env_sources(component: Component, has_config: bool, has_secret: bool) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    if has_config:
        sources.append({"configMapRef": {"name": component.name}})
    if has_secret:
        sources.append({"secretRef": {"name": secret_target(component)}})
    return sources


def secret_target(component: Component) -> str:
    """Name of the Secret the workload's ExternalSecret writes."""
    return f"{component.name}-env"


def container(ctx: Ctx, component: Component, env_from: list[dict[str, Any]],
              command: list[str] | None = None, with_probes: bool = True) -> dict[str, Any]:
    sec = component.security
    assert sec is not None
    out: dict[str, Any] = {
        "name": component.name,
        "image": meta.image(ctx, component),
        "imagePullPolicy": "Always",
        "resources": resources(component),
        "securityContext": container_security(sec),
        "volumeMounts": [{"name": name, "mountPath": path} for name, path in writable(sec)]
        + volumes.volume_mounts(component),
    }
    spec = resolved.workload(component)
    cmd = command or list(spec.command)
    if cmd:
        out["command"] = list(cmd)
    if env_from:
        out["envFrom"] = env_from
    port = spec.port if isinstance(spec, resolved.Service) else None
    if port is not None:
        out["ports"] = [{"name": meta.port_name(component), "containerPort": port, "protocol": "TCP"}]
    if with_probes:
        out.update(probes(component))
    return out


def pod_spec(ctx: Ctx, component: Component, main: dict[str, Any], restart: str = "Always") -> dict[str, Any]:
    sec = component.security
    assert sec is not None
    scratch: list[dict[str, Any]] = [{"name": name, "emptyDir": {"sizeLimit": "256Mi"}} for name, _ in writable(sec)]
    return {
        "serviceAccountName": component.name,
        "automountServiceAccountToken": sec.automount_service_account_token,
        "securityContext": pod_security(sec),
        "containers": [main],
        "volumes": scratch + volumes.pod_volumes(component),
        "restartPolicy": restart,
    }


def template(ctx: Ctx, component: Component, spec: dict[str, Any], kind: str,
             instance: str | None = None) -> dict[str, Any]:
    """Pod template; `instance` sets apart pods (migrations) that the workload's Service must not select."""
    labels = meta.labels(ctx, component.name, kind)
    if instance:
        labels["app.kubernetes.io/instance"] = instance
    return {"metadata": {"labels": labels}, "spec": spec}
