"""Shared pieces of every Kubernetes object: names, labels, metadata, images, quantities."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infracc.compiler import naming, resolved
from infracc.compiler.catalogue import registry
from infracc.compiler.ir import Component, EnvIR, StackIR

# The tag of built workloads in plain manifests: a placeholder for the release's tag. CI pushes
# images to immutable ECR repositories under the commit SHA only, so no fixed default can exist;
# substitute it when applying (`envsubst '$IMAGE_TAG'`). Unsubstituted, the API server refuses
# every object, because `${IMAGE_TAG}` is not a valid `app.kubernetes.io/version` label value.
# The Helm chart requires `image.tag` instead (CI sets it to the commit SHA).
IMAGE_TAG = "${IMAGE_TAG}"
# Placeholder AWS account in ECR registry names when the environment has no `account_id`.
ACCOUNT_PLACEHOLDER = "000000000000"
MANAGED_BY = "infracc"


@dataclass(frozen=True)
class Ctx:
    """One environment being translated."""

    ir: StackIR
    env: EnvIR

    @property
    def namespace(self) -> str:
        return naming.namespace(self.ir.name, self.env.name)

    @property
    def account(self) -> str:
        return self.env.settings.account_id or ACCOUNT_PLACEHOLDER

    @property
    def registry(self) -> str:
        return f"{self.account}.dkr.ecr.{self.env.settings.region}.amazonaws.com"


def labels(ctx: Ctx, name: str, component: str) -> dict[str, str]:
    """The `app.kubernetes.io/*` recommended labels that do not change between releases (pod,
    job and volume claim templates carry these only: a StatefulSet's volumeClaimTemplates are
    immutable, and a release changes the pods through their image anyway)."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": ctx.ir.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def obj(ctx: Ctx, api: str, kind: str, name: str, component: str, body: dict[str, Any],
        annotations: dict[str, str] | None = None, namespaced: bool = True) -> dict[str, Any]:
    """A complete object: apiVersion, kind, metadata and its body (`spec`, `data`, …). Its own
    labels add `app.kubernetes.io/version`, the release's image tag (placeholder `IMAGE_TAG`)."""
    metadata: dict[str, Any] = {"name": name, "labels": {**labels(ctx, name, component),
                                                          "app.kubernetes.io/version": IMAGE_TAG}}
    if namespaced:
        metadata["namespace"] = ctx.namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **body}


def skip_annotations(skips: list[tuple[str, str]]) -> dict[str, str]:
    """checkov suppressions `checkov.io/skipN: ID=reason`, each reason from the rule catalogue."""
    out = {}
    for i, (check, rule_id) in enumerate(sorted(skips), start=1):
        rule = registry().get(rule_id)
        assert rule is not None, rule_id
        out[f"checkov.io/skip{i}"] = f"{check}={rule_id}: {rule.title}"
    return out


def image(ctx: Ctx, component: Component) -> str:
    """Container image: the ECR repository of a built workload, or the prebuilt reference."""
    prebuilt = resolved.workload(component).image
    if prebuilt is None:
        return f"{ctx.registry}/{image_repository(ctx, component)}:{IMAGE_TAG}"
    return prebuilt


def image_repository(ctx: Ctx, component: Component) -> str:
    return naming.image_repository(ctx.ir.name, component.name)


def cpu(value: float) -> str:
    """vCPU → Kubernetes quantity: 0.25 → ``250m``, 2 → ``2``."""
    milli = round(value * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def memory(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def port_name(component: Component) -> str:
    return resolved.service(component).protocol
