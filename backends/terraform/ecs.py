"""platform: ecs — cluster, task definitions, services, autoscaling, scheduled jobs, migrations."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import containers, edge, iam
from infracc.backends.terraform.context import REGION, Env, json_text
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.backends.tracing import collector_config_text
from infracc.compiler import decided, naming, resolved
from infracc.compiler import library_data as lib
from infracc.compiler.cron import to_eventbridge
from infracc.compiler.decisions import Tracing
from infracc.compiler.ir import Component


def cluster(ctx: Env) -> None:
    logs = ctx.log_group("ecs_exec", f"/ecs/{ctx.aws_name()}/exec", max(
        (decided.retention(c).log_retention_days for c in ctx.env.graph.components("service", "job")), default=365))
    c = ctx.doc.resource("aws_ecs_cluster", "cluster", {
        "name": ctx.aws_name(), "setting": [{"name": "containerInsights", "value": "enabled"}],
        "configuration": {"execute_command_configuration": {
            "kms_key_id": ctx.parts["kms.env"].ref("arn"), "logging": "OVERRIDE",
            "log_configuration": {"cloud_watch_encryption_enabled": True, "cloud_watch_log_group_name": logs.ref("name")}}}})
    ctx.parts["cluster"] = c
    ctx.doc.resource("aws_ecs_cluster_capacity_providers", "cluster_capacity", {
        "cluster_name": c.ref("name"), "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
        "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]})
    ctx.parts["namespace"] = ctx.doc.resource("aws_service_discovery_http_namespace", "namespace", {
        "name": naming.namespace(ctx.ir.name, ctx.name), "description": "ECS Service Connect names of the workloads"})
    for comp in ctx.env.graph.components("service", "job"):
        workload(ctx, comp)


def workload(ctx: Env, comp: Component) -> None:
    n = label(comp.kind, comp.name)
    logs = ctx.log_group(n, f"/ecs/{ctx.aws_name()}/{comp.name}", decided.retention(comp).log_retention_days)
    ctx.parts[f"logs.{comp.id}"] = logs  # externals' metric filters read it (ops.external_alarm)
    policy = iam.workload_policy(ctx, comp, iam.tracing_statements(comp))
    task_role = ctx.role(f"{n}_task", "ecs-tasks.amazonaws.com", policy)
    ctx.parts[f"role.task.{comp.id}"] = task_role  # a file system policy names it (filesystems.py)
    secrets = iam.read_secrets_statements(ctx, comp)
    exec_policy = ctx.policy_document(f"{n}_execution", secrets) if secrets else None
    exec_role = ctx.role(f"{n}_execution", "ecs-tasks.amazonaws.com", exec_policy,
                         managed=("service-role/AmazonECSTaskExecutionRolePolicy",))
    roles = (task_role, exec_role)
    r = resolved.workload(comp)
    if decided.tracing(comp).collector == "sidecar":  # the collector's own log group
        ctx.parts[f"logs.otel.{comp.id}"] = ctx.log_group(
            label(n, "otel"), f"/ecs/{ctx.aws_name()}/{comp.name}/{naming.OTEL_COLLECTOR}",
            decided.retention(comp).log_retention_days)
    td = task_definition(ctx, comp, n, logs, roles, list(r.command) or None, None)
    ctx.parts[f"td.{comp.id}"] = td
    if isinstance(r, resolved.Service) and r.migrate:
        ctx.parts[f"td.migrate.{comp.id}"] = task_definition(ctx, comp, f"{n}_migrate", logs, roles, list(r.migrate), "migrate")
    if isinstance(r, resolved.Service):
        service(ctx, comp, td)
    elif r.schedule:
        schedule(ctx, comp, td, roles)


# Fargate bind-mount volumes start empty, owned by root with mode 0755 (AWS, "Use bind mounts
# with Amazon ECS", considerations; aws/containers-roadmap#938), so a workload running as its
# non-root user could not write the writable directories the security pass gave it. A short
# non-essential container opens them first: UID 0 only because root owns them (chmod by the owner
# needs no capability, and every one is dropped), read-only root, the same mounts; the workload
# starts once it has exited 0. The image is Docker's official busybox on ECR Public, pinned.
VOLUME_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.36.1"
VOLUME_INIT_MODE = "1777"  # what /tmp has on a Linux system: everyone writes, only owners delete


def volume_init(main: dict[str, Any]) -> dict[str, Any]:
    """The container that makes the task's writable volumes writable for the workload's user (its
    scratch volumes only: EFS mounts belong to the access point's user already)."""
    return {"name": f"{main['name']}-volumes", "image": VOLUME_INIT_IMAGE, "essential": False, "user": "0:0",
            "command": ["chmod", VOLUME_INIT_MODE, *(m["containerPath"] for m in containers.scratch_mounts(main))],
            "environment": [], "secrets": [], "readonlyRootFilesystem": True, "privileged": False,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": False},
            "mountPoints": containers.scratch_mounts(main), "logConfiguration": main["logConfiguration"]}


def otel_collector(tracing: Tracing, log_group: str) -> dict[str, Any]:
    """The ADOT collector sidecar (library/tracing.json): not essential (a collector failure never
    stops the workload; spans are dropped instead), its own log group, hardened like the workload
    (read-only root, no capabilities, UID 10001), the CPU weight and memory cap
    the tracing pass reserved, its configuration in AOT_CONFIG_CONTENT (backends/tracing.py)."""
    data = lib.tracing()
    return {"name": naming.OTEL_COLLECTOR, "image": data.image, "essential": False,
            "cpu": tracing.collector_cpu_units, "memory": tracing.collector_memory_mib,
            "user": f"{resolved.RUN_AS_UID}:{resolved.RUN_AS_UID}",
            "environment": [{"name": "AOT_CONFIG_CONTENT", "value": collector_config_text(sidecar=True)}],
            "secrets": [], "readonlyRootFilesystem": True, "privileged": False,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
            "mountPoints": [],
            "healthCheck": {"command": ["CMD", *data.health_command], "interval": 30, "timeout": 5, "retries": 3,
                            "startPeriod": 10},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": REGION, "awslogs-stream-prefix": naming.OTEL_COLLECTOR}}}


def task_definition(ctx: Env, comp: Component, n: str, logs: Block, roles: tuple[Block, Block],
                    command: list[str] | None, suffix: str | None) -> Block:
    cpu, memory = _compute(comp)
    arch = decided.optimization(comp).arch
    spec = containers.container(ctx, comp, logs.ref("name"), command, name=suffix and f"{comp.name}-{suffix}")
    defs = [spec]
    if containers.scratch_mounts(spec):  # listed after the workload: readers take the first container as the workload
        init = volume_init(spec)
        spec["dependsOn"] = [{"containerName": init["name"], "condition": "SUCCESS"}]
        defs.append(init)
    collector_logs = ctx.parts.get(f"logs.otel.{comp.id}")
    if collector_logs is not None and suffix is None:
        sidecar = otel_collector(decided.tracing(comp), collector_logs.ref("name"))
        spec["dependsOn"] = [*spec.get("dependsOn", []), {"containerName": sidecar["name"], "condition": "START"}]
        defs.append(sidecar)
    elif collector_logs is not None:  # the migration task has no collector: its SDK stays off
        spec["environment"] = sorted([*spec["environment"], {"name": "OTEL_SDK_DISABLED", "value": "true"}],
                                     key=lambda e: e["name"])
    return ctx.doc.resource("aws_ecs_task_definition", label(n, "task"), {
        "family": ctx.aws_name(comp.name, suffix or ""), "requires_compatibilities": ["FARGATE"], "network_mode": "awsvpc",
        "cpu": str(int(cpu * 1024)), "memory": str(memory),
        "runtime_platform": {"operating_system_family": "LINUX", "cpu_architecture": "ARM64" if arch == "arm64" else "X86_64"},
        "task_role_arn": roles[0].ref("arn"), "execution_role_arn": roles[1].ref("arn"),
        "volume": containers.volumes(ctx, comp), "container_definitions": json_text(defs)})


def _compute(comp: Component) -> tuple[float, int]:
    """vCPU and MiB of a workload (the sizing pass sets both for every service and job)."""
    sz = decided.sizing(comp)
    assert sz.cpu is not None and sz.memory_mib is not None, comp.id
    return sz.cpu, sz.memory_mib


def _scaling(comp: Component) -> tuple[int, int, int]:
    """Replicas min/max and the CPU target of a service (the sizing pass sets them)."""
    sz = decided.sizing(comp)
    assert sz.replicas_min is not None and sz.replicas_max is not None and sz.cpu_target is not None, comp.id
    return sz.replicas_min, sz.replicas_max, sz.cpu_target


def _strategy(comp: Component) -> list[dict[str, Any]]:
    if decided.optimization(comp).capacity == "spot":
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    return [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]


def service(ctx: Env, comp: Component, td: Block) -> None:
    spec, n = resolved.service(comp), label("service", comp.name)
    attrs: dict[str, Any] = {
        "name": ctx.aws_name(comp.name), "cluster": ctx.parts["cluster"].ref("id"), "task_definition": td.ref("arn"),
        "desired_count": _scaling(comp)[0], "platform_version": "LATEST", "capacity_provider_strategy": _strategy(comp),
        "network_configuration": {"subnets": subnet_ids(ctx, "private"), "assign_public_ip": False,
                                  "security_groups": [ctx.parts[f"sg.{comp.id}"].ref("id")]},
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_controller": {"type": "ECS"}, **_deployment_percents(comp),
        "propagate_tags": "SERVICE", "enable_ecs_managed_tags": True,
        "service_connect_configuration": _service_connect(ctx, comp),
        "lifecycle": {"ignore_changes": ["desired_count"]},
    }
    tg = ctx.parts.get(f"tg.{comp.id}")
    if tg is not None:
        attrs["load_balancer"] = [{"target_group_arn": tg.ref("arn"), "container_name": comp.name, "container_port": spec.port}]
        if edge.traffic_shifting(ctx, comp):
            _traffic_shifting(ctx, comp, attrs)
        attrs["health_check_grace_period_seconds"] = 60
        listener = ctx.parts.get(f"listener.{comp.id}") or ctx.parts["listener.https"]  # the NLB's, or the ALB's
        attrs["depends_on"] = [listener.address]
    svc = ctx.doc.resource("aws_ecs_service", n, attrs)
    ctx.parts[comp.id] = svc
    _autoscaling(ctx, comp, svc)


def _deployment_percents(comp: Component) -> dict[str, int]:
    """Surge-then-drain (100%/200%: the new task is healthy before the old one stops), or for a
    singleton (the sizing pass's decision) stop-then-start (0%/100%): never two copies at once."""
    assert comp.sizing is not None
    if comp.sizing.singleton:
        return {"deployment_minimum_healthy_percent": 0, "deployment_maximum_percent": 100}
    return {"deployment_minimum_healthy_percent": 100, "deployment_maximum_percent": 200}


def _traffic_shifting(ctx: Env, comp: Component, attrs: dict[str, Any]) -> None:
    """ECS native blue/green or canary: ECS shifts the listener rule between two target groups,
    bakes, and rolls back on alarms or the circuit breaker."""
    role = ctx.role(label("service", comp.name, "deploy"), "ecs.amazonaws.com",
                    managed=("AmazonECSInfrastructureRolePolicyForLoadBalancers",))
    attrs["load_balancer"][0]["advanced_configuration"] = {
        "alternate_target_group_arn": ctx.parts[f"tg.alt.{comp.id}"].ref("arn"),
        "production_listener_rule": ctx.parts[f"rule.{comp.id}"].ref("arn"), "role_arn": role.ref("arn")}
    rollout = resolved.service(comp).rollout
    bake = str(rollout.bake_minutes)
    config: dict[str, Any] = {"strategy": "BLUE_GREEN", "bake_time_in_minutes": bake}
    if rollout.strategy == "canary":
        config = {"strategy": "CANARY", "bake_time_in_minutes": bake, "canary_configuration": {
            "canary_percent": rollout.steps[0], "canary_bake_time_in_minutes": bake}}
    attrs["deployment_configuration"] = config


def _service_connect(ctx: Env, comp: Component) -> dict[str, Any]:
    out = {"enabled": True, "namespace": ctx.parts["namespace"].ref("arn")}
    port = resolved.service(comp).port if comp.kind == "service" else None
    if port:
        out["service"] = [{"port_name": comp.name, "discovery_name": comp.name,
                           "client_alias": {"port": port, "dns_name": comp.name}}]
    return out


def _autoscaling(ctx: Env, comp: Component, svc: Block) -> None:
    (low, high, cpu_target), n = _scaling(comp), label("service", comp.name)
    target = ctx.doc.resource("aws_appautoscaling_target", label(n, "scaling"), {
        "service_namespace": "ecs", "scalable_dimension": "ecs:service:DesiredCount",
        "resource_id": f"service/{ctx.aws_name()}/{ctx.aws_name(comp.name)}", "min_capacity": low,
        "max_capacity": high, "depends_on": [svc.address],
        # An off-hours schedule moves min/max twice a day (backends/terraform/schedules.py).
        **({"lifecycle": {"ignore_changes": ["min_capacity", "max_capacity"]}} if _scheduled(ctx, comp) else {})})
    ctx.parts[f"scaling.{comp.id}"] = target
    if decided.sizing(comp).singleton:  # pinned at one copy: the target stays for the off-hours schedule only
        return
    ctx.doc.resource("aws_appautoscaling_policy", label(n, "cpu"), {
        "name": f"{comp.name}-cpu", "policy_type": "TargetTrackingScaling",
        "service_namespace": target.ref("service_namespace"), "resource_id": target.ref("resource_id"),
        "scalable_dimension": target.ref("scalable_dimension"),
        "target_tracking_scaling_policy_configuration": {
            "target_value": cpu_target, "scale_in_cooldown": 300, "scale_out_cooldown": 60,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}})


def _scheduled(ctx: Env, comp: Component) -> bool:
    levers = ctx.env.levers
    return levers is not None and levers.schedule is not None and comp.name in levers.schedule.services


def schedule_of(job: resolved.Job) -> str:
    assert job.schedule is not None, job.name  # only scheduled jobs get an EventBridge schedule
    return job.schedule


def schedule(ctx: Env, comp: Component, td: Block, roles: tuple[Block, Block]) -> None:
    """EventBridge Scheduler → ECS RunTask, with the job's retries."""
    n, job = label("job", comp.name), resolved.job(comp)
    policy = ctx.policy_document(f"{n}_scheduler", [
        {"sid": "RunTask", "effect": "Allow", "actions": ["ecs:RunTask"], "resources": [f"{td.ref('arn_without_revision')}:*"],
         "condition": [{"test": "ArnEquals", "variable": "ecs:cluster", "values": [ctx.parts["cluster"].ref("arn")]}]},
        {"sid": "PassTaskRoles", "effect": "Allow", "actions": ["iam:PassRole"], "resources": [r.ref("arn") for r in roles]}])
    role = ctx.role(f"{n}_scheduler", "scheduler.amazonaws.com", policy)
    ctx.doc.resource("aws_scheduler_schedule", n, {
        "name": ctx.aws_name(comp.name), "schedule_expression": to_eventbridge(schedule_of(job)),
        "schedule_expression_timezone": "UTC", "flexible_time_window": {"mode": "OFF"},
        "kms_key_arn": ctx.parts["kms.env"].ref("arn"),
        "target": {"arn": ctx.parts["cluster"].ref("arn"), "role_arn": role.ref("arn"),
                   "retry_policy": {"maximum_retry_attempts": job.retries,
                                    "maximum_event_age_in_seconds": min(86400, max(60, job.timeout_seconds))},
                   "ecs_parameters": {"task_definition_arn": td.ref("arn"), "task_count": 1, "platform_version": "LATEST",
                                      "capacity_provider_strategy": _strategy(comp),
                                      "network_configuration": {"subnets": subnet_ids(ctx, "private"), "assign_public_ip": False,
                                                                "security_groups": [ctx.parts[f"sg.{comp.id}"].ref("id")]}}}})
