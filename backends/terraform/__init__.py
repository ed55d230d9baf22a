"""Terraform backend: `terraform/<env>/cdk.tf.json` per environment, synthesized with CDKTF.

The only package importing cdktf (lazily, in `synth`). Every decision comes from the IR;
what this version cannot express is an IC-TF-002 diagnostic on the component it affects.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from infracc.backends.serialize import dump_json
from infracc.backends.terraform import (
    awsconfig,
    budgets,
    cdn,
    ecs,
    edge,
    eks,
    filesystems,
    firewall,
    functions,
    keys,
    network,
    nlb,
    ops,
    schedules,
    storage,
    stores,
    synth,
    tables,
)
from infracc.backends.terraform.context import Env, literal
from infracc.compiler import decided, naming
from infracc.compiler.diagnostics import Diagnostic, error
from infracc.compiler.ir import Component, EnvIR, StackIR

AWS_PROVIDER = "~> 6.0"
REQUIRED_VERSION = ">= 1.11.0"  # write-only arguments (stores.py); S3 native state locking (use_lockfile) since 1.10
# In HCL beside cdk.tf.json: checkov's terraform_json parser rejects a scalar in the
# `terraform` block, and Terraform reads both files of the directory.
VERSIONS = f'terraform {{\n  required_version = "{REQUIRED_VERSION}"\n}}\n'
UNSUPPORTED: dict[str, str] = {}


def emit(ir: StackIR) -> tuple[dict[PurePosixPath, str], list[Diagnostic]]:
    if not synth.node_available():
        return {}, [error("IC-TF-001", "terraform: Node.js (`node`) is not on PATH; CDKTF needs it "
                          "(install Node.js 20+, or pick other targets with --target)", ())]
    diags: list[Diagnostic] = []
    stacks: dict[str, tuple[dict[str, Any], Any]] = {}
    for env in ir.envs.values():
        ctx = build(ir, env)
        diags += ctx.diagnostics
        stacks[env.name] = (settings(ir, env), ctx.doc)
    synthesized = synth.synthesize(stacks)
    files = {PurePosixPath("terraform", name, "cdk.tf.json"): dump_json(data) for name, data in synthesized.items()}
    for name in synthesized:
        files[PurePosixPath("terraform", name, "versions.tf")] = VERSIONS
    return files, list(dict.fromkeys(diags))


def settings(ir: StackIR, env: EnvIR) -> dict[str, Any]:
    s = env.settings
    tags = {"stack": ir.name, "env": env.name, **({"owner": literal(ir.owner)} if ir.owner else {}),
            **{k: literal(v) for k, v in ir.tags.items()}}
    provider: dict[str, Any] = {"region": s.region, "default_tags": [{"tags": tags}]}
    if s.account_id:
        provider["allowed_account_ids"] = [s.account_id]
    providers = [provider]
    if any(c.endpoint is not None and c.endpoint.cdn for c in env.graph.components("site", "service")):
        providers.append({**provider, "alias": "us_east_1", "region": "us-east-1"})
    return {
        "backend": {"bucket": naming.state_bucket(ir.name), "key": f"{env.name}/terraform.tfstate", "region": ir.region},
        "required_providers": {"aws": {"source": "hashicorp/aws", "version": AWS_PROVIDER}},
        "provider": {"aws": providers},
    }


def _classification_tags(ctx: Env) -> None:
    """Tags the security pass decided (e.g. `data-classification=pii`) on the store and its key."""
    for comp in ctx.env.graph:
        tags = comp.encryption.tags if comp.encryption else {}
        for part in (comp.id, f"kms.{comp.name}"):
            block = ctx.parts.get(part) if tags else None
            if block is not None:
                block.attrs["tags"] = {**block.attrs.get("tags", {}), **tags}


def build(ir: StackIR, env: EnvIR) -> Env:
    ctx = Env(ir, env)
    keys.account_facts(ctx)
    keys.keys(ctx)
    ops.topic(ctx)
    network.network(ctx)
    firewall.groups(ctx)
    storage.log_bucket(ctx)
    stores.declared_secrets(ctx)
    stores.shared_secrets(ctx)
    if env.graph.components("function"):
        functions.artifacts(ctx)
    emitters = {"database": stores.database, "cache": stores.cache, "bucket": storage.bucket, "queue": storage.queue,
                "table": tables.table, "filesystem": filesystems.filesystem}
    for comp in env.graph:
        if comp.kind in emitters:
            emitters[comp.kind](ctx, comp)
        elif comp.kind in UNSUPPORTED:
            ctx.unsupported(comp, UNSUPPORTED[comp.kind])
    for comp in env.graph.topological_among("function"):  # an invoked function before its callers
        functions.function(ctx, comp)
    for comp in env.graph.components("function"):
        functions.trigger(ctx, comp)
    workloads = env.graph.components("service", "job")
    if workloads and ir.platform == "ecs":
        edge.load_balancer(ctx)
        nlb.network_load_balancer(ctx)
        ecs.cluster(ctx)
    elif workloads and ir.platform == "eks":
        eks.cluster(ctx)
        edge.load_balancer(ctx)  # pods join its target groups through TargetGroupBindings
        nlb.network_load_balancer(ctx)
    elif workloads:
        for comp in workloads:
            ctx.unsupported(comp, f"the {comp.kind} on platform `{ir.platform}`")
    filesystems.policies(ctx)
    schedules.schedules(ctx)
    cdn.sites(ctx)
    _classification_tags(ctx)
    ops.alarms(ctx)
    budgets.budget(ctx)
    ops.cloudtrail(ctx)
    awsconfig.aws_config(ctx)
    ops.backup_plan(ctx)
    outputs(ctx)
    return ctx


def _url(ctx: Env, comp: Component) -> str | None:
    """The public URL: known with a domain, CloudFront's own name otherwise (see the endpoints pass)."""
    ep = comp.endpoint
    if ep is None:
        return None
    if ep.url is not None:
        return ep.url
    if ep.balancer == "nlb":  # no domain: the network load balancer's own name, plain TCP
        return f"tcp://{ctx.parts['nlb'].ref('dns_name')}:{ep.port}"
    dist = ctx.parts.get("distribution.app" if comp.kind == "service" else f"distribution.{comp.id}")
    if dist is None:
        return None
    return f"https://{dist.ref('domain_name')}{ep.path}"


