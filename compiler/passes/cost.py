"""Cost pass: optimization decisions, a monthly estimate and the naive baseline.

Decisions (`component.optimization`): Graviton/arm64 where infracc builds the image,
Fargate Spot for interruptible work in `spot` environments, gp3, lifecycle. The estimate
prices each component's line items from `library/prices.json` (730 h/month); the baseline
prices the same spec naively (x86, on-demand, NAT per AZ, gp2). Usage-priced items without
`usage` are listed with their unit price and left out of the total; a missing price is a
warning, never a zero.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from infracc.compiler import decided, naming, resolved
from infracc.compiler import library_data as lib
from infracc.compiler.decisions import ComponentCost, EnvCost, LeverSaving, LineItem, Optimization
from infracc.compiler.diagnostics import Diagnostic, warning
from infracc.compiler.ir import Component, EnvIR, StackIR
from infracc.schema.models import Usage

Arch = Literal["arm64", "x86_64"]

REQUIRES = frozenset({"sizing", "tracing", "security", "aws_config", "endpoints", "levers"})
PROVIDES = frozenset({"cost"})

GRAVITON_LANGUAGES = ("python", "node", "go", "java", "static")
# The levers, in the order their savings are attributed: each lever's saving is the estimate with
# the levers before it on, minus the estimate with it on too (so the savings add up to the total).
# The naive baseline has none of them: x86, gp2, Redis OSS, NAT per AZ, always on, on-demand.
LEVERS = ("graviton", "gp3", "valkey", "nat", "off-hours", "commitments")
LEVER_TEXT = {
    "other": "decisions outside the levers",
    "graviton": "arm64 (Graviton) Fargate tasks, Lambda functions, RDS classes and EKS nodes instead of x86 (IC-COST-001)",
    "gp3": "gp3 instead of gp2 database storage and StatefulSet volumes (IC-COST-002)",
    "valkey": "Valkey instead of Redis OSS for caches whose spec does not insist on Redis (IC-COST-007)",
    "nat": "NAT gateways only where needed: one outside high-availability environments, none where nothing needs egress (IC-COST-004)",
    "off-hours": "off-hours schedule: services, databases and nodes stopped outside the active window (IC-COST-008)",
    "commitments": "1-year No Upfront reservations: RDS instances (`commitments.databases`), ElastiCache nodes "
                   "(`commitments.caches`) and EKS nodes (`commitments.nodes`) (IC-COST-009)",
}
X86_EQUIVALENT = {"t4g": "t3", "m7g": "m6i", "c7g": "m6i", "r7g": "r7g"}


# (component id or "env", naive) → the pricings made so far: the levers each consulted (with
# their answers), its line items and the prices it found missing.
Memo = dict[tuple[str, bool], list[tuple[tuple[tuple[str, bool], ...], list[LineItem], list[str]]]]


@dataclass
class Estimator:
    """Prices line items for one environment, remembering which prices are missing.

    With a `memo` shared by the estimators of one environment, a component priced once is not
    priced again under another set of levers when the levers its pricing consulted (`on`) have
    the same answers: the lever attribution prices each environment seven times, and most
    components consult one lever or none."""

    env: EnvIR
    hours: int = field(default_factory=lib.hours_per_month)
    missing: list[str] = field(default_factory=list)
    levers: frozenset[str] = frozenset(LEVERS)
    memo: Memo | None = None
    consulted: dict[str, bool] = field(default_factory=dict)

    def on(self, lever: str) -> bool:
        self.consulted[lever] = lever in self.levers
        return lever in self.levers

    def memoized(self, key: str, naive: bool, price: Callable[..., list[LineItem]], *args: Any) -> list[LineItem]:
        """`price(*args)`, or the items of an earlier pricing of `key` whose levers answer alike."""
        if self.memo is None:
            return price(*args)
        entries = self.memo.setdefault((key, naive), [])
        for answers, items, missing in entries:
            if all((lever in self.levers) == answer for lever, answer in answers):
                self.missing += missing
                return items
        outer, self.consulted = self.consulted, {}
        start = len(self.missing)
        items = price(*args)
        entries.append((tuple(self.consulted.items()), items, self.missing[start:]))
        self.consulted = outer | self.consulted
        return items

    def active_hours(self, kind: str, name: str = "") -> float:
        """Hours a month the thing runs: the schedule's active hours when the off-hours lever is on."""
        sched = self.env.levers.schedule if self.env.levers is not None and self.on("off-hours") else None
        if sched is None:
            return self.hours
        running = {"service": name in sched.services, "database": name in sched.databases, "nodes": sched.nodes}
        return sched.active_hours_per_month if running.get(kind, False) else self.hours

    def priced(self, component: str, label: str, row: lib.Price | None, quantity: float | None, what: str,
               assumption: str | None = None) -> LineItem:
        """A line from a row found elsewhere than prices.json (library/levers.json); None → missing."""
        if row is None:
            self.missing.append(f"{what} in {self.region}")
            return LineItem(component=component, item=label, unit="?", unit_price=None, quantity=quantity,
                            monthly=None, assumption="price not available; not in the total")
        monthly = None if quantity is None else round(row.usd * quantity, 4)
        return LineItem(component=component, item=label, unit=row.unit, unit_price=row.usd, quantity=quantity,
                        monthly=monthly, source=f"{row.source} [{row.key}]", assumption=assumption)

    @property
    def region(self) -> str:
        return self.env.settings.region

    def item(self, component: str, label: str, service: str, item: str, quantity: float | None,
             region: str | None = None, assumption: str | None = None, **attrs: str) -> LineItem:
        row = lib.price(service, item, region or self.region, **attrs)
        if row is None:
            what = f"{service} {item}" + (f" ({', '.join(f'{k}={v}' for k, v in sorted(attrs.items()))})" if attrs else "")
            self.missing.append(f"{what} in {region or self.region}")
            return LineItem(component=component, item=label, unit="?", unit_price=None, quantity=quantity,
                            monthly=None, assumption=assumption or "price not available; not in the total")
        monthly = None if quantity is None else round(row.usd * quantity, 4)
        return LineItem(component=component, item=label, unit=row.unit, unit_price=row.usd, quantity=quantity,
                        monthly=monthly, source=f"{row.source} [{row.key}]", assumption=assumption)


