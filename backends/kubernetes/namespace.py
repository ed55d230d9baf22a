"""The environment's namespace: Pod Security `restricted`, a ResourceQuota and a LimitRange."""
from __future__ import annotations

from typing import Any

from infracc.backends.kubernetes import meta
from infracc.backends.kubernetes.meta import Ctx
from infracc.compiler import resolved
from infracc.compiler.ir import Component

PSS = "restricted"
# Room for rolling updates, canaries and blue-green previews: every workload may run twice.
SURGE_FACTOR = 2


def namespace(ctx: Ctx) -> dict[str, Any]:
    ns = meta.obj(ctx, "v1", "Namespace", ctx.namespace, "namespace", {}, namespaced=False)
    for mode in ("enforce", "audit", "warn"):
        ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] = PSS
        ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return ns


def _pods(component: Component) -> int:
    sizing = component.sizing
    assert sizing is not None
    count = max(sizing.replicas_max or 1, sizing.replicas_min or 1)
    migrates = component.kind == "service" and bool(resolved.service(component).migrate)
    return count + (1 if migrates else 0)


def quota(ctx: Ctx, workloads: list[Component], extra: tuple[int, int, int] = (0, 0, 0)) -> dict[str, Any]:
    """Sum of every workload at its maximum scale, plus `extra` (pods, milli-CPU, MiB: the
    tracing collector), times the surge factor."""
    pods = (sum(_pods(c) for c in workloads) + extra[0]) * SURGE_FACTOR
    milli = (sum(round(c.sizing.cpu * 1000) * _pods(c) for c in workloads if c.sizing and c.sizing.cpu)
             + extra[1]) * SURGE_FACTOR
    mib = (sum(c.sizing.memory_mib * _pods(c) for c in workloads if c.sizing and c.sizing.memory_mib)
           + extra[2]) * SURGE_FACTOR
    hard = {
        "pods": str(pods),
        "requests.cpu": meta.cpu(milli / 1000), "limits.cpu": meta.cpu(milli / 1000),
        "requests.memory": meta.memory(mib), "limits.memory": meta.memory(mib),
    }
    return meta.obj(ctx, "v1", "ResourceQuota", "compute", "namespace", {"spec": {"hard": hard}})


def limit_range(ctx: Ctx, workloads: list[Component]) -> dict[str, Any]:
    """Defaults for containers that set nothing, and a ceiling at the largest workload."""
    sized = [c.sizing for c in workloads if c.sizing and c.sizing.cpu and c.sizing.memory_mib]
    smallest = min(sized, key=lambda s: (s.cpu, s.memory_mib))
    largest_cpu = max(s.cpu for s in sized if s.cpu)
    largest_mem = max(s.memory_mib for s in sized if s.memory_mib)
    default = {"cpu": meta.cpu(smallest.cpu or 0.25), "memory": meta.memory(smallest.memory_mib or 512)}
    limit = {
        "type": "Container",
        "default": dict(default),
        "defaultRequest": dict(default),
        "max": {"cpu": meta.cpu(largest_cpu), "memory": meta.memory(largest_mem)},
    }
    return meta.obj(ctx, "v1", "LimitRange", "defaults", "namespace", {"spec": {"limits": [limit]}})