def outputs(ctx: Env) -> None:
    doc = ctx.doc
    doc.output("vpc_id", ctx.parts["vpc"].ref("id"), "VPC of the environment")
    doc.output("kms_key_arn", ctx.parts["kms.env"].ref("arn"), "environment KMS key")
    if "cluster" in ctx.parts:
        doc.output("ecs_cluster_name", ctx.parts["cluster"].ref("name"), "ECS cluster (CI deploys services here)")
    for comp in ctx.env.graph.components("database", "cache", "bucket", "queue", "table"):
        block = ctx.parts.get(comp.id)
        if block is not None:
            doc.output(f"{comp.kind}_{comp.name}_arn".replace("-", "_"), block.ref("arn"), f"ARN of {comp.kind} {comp.name}")
    filesystems.outputs(ctx)
    for comp in ctx.env.graph.components("service", "site"):
        url = _url(ctx, comp)
        if url is not None:
            ep = decided.endpoint(comp)
            what = "HTTPS URL" if ep.balancer != "nlb" else "TLS address" if ep.tls else "TCP address"
            doc.output(ep.output, url, f"{what} of {comp.kind} {comp.name}")
    for comp in ctx.env.graph.components("database", "cache"):
        doc.output(f"{comp.kind}_{comp.name}_connection_secret".replace("-", "_"),
                   ctx.parts[f"connection.{comp.name}"].ref("arn"), f"connection secret of {comp.name}")
    for comp in ctx.env.graph.components("secret"):
        doc.output(f"secret_{comp.name}_arn".replace("-", "_"), ctx.parts[f"connection.{comp.name}"].ref("arn"),
                   f"shared secret {comp.name}")
