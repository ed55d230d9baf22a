"""Least-privilege IAM policy documents from `connection.grant` (IC-SEC-003)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infracc.backends.terraform.context import REGION, Env
from infracc.backends.terraform.model import Block, label
from infracc.compiler import decided, resolved
from infracc.compiler.ir import Component, Connection
from infracc.compiler.passes.security import kms_actions


def grant_statements(ctx: Env, comp: Component) -> list[dict[str, Any]]:
    """One statement per `uses` edge with a grant, scoped to that one resource (and its key)."""
    out: list[dict[str, Any]] = []
    for conn in ctx.env.graph.uses(comp.id):
        if conn.grant is None or conn.grant.mounted_by == "csi-driver":  # eks: the CSI driver's role mounts
            continue
        target = ctx.env.graph.component(conn.target)
        statement: dict[str, Any] = {"sid": label(conn.grant.resource_kind, target.name).replace("_", "").title()[:60],
                                     "effect": "Allow", "actions": sorted(conn.grant.actions),
                                     "resources": _resources(ctx, comp, conn)}
        if conn.grant.mounted_by == "workload":  # the mount only through the workload's own access point
            statement["condition"] = [{"test": "StringEquals", "variable": "elasticfilesystem:AccessPointArn",
                                       "values": [ctx.parts[f"ap.{conn.source}.{conn.target}"].ref("arn")]}]
        out.append(statement)
        if conn.grant.index_actions:  # a table's global secondary indexes: queried, never written
            out.append({"sid": label(conn.grant.resource_kind, target.name, "indexes").replace("_", "").title()[:60],
                        "effect": "Allow", "actions": sorted(conn.grant.index_actions),
                        "resources": [f"{ctx.parts[conn.target].ref('arn')}/index/*"]})
        if conn.grant.kms:
            key: dict[str, Any] = {"sid": label("key", target.name).replace("_", "").title(), "effect": "Allow",
                                   "actions": kms_actions(conn), "resources": [ctx.key_for(target).ref("arn")]}
            if conn.grant.kms_via_service is not None:
                key["condition"] = [{"test": "StringEquals", "variable": "kms:ViaService",
                                     "values": [f"{conn.grant.kms_via_service}.{REGION}.amazonaws.com"]}]
            out.append(key)
    return out


def _resources(ctx: Env, comp: Component, conn: Connection) -> list[str]:
    block = ctx.parts[conn.target]
    kind = decided.grant(conn).resource_kind
    if kind == "bucket":
        return [block.ref("arn"), f"{block.ref('arn')}/*"]
    return [block.ref("arn")]


# Used components whose connection secret holds credentials (the secret outputs password, url),
# and shared secrets (`secrets:`, the output value).
CREDENTIAL_KINDS = ("database", "cache", "secret")


def secret_arns(ctx: Env, comp: Component, kinds: tuple[str, ...] = CREDENTIAL_KINDS) -> list[str]:
    """Secrets a workload reads: its declared secrets and the connection secrets of the used
    components of `kinds` (ECS tasks and Lambda functions need only database/cache; Kubernetes
    ExternalSecrets read all). Databases are reached with the password in their connection
    secret, never with RDS IAM authentication (no database user for it is created)."""
    arns = [ctx.parts[f"secret.{comp.name}.{v}"].ref("arn") for v in resolved.secrets(comp)]
    for conn in ctx.env.graph.uses(comp.id):
        sec = ctx.parts.get(f"connection.{conn.target.split('.', 1)[1]}")
        if sec is not None and conn.target.split(".")[0] in kinds:
            arns.append(sec.ref("arn"))
    return arns


def workload_policy(ctx: Env, comp: Component, extra: Sequence[dict[str, Any]] = ()) -> Block | None:
    statements = grant_statements(ctx, comp) + list(extra)
    if not statements:
        return None
    return ctx.policy_document(f"{comp.kind}_{comp.name}_grants", statements)


def read_secrets_statements(ctx: Env, comp: Component,
                            kinds: tuple[str, ...] = CREDENTIAL_KINDS) -> list[dict[str, Any]]:
    arns = secret_arns(ctx, comp, kinds)
    if not arns:
        return []
    return [{"sid": "ReadOwnSecrets", "effect": "Allow", "actions": ["secretsmanager:GetSecretValue"], "resources": arns},
            {"sid": "DecryptSecrets", "effect": "Allow", "actions": ["kms:Decrypt"], "resources": [ctx.parts["kms.env"].ref("arn")]}]


def tracing_statements(comp: Component) -> list[dict[str, Any]]:
    """What a traced workload's role needs to send traces (the tracing pass's X-Ray actions, those
    of AWSXRayDaemonWriteAccess): X-Ray has no resource-level permissions for them, so `*`."""
    decision = decided.tracing(comp)
    if not decision.enabled or not decision.actions:
        return []
    return [{"sid": "SendTraces", "effect": "Allow", "actions": sorted(decision.actions), "resources": ["*"]}]
