"""Off-hours schedules (the levers pass's `Schedule`): compute stops outside the active window.

- ECS services: two Application Auto Scaling scheduled actions on each service's scalable
  target, capacity 0/0 at the stop and the sized min/max at the start.
- RDS instances: EventBridge Scheduler schedules with the universal targets
  `arn:aws:scheduler:::aws-sdk:rds:stopDBInstance` / `startDBInstance`.
- EKS node group: the universal target `aws-sdk:eks:updateNodegroupConfig`, scaling to 0 nodes
  at the stop and back to the sized minimum at the start.

One IAM role for Scheduler, allowed exactly those API calls on exactly those instances and that
node group, and to decrypt with the environment key the schedules are encrypted with.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import Env, json_text
from infracc.backends.terraform.model import Block, label
from infracc.compiler import decided
from infracc.compiler.decisions import Schedule
from infracc.compiler.ir import Component

RDS_TARGET = "arn:aws:scheduler:::aws-sdk:rds:{action}DBInstance"
EKS_TARGET = "arn:aws:scheduler:::aws-sdk:eks:updateNodegroupConfig"


def schedules(ctx: Env) -> None:
    sched = decided.levers(ctx.env).schedule
    if sched is None:
        return
    for name in sched.services:
        comp = ctx.env.graph.get(f"service.{name}")
        target = ctx.parts.get(f"scaling.service.{name}")
        if comp is not None and target is not None:
            _service(ctx, comp, target, sched)
    databases = [ctx.parts[f"database.{name}"] for name in sched.databases if f"database.{name}" in ctx.parts]
    nodes = ctx.parts.get("eks.nodes") if sched.nodes else None
    if not databases and nodes is None:
        return
    role = _role(ctx, databases, nodes)
    for comp_name, db in zip(sched.databases, databases, strict=True):
        for action, cron in (("stop", sched.stop_cron), ("start", sched.start_cron)):
            _schedule(ctx, label("offhours", comp_name, action), ctx.aws_name(comp_name, f"offhours-{action}"), cron, sched,
                      RDS_TARGET.format(action=action), role, {"DbInstanceIdentifier": db.ref("identifier")})
    if nodes is not None:
        ng = decided.nodes(ctx.env)
        for action, cron, low in (("stop", sched.stop_cron, 0), ("start", sched.start_cron, ng.min_size)):
            _schedule(ctx, label("offhours", "nodes", action), ctx.aws_name("nodes", f"offhours-{action}"), cron, sched,
                      EKS_TARGET, role, {"ClusterName": nodes.ref("cluster_name"), "NodegroupName": nodes.ref("node_group_name"),
                                         "ScalingConfig": {"MinSize": low, "DesiredSize": low, "MaxSize": ng.max_size}})


def _service(ctx: Env, comp: Component, target: Block, sched: Schedule) -> None:
    sz = decided.sizing(comp)
    n = label("service", comp.name)
    common = {"service_namespace": target.ref("service_namespace"), "resource_id": target.ref("resource_id"),
              "scalable_dimension": target.ref("scalable_dimension"), "timezone": sched.timezone}
    stop = ctx.doc.resource("aws_appautoscaling_scheduled_action", label(n, "offhours_stop"), {
        "name": f"{comp.name}-offhours-stop", "schedule": sched.stop_cron, **common,
        "scalable_target_action": {"min_capacity": "0", "max_capacity": "0"}})
    # Actions on one scalable target are created one after the other (concurrent updates fail).
    ctx.doc.resource("aws_appautoscaling_scheduled_action", label(n, "offhours_start"), {
        "name": f"{comp.name}-offhours-start", "schedule": sched.start_cron, **common,
        "scalable_target_action": {"min_capacity": str(sz.replicas_min), "max_capacity": str(sz.replicas_max)},
        "depends_on": [stop.address]})


def _role(ctx: Env, databases: list[Block], nodes: Block | None) -> Block:
    statements: list[dict[str, Any]] = []
    if databases:
        statements.append({"sid": "StopStartDatabases", "effect": "Allow",
                           "actions": ["rds:StartDBInstance", "rds:StopDBInstance"],
                           "resources": [db.ref("arn") for db in databases]})
    if nodes is not None:
        statements.append({"sid": "ScaleNodeGroup", "effect": "Allow", "actions": ["eks:UpdateNodegroupConfig"],
                           "resources": [nodes.ref("arn")]})
    statements.append({"sid": "ScheduleKey", "effect": "Allow", "actions": ["kms:Decrypt"],
                       "resources": [ctx.parts["kms.env"].ref("arn")]})
    policy = ctx.policy_document("offhours_scheduler", statements)
    return ctx.role("offhours_scheduler", "scheduler.amazonaws.com", policy)


def _schedule(ctx: Env, n: str, name: str, cron: str, sched: Schedule, arn: str, role: Block,
              payload: dict[str, Any]) -> None:
    ctx.doc.resource("aws_scheduler_schedule", n, {
        "name": name, "description": f"off-hours: compute runs {sched.active} {sched.timezone}",
        "schedule_expression": cron, "schedule_expression_timezone": sched.timezone,
        "flexible_time_window": {"mode": "OFF"}, "kms_key_arn": ctx.parts["kms.env"].ref("arn"),
        "target": {"arn": arn, "role_arn": role.ref("arn"), "input": json_text(payload),
                   "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600}}})
