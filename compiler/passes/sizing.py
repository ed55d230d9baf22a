"""Sizing pass: profile (small/medium/large) × component settings × overrides → `Sizing`.

Fills `component.sizing` for every component and `env.network` (AZs, subnets, NAT layout)
for every environment, and validates the result: Fargate cpu/memory pairs, engine versions
and instance-class families.
"""
from __future__ import annotations

import ipaddress
import math
from typing import Any, Literal

from infracc.compiler import library_data as lib
from infracc.compiler.decisions import EnvNetwork, NodeGroup, Sizing
from infracc.compiler.diagnostics import Diagnostic, did_you_mean, error
from infracc.compiler.ir import Component, EnvIR, StackIR
from infracc.schema.models import Replicas
from infracc.schema.types import memory_mib

REQUIRES = frozenset({"valid"})
PROVIDES = frozenset({"sizing", "network"})
# Instance classes on which RDS refuses Performance Insights, per engine: "Amazon RDS DB engine,
# Region, and instance class support for Database Insights" (the page that replaced "... for
# Performance Insights", USER_PerfInsights.Overview.Engines),
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Engines.html:
# RDS for MySQL (and MariaDB) is not supported on db.t2.micro, db.t2.small, db.t3.micro,
# db.t3.small, db.t4g.micro and db.t4g.small; RDS for PostgreSQL has no instance class restriction.
NO_PERFORMANCE_INSIGHTS: dict[str, frozenset[str]] = {
    "mysql": frozenset(f"db.{family}.{size}" for family in ("t2", "t3", "t4g") for size in ("micro", "small")),
}


