"""ECS container definitions: hardened (IC-SEC-005), secrets from Secrets Manager (IC-SEC-007)."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import ACCOUNT, REGION, Env, literal
from infracc.compiler import decided, naming, resolved
from infracc.compiler.ir import Component, EnvVar, OutputRef
from infracc.compiler.passes.targets import mixed_secret

# Non-secret outputs → Terraform expressions, per kind.
ATTRIBUTE = {
    ("database", "host"): "address", ("database", "port"): "port", ("database", "name"): "db_name",
    ("database", "user"): "username", ("cache", "host"): "primary_endpoint_address",
    ("bucket", "bucket"): "bucket", ("bucket", "arn"): "arn", ("queue", "queue_url"): "url",
    ("queue", "queue_arn"): "arn", ("function", "arn"): "arn", ("function", "name"): "function_name",
    ("table", "name"): "name", ("table", "arn"): "arn",
}


def image(ctx: Env, comp: Component) -> str:
    r = resolved.workload(comp)
    if r.image is not None:
        return r.image
    repo = naming.image_repository(ctx.ir.name, comp.name)
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}:${{var.image_tag}}"


def value(ctx: Env, ref: OutputRef) -> str:
    target = ctx.env.graph.by_name()[ref.component]  # a dict: a scan per reference grew with the stack squared
    if target.kind == "service":
        port = resolved.service(target).port
        return {"url": f"http://{target.name}:{port}", "host": target.name, "port": str(port)}[ref.output]
    if target.kind == "external":  # the same text on every target (resolved.External.output)
        return literal(resolved.external(target).output(ref.output))
    if (target.kind, ref.output) == ("cache", "port"):
        return "6379"
    return ctx.parts[target.id].ref(ATTRIBUTE[(target.kind, ref.output)])


def secret_source(ctx: Env, comp: Component, var: EnvVar) -> str | None:
    """`valueFrom` of a secret variable: a declared secret, or one key of a connection secret."""
    if var.source == "secret":
        return ctx.parts[f"secret.{comp.name}.{var.name}"].ref("arn")
    refs = var.references
    if len(refs) == 1 and var.segments == [refs[0]]:
        store = ctx.parts.get(f"connection.{refs[0].component}")
        if store is not None:
            return f"{store.ref('arn')}:{refs[0].output}::"
    return None


def environment(ctx: Env, comp: Component) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    env, secrets = [], []
    for var in comp.env:
        if var.secret:
            source = secret_source(ctx, comp, var)
            if source is None:
                ctx.diagnostics.append(mixed_secret(comp, var))
                continue
            secrets.append({"name": var.name, "valueFrom": source})
        else:
            text = "".join(literal(s) if isinstance(s, str) else value(ctx, s) for s in var.segments)
            env.append({"name": var.name, "value": text})
    return env, secrets


def container(ctx: Env, comp: Component, log_group: str, command: list[str] | None, name: str | None = None) -> dict[str, Any]:
    sec = decided.security(comp)
    env, secrets = environment(ctx, comp)
    spec = resolved.workload(comp)
    out: dict[str, Any] = {
        "name": name or comp.name, "image": image(ctx, comp), "essential": True,
        "environment": env, "secrets": secrets,
        "readonlyRootFilesystem": sec.read_only_root_filesystem, "privileged": False,
        "user": f"{sec.run_as_user}:{sec.run_as_group}",
        "linuxParameters": {"capabilities": {"drop": list(sec.drop_capabilities)}, "initProcessEnabled": True},
        "mountPoints": [{"sourceVolume": _volume(p), "containerPath": p, "readOnly": False} for p in sec.writable_paths]
        + [{"sourceVolume": efs_volume(m.filesystem), "containerPath": m.path, "readOnly": m.read_only}
           for m in spec.mounts],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": REGION, "awslogs-stream-prefix": comp.name}},
    }
    if command:
        out["command"] = [literal(c) for c in command]
    if isinstance(spec, resolved.Service) and spec.port and name is None:
        out["portMappings"] = [{"containerPort": spec.port, "protocol": "tcp", "name": comp.name, "appProtocol": "http"
                                if spec.protocol == "http" else "grpc" if spec.protocol == "grpc" else None}]
        out["portMappings"][0] = {k: v for k, v in out["portMappings"][0].items() if v is not None}
    probe = spec.probe
    if probe.kind == "exec" and name is None:
        out["healthCheck"] = {"command": ["CMD", *(literal(c) for c in probe.command)], "interval": probe.interval_seconds,
                              "timeout": probe.timeout_seconds, "retries": probe.unhealthy_threshold,
                              "startPeriod": probe.grace_seconds}
    return out


def volumes(ctx: Env, comp: Component) -> list[dict[str, Any]]:
    """The task's scratch volumes, and an EFS volume per mount: TLS in transit, IAM authorization
    with the task role, through the workload's access point (IC-SEC-002, IC-SEC-003)."""
    out: list[dict[str, Any]] = [{"name": _volume(p)} for p in decided.security(comp).writable_paths]
    for m in resolved.workload(comp).mounts:
        point = ctx.parts[f"ap.{comp.id}.filesystem.{m.filesystem}"]
        out.append({"name": efs_volume(m.filesystem), "efs_volume_configuration": {
            "file_system_id": ctx.parts[f"filesystem.{m.filesystem}"].ref("id"), "transit_encryption": "ENABLED",
            "authorization_config": {"access_point_id": point.ref("id"), "iam": "ENABLED"}}})
    return out


def efs_volume(filesystem: str) -> str:
    return f"efs-{filesystem}"


def scratch_mounts(container: dict[str, Any]) -> list[dict[str, Any]]:
    """The container's empty writable volumes (not its EFS mounts)."""
    return [m for m in container["mountPoints"] if str(m["sourceVolume"]).startswith("scratch")]


def _volume(path: str) -> str:
    return "scratch" + path.replace("/", "-")
