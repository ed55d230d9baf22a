"""eks tracing: the namespace's OpenTelemetry collector (ADOT), when a workload there is traced.

One Deployment (not a DaemonSet: Pod Security `restricted` admits no host ports, and a
Deployment scales with the traffic, not the nodes) behind the `otel-collector` Service, which
the workloads' `OTEL_EXPORTER_OTLP_ENDPOINT` names. Its configuration (backends/tracing.py) is a
ConfigMap mounted read-only; its ServiceAccount has a Pod Identity whose role may only send
traces (backends/terraform/eks.py). Hardened like every workload: non-root, read-only root,
no capabilities, seccomp RuntimeDefault, probes on the health_check extension.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.kubernetes import meta
from infracc.backends.kubernetes.meta import Ctx
from infracc.backends.kubernetes.pods import POD_IDENTITY_AGENT_CIDR
from infracc.backends.serialize import dump_yaml
from infracc.backends.tracing import collector_config
from infracc.compiler import library_data as lib
from infracc.compiler import naming, resolved
from infracc.compiler.passes.tracing import cluster_collector

NAME = naming.OTEL_COLLECTOR
COMPONENT = "tracing"
CONFIG_PATH = "/etc/otel"
CONFIG_FILE = "config.yaml"
# X-Ray's API (HTTPS) and the Pod Identity agent (the SDK's credentials).
HTTPS = 443


def traced(ctx: Ctx) -> list[str]:
    """Names of the environment's workloads that send traces to the collector."""
    return [c.name for c in ctx.env.graph.components("service", "job")
            if c.tracing is not None and c.tracing.collector == "cluster"]


def objects(ctx: Ctx) -> list[dict[str, Any]]:
    if not cluster_collector(ctx.env):
        return []
    data = lib.tracing()
    config = meta.obj(ctx, "v1", "ConfigMap", NAME, COMPONENT,
                      {"data": {CONFIG_FILE: dump_yaml(collector_config(sidecar=False))}})
    account = meta.obj(ctx, "v1", "ServiceAccount", NAME, COMPONENT, {"automountServiceAccountToken": False})
    ports = [{"name": "otlp-grpc", "port": data.otlp_grpc_port, "targetPort": "otlp-grpc", "protocol": "TCP",
              "appProtocol": "grpc"},
             {"name": "otlp-http", "port": data.otlp_http_port, "targetPort": "otlp-http", "protocol": "TCP"}]
    service = meta.obj(ctx, "v1", "Service", NAME, COMPONENT, {"spec": {
        "type": "ClusterIP", "selector": meta.selector(NAME), "ports": ports}})
    budget = meta.obj(ctx, "policy/v1", "PodDisruptionBudget", NAME, COMPONENT, {"spec": {
        "minAvailable": 1, "selector": {"matchLabels": meta.selector(NAME)}}})
    return [account, config, policy(ctx), deployment(ctx), service, budget]


def _skips() -> dict[str, str]:
    # The image is pinned by tag (library/tracing.json), as prebuilt workload images are.
    return meta.skip_annotations([("CKV_K8S_43", "IC-K8S-002")])


def deployment(ctx: Ctx) -> dict[str, Any]:
    data = lib.tracing()
    uid = resolved.RUN_AS_UID
    amount = {"cpu": data.cluster_cpu, "memory": meta.memory(data.cluster_memory_mib)}
    health = {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 10, "timeoutSeconds": 5,
              "failureThreshold": 3}
    container = {
        "name": NAME, "image": data.image, "imagePullPolicy": "Always",
        "args": [f"--config={CONFIG_PATH}/{CONFIG_FILE}"],
        "ports": [{"name": "otlp-grpc", "containerPort": data.otlp_grpc_port, "protocol": "TCP"},
                  {"name": "otlp-http", "containerPort": data.otlp_http_port, "protocol": "TCP"},
                  {"name": "health", "containerPort": data.health_port, "protocol": "TCP"}],
        "resources": {"requests": dict(amount), "limits": dict(amount)},
        "securityContext": {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_PATH, "readOnly": True}],
        "startupProbe": {**health, "failureThreshold": 6}, "readinessProbe": dict(health),
        "livenessProbe": dict(health),
    }
    pod = {"serviceAccountName": NAME, "automountServiceAccountToken": False,
           "securityContext": {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
                               "seccompProfile": {"type": "RuntimeDefault"}},
           "containers": [container],
           "volumes": [{"name": "config", "configMap": {"name": NAME}}], "restartPolicy": "Always"}
    labels = meta.labels(ctx, NAME, COMPONENT)
    return meta.obj(ctx, "apps/v1", "Deployment", NAME, COMPONENT, {"spec": {
        "replicas": data.cluster_replicas, "selector": {"matchLabels": meta.selector(NAME)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {"metadata": {"labels": labels}, "spec": pod}}}, annotations=_skips())


def policy(ctx: Ctx) -> dict[str, Any]:
    """OTLP in from the traced workloads only; out to X-Ray (HTTPS) and the Pod Identity agent."""
    data = lib.tracing()
    sources = [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}} for name in traced(ctx)]
    otlp = [{"protocol": "TCP", "port": data.otlp_grpc_port}, {"protocol": "TCP", "port": data.otlp_http_port}]
    return meta.obj(ctx, "networking.k8s.io/v1", "NetworkPolicy", NAME, COMPONENT, {"spec": {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": sources, "ports": otlp}],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": HTTPS}]},
                   {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT_CIDR}}], "ports": [{"protocol": "TCP", "port": 80}]}],
    }})


def egress(ctx: Ctx, name: str) -> list[dict[str, Any]]:
    """A traced workload's NetworkPolicy egress to the collector (OTLP gRPC and HTTP)."""
    if name not in traced(ctx):
        return []
    data = lib.tracing()
    return [{"to": [{"podSelector": {"matchLabels": meta.selector(NAME)}}],
             "ports": [{"protocol": "TCP", "port": data.otlp_grpc_port}, {"protocol": "TCP", "port": data.otlp_http_port}]}]


def quota(ctx: Ctx) -> tuple[int, int, int]:
    """(pods, milli-CPU, MiB) the collector adds to the namespace's quota (before the surge factor)."""
    if not cluster_collector(ctx.env):
        return 0, 0, 0
    data = lib.tracing()
    cpu = data.cluster_cpu
    milli = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
    return data.cluster_replicas, milli * data.cluster_replicas, data.cluster_memory_mib * data.cluster_replicas
