"""The ADOT collector's configuration, shared by the ECS sidecar and the eks Deployment.

One pipeline: OTLP (gRPC and HTTP) in, the memory limiter, resource detection and batching,
the `awsxray` exporter out. The sidecar listens on the task's loopback only (the workload reaches
it at localhost; nothing else in the VPC can); the cluster collector listens on the pod's
addresses behind the `otel-collector` Service. The health_check extension answers on :13133,
where the image's `/healthcheck` (ECS) and the kubelet's probes (eks) look.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.serialize import dump_yaml
from infracc.compiler import library_data as lib


def collector_config(sidecar: bool) -> dict[str, Any]:
    data = lib.tracing()
    host = "127.0.0.1" if sidecar else "0.0.0.0"  # noqa: S104 - the pod's addresses, behind its NetworkPolicy
    return {
        "extensions": {"health_check": {"endpoint": f"{host}:{data.health_port}"}},
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{host}:{data.otlp_grpc_port}"},
                                             "http": {"endpoint": f"{host}:{data.otlp_http_port}"}}}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
            # ECS: the task metadata endpoint names the cluster, task and container; eks: the
            # OTEL_RESOURCE_ATTRIBUTES the SDK sends already say which workload and environment.
            "resourcedetection": {"detectors": ["env", "ecs"] if sidecar else ["env"]},
            "batch/traces": {"timeout": "1s", "send_batch_size": 50},
        },
        "exporters": {"awsxray": {}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {"traces": {"receivers": ["otlp"],
                                     "processors": ["memory_limiter", "resourcedetection", "batch/traces"],
                                     "exporters": ["awsxray"]}},
        },
    }


def collector_config_text(sidecar: bool) -> str:
    return dump_yaml(collector_config(sidecar))