def upper_bound(what: str) -> str:
    """The one wording for a discount the price table has no rate for (Fargate Spot, EC2 Spot,
    Savings Plans): the line is priced at the on-demand rate, which bounds it from above."""
    return f"{what} has no rate in the price table: priced at on-demand, an upper bound"


def cost(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        if env.nodes is not None and env.settings.spot:
            env.nodes = env.nodes.model_copy(update={"capacity": "spot"})  # IC-COST-003
        memo: Memo = {}
        est, base = Estimator(env, memo=memo), Estimator(env, levers=frozenset(), memo=memo)
        items: list[LineItem] = []
        baseline: list[LineItem] = []
        for comp in env.graph:
            comp.optimization = optimize(ir, env, comp)
            mine = component_items(ir, env, comp, est, naive=False)
            theirs = component_items(ir, env, comp, base, naive=True)
            comp.cost = ComponentCost(items=mine, monthly=_total(mine), baseline_monthly=_total(theirs))
            items += mine
            baseline += theirs
        items += est.memoized("env", False, env_items, ir, env, est, False)
        baseline += base.memoized("env", True, env_items, ir, env, base, True)
        total, naive = _total(items), _total(baseline)
        missing = sorted(set(est.missing + base.missing))
        env.cost = EnvCost(monthly=total, baseline_monthly=naive,
                           savings_percent=round(100 * (naive - total) / naive, 1) if naive else 0.0,
                           items=items, missing_prices=missing, levers=lever_savings(ir, env, naive, memo),
                           recommendations=list(env.levers.recommendations) if env.levers else [])
        for what in missing:
            diags.append(warning("IC-COST-006", f"no price for {what} (environment `{env.name}`); left out of the estimate",
                                 env.settings.origin, "treat the estimate as a lower bound"))
    diags += lifecycle_warnings(ir)
    for env in ir.envs.values():
        env.cost = decided_cost(env).model_copy(update={"budget_usd": budget_limit(env)})
    return diags


def decided_cost(env: EnvIR) -> EnvCost:
    assert env.cost is not None, env.name
    return env.cost


def budget_limit(env: EnvIR) -> int | None:
    """The environment's monthly AWS Budgets limit (IC-COST-031): `budget.monthly_usd`, else its
    estimate rounded up to the next 10 USD (at least 10); None with `budget: false`."""
    written = env.settings.budget
    if written is False:
        return None
    if written is not None and written is not True:
        return written.monthly_usd
    return max(10, math.ceil(decided_cost(env).monthly / 10) * 10)


def extended_support_text(engine: str, version: str, ended: str, vcpus: int, monthly: float | None) -> str:
    price = (f"adds ${monthly:,.2f}/month ({vcpus} vCPUs × {lib.hours_per_month()} h at the year 1-2 rate)"
             if monthly is not None else
             f"is billed per vCPU-hour on {vcpus} vCPUs, at a rate the price table does not have")
    return f"{engine} {version} left RDS standard support on {ended}: RDS Extended Support {price}"


def lifecycle_warnings(ir: StackIR) -> list[Diagnostic]:
    """IC-COST-030: a pinned database version past its end of standard support, once per
    database and environment, with the Extended Support line of the estimate."""
    out: list[Diagnostic] = []
    for env in ir.envs.values():
        for comp in env.graph.components("database"):
            sz = comp.sizing
            if sz is None or sz.engine_version is None or comp.cost is None:
                continue
            line = next((i for i in comp.cost.items if i.item.startswith("RDS Extended Support")), None)
            ended = lib.standard_support_end(comp.spec.engine, sz.engine_version)
            if line is None or ended is None:
                continue
            vcpus = lib.instance_vcpus(sz.instance_class or "")
            newest = lib.engine_info("databases", comp.spec.engine)["default"]
            out.append(warning("IC-COST-030", extended_support_text(comp.spec.engine, sz.engine_version, ended, vcpus,
                                                                     line.monthly) + f" (environment `{env.name}`)",
                               comp.where("version"),
                               f"set `version: \"{newest}\"` (in standard support) after testing the upgrade, or keep "
                               f"{sz.engine_version} and budget for the surcharge"))
    return out


def priced_with(ir: StackIR, env: EnvIR, levers: frozenset[str], naive: bool = False, memo: Memo | None = None) -> float:
    """The environment's monthly total with only `levers` on (the cost pass's decisions kept)."""
    est = Estimator(env, levers=levers, memo=memo)
    items = [i for comp in env.graph for i in component_items(ir, env, comp, est, naive=naive)]
    return _total(items + est.memoized("env", naive, env_items, ir, env, est, naive))


def lever_savings(ir: StackIR, env: EnvIR, baseline: float, memo: Memo | None = None) -> list[LeverSaving]:
    """Each lever's saving, attributed in `LEVERS` order; with `other` they add up to baseline − estimate."""
    out: list[LeverSaving] = []
    previous = priced_with(ir, env, frozenset(), memo=memo)
    if round(baseline - previous, 2):
        out.append(LeverSaving(lever="other", monthly_saving=round(baseline - previous, 2), detail=LEVER_TEXT["other"]))
    for i, lever in enumerate(LEVERS):
        current = priced_with(ir, env, frozenset(LEVERS[:i + 1]), memo=memo)
        saving = round(previous - current, 2)
        if saving:
            out.append(LeverSaving(lever=lever, monthly_saving=saving, detail=_lever_detail(env, lever)))
        previous = current
    return out


def _lever_detail(env: EnvIR, lever: str) -> str:
    lv = env.levers
    if lever == "off-hours" and lv is not None and lv.schedule is not None:
        return f"{LEVER_TEXT[lever]}: {lv.schedule.reason}"
    if lever == "nat" and env.network is not None:
        return f"{LEVER_TEXT[lever]}: {env.network.egress}"
    return LEVER_TEXT[lever]


def _total(items: list[LineItem]) -> float:
    return round(sum(i.monthly for i in items if i.monthly is not None), 2)


def optimize(ir: StackIR, env: EnvIR, comp: Component) -> Optimization:
    spec = comp.spec
    reasons: list[str] = []
    if comp.kind in ("service", "job"):
        if env.nodes is not None:  # eks: the pods run on the node group, so the image must match it
            arch = env.nodes.arch
            reasons.append(f"{arch}: the architecture of the cluster's nodes ({env.nodes.instance_type})")
        else:
            arch = workload_arch(comp)
            reasons.append("arm64 (Graviton): the image is built by infracc" if arch == "arm64"
                           else "x86_64: the image architecture is not known to infracc")
        interruptible = comp.kind == "job" or spec.port is None
        capacity = "spot" if env.settings.spot and interruptible and ir.platform == "ecs" else "on-demand"
        if capacity == "spot":
            reasons.append("Fargate Spot: interruptible work in a `spot` environment (IC-COST-003)")
        volumes = None
        if env.nodes is not None and comp.kind == "service" and getattr(spec, "stateful", False):
            volumes = "gp3"  # the StatefulSet's claims: EBS CSI driver StorageClass, 20% below gp2
            reasons.append("gp3 volumes for the StatefulSet's claims (IC-COST-002)")
        return Optimization(arch=arch, capacity=capacity, storage_type=volumes, reasons=reasons)
    if comp.kind == "function":
        return Optimization(arch="arm64", reasons=["arm64 Lambda: about 20% cheaper per GB-second (IC-COST-001)"])
    if comp.kind == "database":
        return Optimization(arch=_class_arch(decided.sizing(comp).instance_class), storage_type="gp3",
                            reasons=["gp3 storage (IC-COST-002)"])
    if comp.kind == "cache":
        return Optimization(arch=_class_arch(decided.sizing(comp).node_type), reasons=[])
    if comp.kind == "bucket":
        transitions = []
        if spec.lifecycle and spec.lifecycle.archive_after_days:
            transitions.append(f"GLACIER_IR after {spec.lifecycle.archive_after_days} days")
        transitions.append("noncurrent versions expire after 30 days" if spec.versioning else "no versions kept")
        return Optimization(storage_class_transitions=transitions, reasons=["lifecycle rules (IC-COST-005)"])
    return Optimization()


def workload_arch(comp: Component) -> Arch:
    build = getattr(comp.spec, "build", None)
    return "arm64" if build is not None and build.language in GRAVITON_LANGUAGES else "x86_64"


def _class_arch(name: str | None) -> Arch:
    family = (name or "").split(".")[1] if name and name.count(".") == 2 else ""
    return "arm64" if family.endswith("g") else "x86_64"


def _x86(instance: str) -> str:
    prefix, family, size = instance.split(".") if instance.count(".") == 2 else ("", *instance.split("."))
    swapped = X86_EQUIVALENT.get(family, family)
    return ".".join(p for p in (prefix, swapped, size) if p)


def component_items(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    pricer = _PRICERS.get(comp.kind)
    if pricer is None:
        return []
    return est.memoized(comp.id, naive, pricer, ir, env, comp, est, naive)


def _workload(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    if ir.platform == "eks":  # pods run on the environment's node group, priced at env level
        return _stateful_volumes(comp, est) + _transfer(comp, est) + _traces(comp, est)
    sz, opt = decided.sizing(comp), decided.optimization(comp)
    arch = (opt.arch or "x86_64") if est.on("graviton") else "x86_64"
    name = comp.name
    spot_note = upper_bound("Fargate Spot") if not naive and opt.capacity == "spot" else None
    if comp.kind == "job":
        note = "per vCPU-hour of run time; run time depends on the job"
        note += _sidecar_note(comp)
        return [est.item(name, f"Fargate vCPU ({arch})", "fargate", "vcpu", None, assumption=note, arch=arch),
                est.item(name, f"Fargate memory ({arch})", "fargate", "memory", None, assumption=note, arch=arch),
                *_traces(comp, est)]
    assert sz.cpu is not None and sz.memory_mib is not None, comp.id
    tasks = sz.replicas_min or (1 if comp.spec.port is None else 0)
    tasks = max(tasks, 1)
    running = est.active_hours("service", name)
    hours = running * tasks
    basis = (f"{tasks} task(s) × {running:g} h, at minimum replicas" + (f"; {spot_note}" if spot_note else "")
             + ("; scaled to 0 off hours" if running != est.hours else "") + _sidecar_note(comp))
    items = [
        est.item(name, f"Fargate vCPU ({arch})", "fargate", "vcpu", sz.cpu * hours, assumption=basis, arch=arch),
        est.item(name, f"Fargate memory ({arch})", "fargate", "memory", sz.memory_mib / 1024 * hours, assumption=basis, arch=arch),
    ]
    return items + _transfer(comp, est) + _traces(comp, est)


def _sidecar_note(comp: Component) -> str:
    """The collector's share of a traced task (the tracing pass grew the task to hold it)."""
    t = comp.tracing
    if t is None or t.collector != "sidecar":
        return ""
    grown = f"; the task grew by {t.memory_added_mib} MiB" + (f" and {t.cpu_added:g} vCPU" if t.cpu_added else "")
    return (f"; includes the ADOT collector sidecar ({t.collector_cpu_units} CPU units, {t.collector_memory_mib} MiB"
            f"{grown if t.memory_added_mib or t.cpu_added else '; it fits in the task as sized'})")


def _traces(comp: Component, est: Estimator) -> list[LineItem]:
    """X-Ray traces recorded, per million: the workload's requests a month × its sample rate when
    the spec gives `usage.requests`; Lambda's own sampling (1 a second + 5%) has no fixed rate."""
    t = comp.tracing
    if t is None or not t.enabled:
        return []
    usage = comp.spec.usage
    requests = usage.requests if usage is not None else None
    millions = None if requests is None or t.sample_rate is None else round(requests * t.sample_rate / 1e6, 6)
    if millions is not None:
        note = f"{requests:,} requests a month × sample rate {t.sample_rate:g}"
    elif t.sample_rate is None:
        note = "usage-dependent: Lambda records the first request each second and 5% of the others"
    else:
        note = f"usage-dependent: set usage.requests (recorded: requests × sample rate {t.sample_rate:g})"
    return [est.item(comp.name, "X-Ray traces recorded", "xray", "traces-stored", millions, assumption=note)]


def _stateful_volumes(comp: Component, est: Estimator) -> list[LineItem]:
    """A stateful service's volume claims: one EBS volume per replica, in infracc's gp3
    StorageClass (the naive baseline: gp2, the StorageClass EKS clusters come with)."""
    sz = comp.sizing
    if comp.kind != "service" or not getattr(comp.spec, "stateful", False) or sz is None or not sz.volume_gb:
        return []
    replicas = max(sz.replicas_min or 1, 1)
    volume = (decided.optimization(comp).storage_type or "gp2") if est.on("gp3") else "gp2"
    where = f"StorageClass {naming.GP3_STORAGE_CLASS}" if volume == "gp3" else "StorageClass gp2"
    return [est.item(comp.name, f"EBS {volume} volumes {sz.volume_gb} GB × {replicas}", "ebs", volume, sz.volume_gb * replicas,
                     assumption=f"one volume per replica (volumeClaimTemplates), {where}")]


def _transfer(comp: Component, est: Estimator) -> list[LineItem]:
    if not getattr(comp.spec, "public", None) and comp.kind != "site":
        return []
    usage = comp.spec.usage
    if comp.endpoint is not None and comp.endpoint.cdn:
        # Viewers download from CloudFront (its egress rate); origin fetches from the load
        # balancer to CloudFront are not charged as data transfer out.
        return _cloudfront(est.env, est, comp.name, "CloudFront", usage)
    gb = usage.transfer_gb if usage and usage.transfer_gb is not None else None
    return [est.item(comp.name, "data transfer out", "data-transfer", "out-to-internet", gb,
                     assumption=None if gb is not None else "usage-dependent: set usage.transfer_gb")]


def _database(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    sz = decided.sizing(comp)
    assert sz.instance_class is not None, comp.id
    deployment = "multi-az" if sz.multi_az else "single-az"
    klass = sz.instance_class if est.on("graviton") else _x86(sz.instance_class)
    storage = "storage-gp3" if est.on("gp3") else "storage-gp2"
    items = [
        _instance_hours(env, comp, est, klass, deployment),
        est.item(comp.name, f"{storage} {sz.storage_gb} GB ({deployment})", "rds", storage, sz.storage_gb, deployment=deployment),
        est.item(comp.name, "backup storage beyond the database size", "rds", "backup-storage", None,
                 assumption="usage-dependent: backup storage up to the database size is free"),
    ]
    extended = extended_support(comp, est, klass)
    return items + ([extended] if extended is not None else [])


def _instance_hours(env: EnvIR, comp: Component, est: Estimator, klass: str, deployment: str) -> LineItem:
    """On-demand hours (fewer when the off-hours schedule stops the instance), or the reserved rate
    every hour of the month under `commitments.databases` (the levers pass)."""
    engine = comp.spec.engine
    if est.on("commitments") and env.levers is not None and env.levers.databases_commitment != "on-demand":
        from infracc.compiler.passes.levers import reserved_price

        return est.priced(comp.name, f"{klass} reserved 1y no upfront ({deployment})",
                          reserved_price(klass, engine, deployment, est.region), est.hours,
                          f"rds {klass}-reserved-1y-no-upfront ({engine}, {deployment})",
                          assumption="1-year No Upfront reserved instance, billed every hour of the term (commitments.databases)")
    running = est.active_hours("database", comp.name)
    return est.item(comp.name, f"{klass} ({deployment})", "rds", klass, running, engine=engine, deployment=deployment,
                    assumption="stopped off hours; storage is still billed" if running != est.hours else None)


def extended_support(comp: Component, est: Estimator, klass: str) -> LineItem | None:
    """RDS Extended Support, billed per vCPU-hour on top of the instance for a major version past
    its end of standard support (library/engines.json); the first two years' rate."""
    sz = comp.sizing
    assert sz is not None and sz.engine_version is not None
    engine, version = comp.spec.engine, sz.engine_version
    if not lib.past_standard_support(engine, version):
        return None
    vcpus = lib.instance_vcpus(klass)
    ended = lib.standard_support_end(engine, version)
    return est.item(comp.name, f"RDS Extended Support ({engine} {version}) × {vcpus} vCPU", "rds",
                    f"extended-support-{version}-year1-2", est.hours * vcpus, engine=engine,
                    assumption=f"{engine} {version} left RDS standard support on {ended}; year 1-2 rate")


def _cache(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    sz = decided.sizing(comp)
    assert sz.node_type is not None and sz.num_nodes is not None, comp.id
    engine = comp.spec.engine if est.on("valkey") else "redis"  # the naive choice is Redis OSS
    if est.on("commitments") and env.levers is not None and env.levers.caches_commitment != "on-demand":
        from infracc.compiler.passes.levers import reserved_node_price

        # Reserved nodes are priced for Redis OSS; the same reservation covers a Valkey node of the
        # type (fewer normalized units), so the Redis OSS reserved rate bounds a Valkey node's cost.
        return [est.priced(comp.name, f"{sz.node_type} {engine} × {sz.num_nodes} reserved 1y no upfront",
                           reserved_node_price("elasticache", sz.node_type, est.region), est.hours * sz.num_nodes,
                           f"elasticache {sz.node_type}-reserved-1y-no-upfront",
                           assumption="1-year No Upfront reserved nodes, billed every hour of the term (commitments.caches)"
                                      + ("; the Redis OSS reservation rate, an upper bound for Valkey" if engine == "valkey" else ""))]
    scheduled = est.on("off-hours") and env.levers is not None and env.levers.schedule is not None
    return [est.item(comp.name, f"{sz.node_type} {engine} × {sz.num_nodes}", "elasticache", sz.node_type,
                     est.hours * sz.num_nodes, engine=engine,
                     assumption="ElastiCache has no stopped state: on all month" if scheduled else None)]


def _bucket(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    usage = comp.spec.usage
    gb = usage.storage_gb if usage and usage.storage_gb is not None else None
    reqs = usage.requests if usage and usage.requests is not None else None
    note = None if naive or not comp.spec.lifecycle else "before lifecycle transitions (savings not modelled)"
    return [
        est.item(comp.name, "S3 Standard storage", "s3", "standard-storage", gb,
                 assumption=note if gb is not None else "usage-dependent: set usage.storage_gb"),
        est.item(comp.name, "S3 GET requests", "s3", "standard-get-requests", None if reqs is None else reqs / 1000,
                 assumption=None if reqs is not None else "usage-dependent: set usage.requests"),
    ]


def _queue(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    usage = comp.spec.usage
    reqs = usage.requests if usage and usage.requests is not None else None
    item = "fifo-requests" if comp.spec.fifo else "standard-requests"
    return [est.item(comp.name, f"SQS {item}", "sqs", item, None if reqs is None else reqs / 1e6,
                     assumption=None if reqs is not None else "usage-dependent: set usage.requests")]


def _function(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    usage, arch = comp.spec.usage, "arm64" if est.on("graviton") else "x86_64"
    reqs = usage.requests if usage and usage.requests is not None else None
    ms = usage.duration_ms if usage and usage.duration_ms is not None else None
    memory = decided.sizing(comp).lambda_memory_mb or 0
    gb_s = None if reqs is None or ms is None else reqs * ms / 1000 * memory / 1024
    needs = "usage-dependent: set usage.requests and usage.duration_ms"
    return [
        est.item(comp.name, f"Lambda requests ({arch})", "lambda", "requests", None if reqs is None else reqs / 1e6,
                 assumption=None if reqs is not None else needs, arch=arch),
        est.item(comp.name, f"Lambda duration ({arch})", "lambda", "duration", gb_s,
                 assumption=None if gb_s is not None else needs, arch=arch),
    ] + _traces(comp, est)


def _site(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    return _cloudfront(env, est, comp.name, "CloudFront", comp.spec.usage)


def _cloudfront(env: EnvIR, est: Estimator, name: str, what: str, usage: Usage | None) -> list[LineItem]:
    edge = "europe" if env.settings.region.startswith("eu-") else "united-states"
    gb = usage.transfer_gb if usage and usage.transfer_gb is not None else None
    reqs = usage.requests if usage and usage.requests is not None else None
    return [
        est.item(name, f"{what} transfer ({edge})", "cloudfront", "data-transfer-out", gb, region="global",
                 assumption=None if gb is not None else "usage-dependent: set usage.transfer_gb", edge=edge),
        est.item(name, f"{what} HTTPS requests ({edge})", "cloudfront", "https-requests",
                 None if reqs is None else reqs / 1e4, region="global",
                 assumption=None if reqs is not None else "usage-dependent: set usage.requests", edge=edge),
    ]


def _table(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    """DynamoDB: request units (on-demand: `usage.reads`/`usage.writes`, else usage-dependent) or
    capacity-unit hours (provisioned: the minimum the auto scaling keeps), storage, point-in-time
    recovery and, under soc2, AWS Backup copies (priced as DynamoDB backup storage)."""
    sz, usage = decided.sizing(comp), comp.spec.usage
    gb = usage.storage_gb if usage and usage.storage_gb is not None else None
    storage_note = None if gb is not None else "usage-dependent: set usage.storage_gb"
    name = comp.name
    if sz.capacity_mode == "provisioned":
        assert sz.read_units is not None and sz.write_units is not None, comp.id
        units = 1 + len(resolved.table(comp).indexes)  # the table and each index hold the units
        floor = "at the auto-scaling minimum, for the table and each index"
        items = [est.item(name, f"DynamoDB provisioned writes {sz.write_units} WCU × {units}", "dynamodb",
                          "provisioned-write-capacity-unit", est.hours * sz.write_units * units, assumption=floor),
                 est.item(name, f"DynamoDB provisioned reads {sz.read_units} RCU × {units}", "dynamodb",
                          "provisioned-read-capacity-unit", est.hours * sz.read_units * units, assumption=floor)]
    else:
        writes = usage.writes if usage and usage.writes is not None else None
        reads = usage.reads if usage and usage.reads is not None else None
        items = [est.item(name, "DynamoDB on-demand write request units", "dynamodb", "write-request-units",
                          None if writes is None else writes / 1e6,
                          assumption=None if writes is not None else "usage-dependent: set usage.writes"),
                 est.item(name, "DynamoDB on-demand read request units", "dynamodb", "read-request-units",
                          None if reads is None else reads / 1e6,
                          assumption=None if reads is not None else "usage-dependent: set usage.reads")]
    items += [est.item(name, "DynamoDB storage (Standard)", "dynamodb", "standard-storage", gb, assumption=storage_note),
              est.item(name, "DynamoDB point-in-time recovery", "dynamodb", "pitr-storage", gb,
                       assumption=storage_note)]
    retention = comp.retention
    if not naive and retention is not None and retention.backup_plan_days:
        items.append(est.item(name, "AWS Backup of DynamoDB (warm storage)", "dynamodb", "backup-storage", None,
                              assumption="usage-dependent: grows with the size of the table"))
    return items


def _filesystem(ir: StackIR, env: EnvIR, comp: Component, est: Estimator, naive: bool) -> list[LineItem]:
    """EFS: storage (Standard or One Zone) for `usage.storage_gb`, Infrequent Access when the
    sizing pass turned it on (how much moves there depends on how files are read), elastic
    throughput per GB read and written (`usage.read_gb`/`write_gb`), and the automatic backups'
    warm storage (about the file system's size: backups are incremental)."""
    spec, usage, name = resolved.filesystem(comp), comp.spec.usage, comp.name
    gb = usage.storage_gb if usage and usage.storage_gb is not None else None
    needs = None if gb is not None else "usage-dependent: set usage.storage_gb"
    storage = ("one-zone-storage", "EFS One Zone storage") if spec.one_zone else ("standard-storage", "EFS Standard storage")
    items = [est.item(name, storage[1], "efs", storage[0], gb, assumption=needs)]
    days = decided.sizing(comp).infrequent_access_after_days
    if days is not None and not naive:
        items.append(est.item(name, f"EFS Infrequent Access storage (after {days} days)", "efs", "ia-storage", None,
                              assumption="usage-dependent: the share of files not read for "
                                         f"{days} days; the storage line prices every GB at the Standard rate"))
    if spec.throughput == "elastic":
        for what, field in (("read", "read_gb"), ("write", "write_gb")):
            qty = getattr(usage, field) if usage is not None else None
            items.append(est.item(name, f"EFS elastic throughput ({what}s)", "efs", f"elastic-throughput-{what}", qty,
                                  assumption=None if qty is not None else f"usage-dependent: set usage.{field}"))
    if decided.retention(comp).automatic_backups:
        items.append(est.item(name, "EFS automatic backups (warm storage)", "backup", "efs-warm-storage", gb,
                              assumption="incremental daily backups kept 35 days: about the file system's size"
                              if gb is not None else "usage-dependent: grows with the file system"))
    return items


Pricer = Callable[[StackIR, EnvIR, Component, Estimator, bool], list[LineItem]]
_PRICERS: dict[str, Pricer] = {"service": _workload, "job": _workload, "database": _database, "cache": _cache,
                               "bucket": _bucket, "queue": _queue, "table": _table, "filesystem": _filesystem,
                               "function": _function,
                               "site": _site}


def env_items(ir: StackIR, env: EnvIR, est: Estimator, naive: bool) -> list[LineItem]:
    net = decided.network(env)
    nats = net.nat_gateways if est.on("nat") else net.az_count
    items = [
        est.item("network", f"NAT gateway × {nats}", "vpc", "nat-gateway", est.hours * nats,
                 assumption=f"{net.nat_strategy} NAT (IC-COST-004)" if est.on("nat") else None),
        est.item("network", f"NAT public IPv4 × {nats}", "vpc", "public-ipv4-address", est.hours * nats),
        est.item("network", "NAT data processed", "vpc", "nat-gateway-data-processed", None,
                 assumption="usage-dependent" + ("" if naive else "; S3 traffic uses the free gateway endpoint")
                 + _external_egress(env)),
    ] if nats else []  # no NAT gateway: none created, no line (the network decision says why)
    endpoints = net.interface_endpoints if est.on("nat") else []
    if endpoints:
        count = len(endpoints) * net.az_count
        items += [est.item("network", f"interface endpoints ({', '.join(endpoints)}) × {net.az_count} AZ", "vpc",
                           "interface-endpoint", est.hours * count, assumption="instead of NAT (`nat_gateway: false`)"),
                  est.item("network", "interface endpoint data processed", "vpc", "interface-endpoint-data-processed", None,
                           assumption="usage-dependent")]
    items += _schedule_items(env, est)
    edge = env.edge
    if edge is not None and edge.load_balancer != "none":
        items += [est.item("load-balancer", "Application Load Balancer", "elb", "alb", est.hours)]
        if edge.load_balancer == "internet-facing":  # an internal ALB (behind CloudFront) has no public address
            items.append(est.item("load-balancer", "ALB public IPv4", "vpc", "public-ipv4-address", est.hours * net.az_count))
        items.append(est.item("load-balancer", "ALB LCU", "elb", "alb-lcu", None, assumption="usage-dependent"))
    if edge is not None and edge.network_load_balancer:  # the public tcp services' (no WAF, no CloudFront)
        items += [est.item("load-balancer", "Network Load Balancer", "elb", "nlb", est.hours),
                  est.item("load-balancer", "NLB public IPv4", "vpc", "public-ipv4-address", est.hours * net.az_count),
                  est.item("load-balancer", "NLB LCU", "elb", "nlb-lcu", None,
                           assumption="usage-dependent: new and active TCP/TLS connections and GB processed")]
    if edge is not None and edge.app_distribution:
        items += _cloudfront(env, est, "load-balancer", "CloudFront in front of the internal ALB", None)
    if env.nodes is not None:
        items += _eks(env, est, naive)
    items += _security(ir, env, est)
    items += _web_acls(env, est)
    alarms = _alarm_count(env)
    if alarms:
        items.append(est.item("operations", f"CloudWatch alarms × {alarms}", "cloudwatch", "alarm-standard-resolution", alarms))
    items.append(est.item("operations", "CloudWatch Logs ingestion", "cloudwatch", "logs-ingestion", None,
                          assumption="usage-dependent", tier="standard-class"))  # the log groups are Standard class
    # The stack's Route 53 zone is looked up, not created (it holds the domain before infracc
    # runs), so it is no cost of this stack; its records and queries are usage.
    items += _backups(env, est, naive)
    items += _aws_config(env, est, naive)
    return items


def _aws_config(env: EnvIR, est: Estimator, naive: bool) -> list[LineItem]:
    """soc2's AWS Config (aws_config pass): configuration items the recorder records (only where
    this environment creates it) and the managed rules' evaluations; both grow with how often
    resources change, so both are usage-dependent, listed with their unit price."""
    decision = env.aws_config
    if naive or decision is None:
        return []
    items: list[LineItem] = []
    if decision.recorder:
        items.append(est.item("compliance", "AWS Config configuration items recorded", "config", "configuration-items",
                              None, assumption="usage-dependent: one item per recorded change of a resource "
                                               "(all supported types; priced per 1,000)"))
    items.append(est.item("compliance", f"AWS Config rule evaluations ({len(decision.rules)} managed rules)", "config",
                          "rule-evaluations", None,
                          assumption="usage-dependent: each rule evaluates its resources on every change (priced per "
                                     "1,000 evaluations)"))
    return items


def _external_egress(env: EnvIR) -> str:
    """The externals whose calls leave through NAT (their data is processed there, and the
    responses come back as data transfer in, which is free)."""
    def behind_nat(user: str) -> bool:  # services and jobs; a function only inside the VPC
        return not user.startswith("function.") or any(
            u.target.split(".")[0] in ("database", "cache") for u in env.graph.uses(user))

    names = [c.name for c in env.graph.components("external") if any(behind_nat(u.source) for u in env.graph.users(c.id))]
    return f"; includes the calls to the externals {', '.join(names)}" if names else ""


def distributions(env: EnvIR) -> bool:
    """Whether the environment has CloudFront: a site, a `cdn` service, or (without a domain) the
    distribution in front of the internal load balancer (endpoints pass)."""
    return any(c.endpoint is not None and c.endpoint.cdn for c in env.graph.components("service", "site"))


def _security(ir: StackIR, env: EnvIR, est: Estimator) -> list[LineItem]:
    comps = env.graph.components()
    keys = 1 + sum(1 for c in comps if c.encryption is not None and c.encryption.dedicated)
    # Declared secrets and the connection secrets Terraform writes (decided.has_connection_secret); the database password and cache AUTH token live only in those
    # connection secrets (write-only arguments), so RDS manages no master secret of its own.
    secrets = (sum(len(getattr(c.spec, "secrets", [])) for c in comps)
               + sum(1 for c in comps if decided.has_connection_secret(ir.targets, c)))
    items = [est.item("security", f"KMS customer-managed keys × {keys}", "kms", "customer-managed-key", keys)]
    if secrets:
        items.append(est.item("security", f"Secrets Manager secrets × {secrets}", "secretsmanager", "secret", secrets))
    if distributions(env):  # CloudFront logs to us-east-1, encrypted with a key there
        items.append(est.item("security", "KMS key for edge logs (us-east-1)", "kms", "customer-managed-key", 1,
                              region="us-east-1"))
    return items


def _web_acls(env: EnvIR, est: Estimator) -> list[LineItem]:
    """AWS WAF: a regional web ACL on an internet-facing load balancer and one (us-east-1) shared
    by the CloudFront distributions; each carries the managed rule groups of library/waf.json."""
    edge = env.edge
    if edge is None or not edge.waf:
        return []
    rules = len(lib.waf_rule_groups())
    scopes = (["load balancer"] if edge.load_balancer == "internet-facing" else []) + (
        ["CloudFront"] if distributions(env) else [])
    items: list[LineItem] = []
    for scope in scopes:
        region = "us-east-1" if scope == "CloudFront" else None
        items += [est.item("firewall", f"WAF web ACL ({scope})", "waf", "web-acl", 1, region=region),
                  est.item("firewall", f"WAF rules ({scope}) × {rules}", "waf", "rule", rules, region=region,
                           assumption="AWS managed rule groups"),
                  est.item("firewall", f"WAF requests ({scope})", "waf", "requests", None, region=region,
                           assumption="usage-dependent")]
    return items


def _alarm_count(env: EnvIR) -> int:
    """CloudWatch alarms Terraform creates: a job's `failed-runs` is an EventBridge rule on the
    task's exit code (ecs) or not generated (eks), never an alarm."""
    return sum(1 for c in env.graph.components() if c.retention
               for alarm in c.retention.alarms if not (c.kind == "job" and alarm == "failed-runs"))


def _backups(env: EnvIR, est: Estimator, naive: bool) -> list[LineItem]:
    """AWS Backup copies (soc2): priced per protected resource type, all usage-dependent."""
    if naive:
        return []
    kinds = {c.kind for c in env.graph.components() if c.retention and c.retention.backup_plan_days}
    items: list[LineItem] = []
    if "database" in kinds:
        items.append(est.item("backup", "AWS Backup of RDS (snapshot storage)", "rds", "backup-storage", None,
                              assumption="usage-dependent: grows with the size of the databases"))
    if "bucket" in kinds:
        items.append(est.item("backup", "AWS Backup of S3 (warm storage)", "backup", "s3-warm-storage", None,
                              assumption="usage-dependent: grows with the size of the buckets"))
    return items


def _schedule_items(env: EnvIR, est: Estimator) -> list[LineItem]:
    """The off-hours schedule's own cost: EventBridge Scheduler invocations (usage, within the free
    tier at this volume); Application Auto Scaling scheduled actions have no charge."""
    sched = env.levers.schedule if est.on("off-hours") and env.levers is not None else None
    if sched is None:
        return []
    targets = len(sched.databases) + (1 if sched.nodes else 0)
    runs = round(2 * targets * len(sched.days) * est.hours / 168, 1)
    if not targets:
        return []
    return [est.item("schedules", "EventBridge Scheduler invocations (off-hours stop/start)", "eventbridge",
                     "scheduler-invocations", None,
                     assumption=f"about {runs:g} a month; the first 14M invocations a month are free, "
                                "this rate applies beyond them")]


def _eks(env: EnvIR, est: Estimator, naive: bool) -> list[LineItem]:
    nodes = decided.nodes(env)
    node = nodes.instance_type if est.on("graviton") else _x86(nodes.instance_type)
    count = nodes.min_size
    spot = not naive and nodes.capacity == "spot"
    running = est.active_hours("nodes")
    basis = ("at the node group's minimum size" + (f"; {upper_bound('EC2 Spot')}" if spot else "")
             + ("; scaled to 0 off hours" if running != est.hours else ""))
    disk = lib.eks_node_disk_gb()
    reserved = est.on("commitments") and env.levers is not None and env.levers.nodes_commitment != "on-demand"
    if reserved:
        from infracc.compiler.passes.levers import reserved_node_price

        compute = est.priced("cluster", f"nodes {node} × {count} reserved 1y no upfront",
                             reserved_node_price("ec2", node, est.region), est.hours * count,
                             f"ec2 {node}-reserved-1y-no-upfront",
                             assumption="EC2 Standard reserved instances for the node group's minimum size, billed every "
                                        "hour of the term (commitments.nodes); nodes above it are on demand")
    else:
        compute = est.item("cluster", f"nodes {node} × {count}" + (" (Spot)" if spot else ""), "ec2", node, running * count,
                           assumption=basis)
    return [est.item("cluster", "EKS control plane", "eks", "cluster", est.hours, support="standard"),
            compute,
            est.item("cluster", f"node root volumes {disk} GB gp2 × {count}", "ebs", "gp2",
                     round(disk * count * running / est.hours, 4),
                     assumption="EKS's default root volume of a managed node group without a launch template"
                                + ("; deleted with the nodes off hours" if running != est.hours else ""))]