def sizing(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        profile = lib.profiles()[env.settings.size]
        env.network = network_layout(env, profile)
        diags += nat_check(env)
        if ir.platform == "eks" and env.graph.components("service", "job"):
            env.nodes = node_group(profile)
        for comp in env.graph:
            comp.sizing, found = size_component(comp, env, profile)
            diags += found
        if env.nodes is not None:
            env.nodes = fit_nodes(env, env.nodes)
    return list(dict.fromkeys(diags))


def fit_nodes(env: EnvIR, nodes: NodeGroup, extra_cpu: float = 0.0, extra_mib: int = 0) -> NodeGroup:
    """Grow the node group so the pods' requests fit: `min_size` (the size the group starts at)
    holds every service at its minimum replicas plus one run of each job and migration,
    `max_size` every service at its maximum. Allocatable capacity per node is the instance's
    minus a system reservation (library/sizing.json `node_instances`). `extra_*`: pods the
    namespace runs besides the workloads (the tracing collector), in both bounds."""
    cpu, mib = lib.node_instance(nodes.instance_type)
    low_cpu = high_cpu = extra_cpu
    low_mem = high_mem = float(extra_mib)
    for comp in env.graph.components("service", "job"):
        sz = comp.sizing
        assert sz is not None and sz.cpu is not None and sz.memory_mib is not None
        low = high = 1
        if comp.kind == "service":
            assert sz.replicas_min is not None and sz.replicas_max is not None  # sized for every service
            low, high = sz.replicas_min, sz.replicas_max
        extra = 1 if comp.kind == "service" and getattr(comp.spec, "migrate", None) else 0
        low_cpu, low_mem = low_cpu + (low + extra) * sz.cpu, low_mem + (low + extra) * sz.memory_mib
        high_cpu, high_mem = high_cpu + (high + extra) * sz.cpu, high_mem + (high + extra) * sz.memory_mib
    need_min = max(math.ceil(low_cpu / cpu), math.ceil(low_mem / mib))
    need_max = max(math.ceil(high_cpu / cpu), math.ceil(high_mem / mib))
    lo = max(nodes.min_size, need_min)
    return nodes.model_copy(update={"min_size": lo, "max_size": max(nodes.max_size, need_max, lo)})


def network_layout(env: EnvIR, profile: lib.Profile) -> EnvNetwork:
    s = env.settings
    az = max(profile.az_count, 2)
    net = ipaddress.ip_network(s.cidr)
    blocks = list(net.subnets(new_prefix=net.prefixlen + 4))
    per_az = s.high_availability or profile.nat_gateways == "per_az"
    need = egress_need(env)
    endpoints: list[str] = []
    if s.nat_gateway is False and need is not None and not env.graph.components("service", "job"):
        count, strategy, endpoints = 0, "none", vpc_function_apis(env)
        egress = ("no NAT gateway (`nat_gateway: false`): the functions in the VPC reach "
                  + ", ".join(endpoints) + " through interface endpoints and S3 through the gateway endpoint; "
                  "they have no route to the internet")
    elif s.nat_gateway is False or (need is None and s.nat_gateway is None):
        count, strategy = 0, "none"
        egress = ("no NAT gateway: nothing in the VPC needs internet egress (databases and caches answer inside it; "
                  "functions outside the VPC and sites reach AWS directly); S3 traffic uses the gateway endpoint")
    else:
        count, strategy = (az, "per-az") if per_az else (1, "single")
        egress = (f"{strategy} NAT gateway(s): " + (need or "`nat_gateway: true` in the spec")
                  + "; S3 traffic uses the free gateway endpoint")
    return EnvNetwork(
        cidr=s.cidr, az_count=az, nat_gateways=count, nat_strategy=strategy, egress=egress,
        interface_endpoints=endpoints,
        public_subnets=[str(b) for b in blocks[0:az]],
        private_subnets=[str(b) for b in blocks[4:4 + az]],
        isolated_subnets=[str(b) for b in blocks[8:8 + az]],
        flow_log_retention_days=profile.log_retention_days,
        dynamodb_gateway_endpoint=bool(env.graph.components("table")),
    )


def egress_need(env: EnvIR) -> str | None:
    """What in the environment's VPC needs internet egress through NAT, or None.

    Services and jobs (ECS tasks, EKS nodes) pull images and call out from the private subnets;
    a function joins the VPC when it uses a database or cache (the Terraform backend's rule) and
    then reaches Secrets Manager and other AWS APIs through NAT. Databases and caches only answer.
    """
    workloads = [c.name for c in env.graph.components("service", "job")]
    if workloads:
        return f"services/jobs in the private subnets pull images and call out ({', '.join(workloads[:3])}{', ...' if len(workloads) > 3 else ''})"
    in_vpc = [c.name for c in env.graph.components("function")
              if any(conn.target.split(".")[0] in ("database", "cache") for conn in env.graph.uses(c.id))]
    if in_vpc:
        return f"functions in the VPC (they use a database or cache) reach AWS APIs through it ({', '.join(in_vpc)})"
    return None


# AWS APIs a function in the VPC calls, per what it uses: its connection secrets always (it uses a
# database or cache), SQS for a queue, Lambda for a function it invokes. S3 has the gateway
# endpoint; logs and X-Ray traces leave through the Lambda service, not the function's ENIs.
FUNCTION_APIS = {"queue": "sqs", "function": "lambda"}


def vpc_function_apis(env: EnvIR) -> list[str]:
    """Interface endpoints the environment's VPC functions need without NAT (sorted)."""
    apis = {"secretsmanager"}
    for comp in env.graph.components("function"):
        targets = [conn.target.split(".")[0] for conn in env.graph.uses(comp.id)]
        if any(t in ("database", "cache") for t in targets):
            apis |= {FUNCTION_APIS[t] for t in targets if t in FUNCTION_APIS}
    return sorted(apis)


def nat_check(env: EnvIR) -> list[Diagnostic]:
    need = egress_need(env)
    if env.settings.nat_gateway is False and env.graph.components("service", "job"):
        return [error("IC-COST-022", f"environment `{env.name}` refuses NAT gateways, but {need}",
                      (*env.settings.origin, "nat_gateway"),
                      "remove `nat_gateway: false`; infracc adds NAT gateways only where something needs egress")]
    return []


def node_group(p: lib.Profile) -> NodeGroup:
    family = p.node_instance.split(".")[0]
    return NodeGroup(instance_type=p.node_instance, min_size=p.node_count["min"], max_size=p.node_count["max"],
                     arch="arm64" if family.endswith("g") else "x86_64")


def default_version(engine: str) -> str:
    """A database's default major version: the engines.json default while it is in RDS standard
    support, else the newest supported version that still is (so no default pays Extended Support)."""
    info = lib.engine_info("databases", engine)
    if not lib.past_standard_support(engine, info["default"]):
        return str(info["default"])
    current = [v for v in info["supported"] if not lib.past_standard_support(engine, v)]
    return max(current, key=lambda v: tuple(int(x) for x in v.split("."))) if current else str(info["default"])


def lifecycle_support(engine: str, version: str) -> Literal["open-source-rds-extended-support",
                                                            "open-source-rds-extended-support-disabled"]:
    """RDS `engine_lifecycle_support`: a version in standard support opts out of Extended Support,
    so RDS never starts billing it unnoticed (at the end of standard support RDS upgrades the
    major version instead: plan the upgrade before); a version already past it must opt in, and
    the cost pass warns with its price (IC-COST-030)."""
    if lib.past_standard_support(engine, version):
        return "open-source-rds-extended-support"
    return "open-source-rds-extended-support-disabled"


def size_component(comp: Component, env: EnvIR, p: lib.Profile) -> tuple[Sizing, list[Diagnostic]]:
    spec, ha = comp.spec, env.settings.high_availability
    base = {"profile": env.settings.size}
    if comp.kind in ("service", "job"):
        return _workload(comp, env, p)
    if comp.kind == "database":
        diags = _engine_check(comp, "databases", spec.instance, "instance_families")
        version = spec.version or default_version(spec.engine)
        instance = spec.instance or p.database_class
        return Sizing(**base, instance_class=instance, engine_version=version,
                      engine_lifecycle_support=lifecycle_support(spec.engine, version),
                      storage_gb=spec.storage_gb or p.database_storage_gb, multi_az=ha,
                      performance_insights=performance_insights(spec.engine, instance)), diags
    if comp.kind == "cache":
        diags = _engine_check(comp, "caches", spec.node, "node_families")
        version = spec.version or lib.engine_info("caches", spec.engine)["default"]
        return Sizing(**base, node_type=spec.node or p.cache_node, num_nodes=2 if ha else 1, multi_az=ha,
                      engine_version=version), diags
    if comp.kind == "function":
        return Sizing(**base, lambda_memory_mb=spec.memory), []
    if comp.kind == "table":
        return table_sizing(spec.capacity, spec.read_units, spec.write_units, env.settings.size), []
    if comp.kind == "filesystem":
        return Sizing(**base, infrequent_access_after_days=infrequent_access(
            spec.infrequent_access_after_days, env.settings.size)), []
    return Sizing(**base), []


# EFS Infrequent Access in large (production-size) environments: after 30 days without access,
# EFS's own default lifecycle for new file systems ("Managing storage lifecycle", Amazon EFS User
# Guide). Smaller environments hold little and short-lived data, where the per-GB read charge of
# IA buys nothing.
IA_DAYS_LARGE = 30


def infrequent_access(days: int | None, size: str) -> int | None:
    """Days before files move to Infrequent Access: as written (`0` never), else 30 when large.

    >>> infrequent_access(None, "large"), infrequent_access(None, "small"), infrequent_access(0, "large")
    (30, None, None)
    >>> infrequent_access(7, "small")
    7
    """
    if days is not None:
        return days or None
    return IA_DAYS_LARGE if size == "large" else None


# Provisioned tables: capacity units per environment size when the spec names none, and how far
# target-tracking auto scaling may raise them (the units are its minimum).
TABLE_UNITS = {"small": 5, "medium": 25, "large": 100}
TABLE_MAX_FACTOR = 4


def table_sizing(capacity: str | None, read_units: int | None, write_units: int | None, size: str) -> Sizing:
    """A table is on-demand unless the spec asks for provisioned capacity: on-demand has no
    capacity to plan and costs nothing idle, which suits every environment until its traffic is
    known and steady (then provisioned units are cheaper, and the spec says so).

    >>> table_sizing(None, None, None, "large").capacity_mode
    'on-demand'
    >>> s = table_sizing("provisioned", 10, None, "medium"); (s.read_units, s.write_units, s.max_units_factor)
    (10, 25, 4)
    """
    if capacity != "provisioned":
        return Sizing(profile=size, capacity_mode="on-demand")
    units = TABLE_UNITS[size]
    return Sizing(profile=size, capacity_mode="provisioned", read_units=read_units or units,
                  write_units=write_units or units, max_units_factor=TABLE_MAX_FACTOR)


def performance_insights(engine: str, instance_class: str) -> bool:
    """Whether RDS accepts Performance Insights for this engine on this instance class.

    >>> performance_insights("mysql", "db.t4g.micro"), performance_insights("postgres", "db.t4g.micro")
    (False, True)
    """
    return instance_class not in NO_PERFORMANCE_INSIGHTS.get(engine, frozenset())


def _workload(comp: Component, env: EnvIR, p: lib.Profile) -> tuple[Sizing, list[Diagnostic]]:
    spec = comp.spec
    cpu, memory, diag = fargate_pair(spec.cpu, memory_mib(spec.memory) if spec.memory else None, p)
    diags = [error("IC-SIZE-001", f"`{comp.name}` in `{env.name}`: {diag}", comp.where("memory" if spec.memory else "cpu"),
                   "set both `cpu` and `memory` to a valid Fargate pair")] if diag else []
    fields = {"profile": env.settings.size, "cpu": cpu, "memory_mib": memory}
    if comp.kind == "service":
        lo, hi, target = _replicas(spec.replicas, p)
        if spec.singleton:  # pinned: one copy everywhere (a conflicting `replicas` is IC-SVC-007)
            lo = hi = 1
        elif env.settings.high_availability and spec.port is not None:
            lo = max(lo, 2)
            hi = max(hi, lo)
        fields.update(replicas_min=lo, replicas_max=hi, cpu_target=target,
                      singleton=singleton(spec.port, lo, hi) if spec.singleton is None else spec.singleton)
        if spec.stateful:
            fields["volume_gb"] = spec.volume_gb or 10
    if comp.kind == "job":  # runs do not overlap unless the spec allows it (Kubernetes can forbid it)
        fields["singleton"] = spec.singleton is not False
    return Sizing(**fields), diags


def singleton(port: int | None, replicas_min: int, replicas_max: int) -> bool:
    """A service that must never run twice: exactly one replica and no port.

    A rolling deploy starts the new copy before it stops the old one (ECS maximum 200%, a
    Kubernetes surge), so for a while two copies run: harmless for a server, wrong for a
    scheduler (Celery beat, cron-like workers) or a consumer that must be alone, which would then
    fire or take work twice. Those run one replica and listen on no port; they are replaced
    stop-then-start (ECS 0%/100%, Kubernetes `Recreate`), at the cost of a short pause in
    background work. A service *with* a port at one replica keeps the surge: stop-then-start
    would drop its traffic (the load balancer or its clients would have no target) on every
    deploy, and a server is not a singleton because it runs one replica (the small profile).

    This is the inference for a service whose spec says nothing; `singleton: true` forces one
    (one replica everywhere, also with a port: its clients then see a short gap on each deploy)
    and `singleton: false` opts out (the caller decides which applies).

    >>> singleton(None, 1, 1), singleton(8080, 1, 1), singleton(None, 1, 2)
    (True, False, False)
    """
    return port is None and replicas_min == replicas_max == 1


def _replicas(value: int | Replicas | None, p: lib.Profile) -> tuple[int, int, int]:
    if value is None:
        return p.replicas["min"], p.replicas["max"], p.cpu_target
    if isinstance(value, int):
        return value, value, p.cpu_target
    return value.min, value.max, value.cpu_target


def fargate_pair(cpu: float | None, memory: int | None, p: lib.Profile) -> tuple[float, int, str | None]:
    """Complete a partial cpu/memory request into a valid Fargate pair.

    >>> fargate_pair(2, None, lib.profiles()["small"])
    (2, 4096, None)
    """
    wanted = memory_mib(p.memory)
    if memory is None:
        if cpu is None:
            return p.cpu, wanted, None
        valid = lib.fargate_memory(cpu)
        return cpu, next((m for m in valid if m >= wanted), valid[-1]), None
    if cpu is None:
        for step in lib.fargate_cpu_steps():
            if step >= p.cpu and memory in lib.fargate_memory(step):
                return step, memory, None
        return p.cpu, memory, f"no Fargate cpu step accepts memory {memory} MiB"
    if memory not in lib.fargate_memory(cpu):
        return cpu, memory, f"memory {memory} MiB is not valid with cpu {cpu:g} on Fargate"
    return cpu, memory, None


def _engine_check(comp: Component, section: str, explicit: str | None, families_key: str) -> list[Diagnostic]:
    spec = comp.spec
    info = lib.engine_info(section, spec.engine)
    diags = []
    if spec.version is not None and spec.version not in info["supported"]:
        diags.append(error("IC-SIZE-003", f"{spec.engine} version {spec.version} is not supported",
                           comp.where("version"),
                           did_you_mean(spec.version, info["supported"]) or f"supported: {', '.join(info['supported'])}"))
    if explicit is not None:
        family = explicit.rsplit(".", 1)[0]
        allowed = info[families_key]
        if family not in allowed:
            field = "instance" if section == "databases" else "node"
            diags.append(error("IC-SIZE-004", f"`{explicit}` is not an allowed class for {spec.engine}",
                               comp.where(field), f"families: {', '.join(allowed)}"))
    return diags
