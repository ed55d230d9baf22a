"""Environment delivery: a ConfigMap for plain values, an ExternalSecret for everything secret.

Choice (documented in README.md): a variable whose value references a data store's output
(database, cache, bucket, queue, table or function) is rendered by the workload's ExternalSecret
from the store's connection secret `naming.connection_secret(stack, env, store)`, a JSON
object keyed by output name, which the Terraform backend writes; a shared secret's value from
`naming.shared_secret(stack, env, name)` (key `value`). An external's settings are literals. Literal values and
references to other services (in-cluster DNS) go into the ConfigMap. Declared `secrets:`
come from `naming.secret_name(...)`. No value of a secret appears in any file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infracc.backends.kubernetes import meta
from infracc.backends.kubernetes.meta import Ctx
from infracc.backends.kubernetes.pods import secret_target
from infracc.compiler import naming, resolved
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import Component, EnvVar, OutputRef
from infracc.compiler.passes.targets import no_cluster_address

ESO_API = "external-secrets.io/v1"
STORE_KINDS = ("database", "cache", "bucket", "queue", "table", "function", "secret")


@dataclass
class EnvPlan:
    """How each variable of one workload reaches the container."""

    config: dict[str, str] = field(default_factory=dict)
    secret_data: dict[str, dict[str, str]] = field(default_factory=dict)  # secretKey → remoteRef
    templates: dict[str, str] = field(default_factory=dict)  # env var → ESO template
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan_env(ctx: Ctx, component: Component) -> EnvPlan:
    plan = EnvPlan()
    by_name = {c.name: c for c in ctx.env.graph.components()}
    for var in component.env:
        if var.source == "secret":
            key = naming.secret_name(ctx.ir.name, ctx.env.name, component.name, var.name)
            plan.secret_data[var.name] = {"key": key}
            plan.templates[var.name] = "{{ ." + var.name + " }}"
        elif any(_kind(by_name, r) in STORE_KINDS for r in var.references):
            plan.templates[var.name] = _template(ctx, by_name, var, plan)
        else:
            value = _plain(ctx, by_name, var, plan)
            if value is not None:
                plan.config[var.name] = value
    return plan


def _kind(by_name: dict[str, Component], ref: OutputRef) -> str | None:
    target = by_name.get(ref.component)
    return target.kind if target else None


def _template(ctx: Ctx, by_name: dict[str, Component], var: EnvVar, plan: EnvPlan) -> str:
    parts = []
    for seg in var.segments:
        if isinstance(seg, str):
            parts.append(seg.replace("{{", '{{ "{{" }}'))
        elif _kind(by_name, seg) in STORE_KINDS:
            key = f"{seg.component}_{seg.output}".replace("-", "_")
            remote = naming.stored_secret(ctx.ir.name, ctx.env.name, by_name[seg.component].kind, seg.component)
            plan.secret_data[key] = {"key": remote, "property": seg.output}
            parts.append("{{ ." + key + " }}")
        else:
            parts.append(_service_output(ctx, by_name, seg, var, plan) or "")
    return "".join(parts)


def _plain(ctx: Ctx, by_name: dict[str, Component], var: EnvVar, plan: EnvPlan) -> str | None:
    parts = []
    for seg in var.segments:
        if isinstance(seg, str):
            parts.append(seg)
            continue
        value = _service_output(ctx, by_name, seg, var, plan)
        if value is None:
            return None
        parts.append(value)
    return "".join(parts)


def _service_output(ctx: Ctx, by_name: dict[str, Component], ref: OutputRef, var: EnvVar,
                    plan: EnvPlan) -> str | None:
    target = by_name.get(ref.component)
    if target is not None and target.kind == "external":  # the same text on every target
        return resolved.external(target).output(ref.output)
    port = resolved.service(target).port if target is not None and target.kind == "service" else None
    if target is None or target.kind != "service" or port is None:
        plan.diagnostics.append(no_cluster_address(var, ref))
        return None
    host = f"{target.name}.{ctx.namespace}.svc.cluster.local"
    return {"host": host, "port": str(port), "url": f"http://{host}:{port}"}[ref.output]


def config_map(ctx: Ctx, component: Component, plan: EnvPlan) -> dict[str, Any]:
    return meta.obj(ctx, "v1", "ConfigMap", component.name, component.kind, {"data": dict(plan.config)})


def secret_store(ctx: Ctx, component: Component) -> dict[str, Any]:
    """AWS Secrets Manager through the controller's Pod Identity, assuming the workload's own
    pod role (`role`), so each store reads only that workload's secrets."""
    aws = {
        "service": "SecretsManager",
        "region": ctx.env.settings.region,
        "role": f"arn:aws:iam::{ctx.account}:role/"
                + naming.pod_role(ctx.ir.name, ctx.env.name, component.kind, component.name),
    }
    return meta.obj(ctx, ESO_API, "SecretStore", component.name, component.kind,
                    {"spec": {"provider": {"aws": aws}}})


def external_secret(ctx: Ctx, component: Component, plan: EnvPlan) -> dict[str, Any]:
    data = [{"secretKey": key, "remoteRef": dict(ref)} for key, ref in sorted(plan.secret_data.items())]
    spec = {
        "refreshInterval": "1h",
        "secretStoreRef": {"kind": "SecretStore", "name": component.name},
        "target": {
            "name": secret_target(component),
            "creationPolicy": "Owner",
            "template": {"engineVersion": "v2", "data": dict(plan.templates)},
        },
        "data": data,
    }
    return meta.obj(ctx, ESO_API, "ExternalSecret", component.name, component.kind, {"spec": spec})
