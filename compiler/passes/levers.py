"""Levers pass: the cost levers of each environment, decided once.

- **Off-hours schedule** (`off_hours`): outside the active window ECS services scale to 0, RDS
  instances stop and the EKS node group scales to 0 (caches, load balancers and NAT gateways
  have no stopped state and stay on). Default: on, `Mon-Fri 07:00-20:00` in the region's time
  zone (library/levers.json), for every environment except the last one in promotion order
  (production) and any with `high_availability`; `off_hours: false` turns it off.
- **Commitments** (`commitments`): RDS reserved instances, ElastiCache reserved nodes and EC2
  reserved instances for the EKS node group (priced by the cost pass from the reserved rows in
  library/levers.json), and Compute Savings Plans (no rate table: shown as a recommendation,
  never counted). Databases and nodes under a reservation are never stopped: a reservation is
  billed every hour of its term, running or not.

The cost pass prices these decisions; the Terraform backend (`backends/terraform/schedules.py`)
creates the schedules. Commitments are bought, not created: the runbook lists them.
"""
from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal

from infracc.compiler import library_data as lib
from infracc.compiler import library_split, resolved
from infracc.compiler.decisions import EnvLevers, Recommendation, Schedule
from infracc.compiler.diagnostics import Diagnostic, error, warning
from infracc.compiler.ir import EnvIR, StackIR
from infracc.schema.stack import OffHours

REQUIRES = frozenset({"sizing"})
PROVIDES = frozenset({"levers"})

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_ACTIVE = re.compile(r"^(\w{3})(?:-(\w{3}))? (\d\d):(\d\d)-(\d\d):(\d\d)$")


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    """library/levers.json, whole (tests and tools; a run reads `_meta` and its regions' rows)."""
    data: dict[str, Any] = lib._json("levers.json")
    return data


def _meta() -> dict[str, Any]:
    """library/levers.json but its rows: Savings Plans facts, schedules, region time zones."""
    return library_split.table_meta("levers.json")


@cache
def _reserved_rows(region: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """A region's reserved RDS rows by (item, engine, deployment, region), as parsed: a row is
    validated with `Price` when a lookup returns it (`_reserved`); tests/test_cost_levers.py
    validates them all."""
    return {(row["item"], str(row.get("engine")), str(row.get("deployment")), row["region"]): row
            for row in library_split.region_rows("levers.json", "reserved", region)}


@lru_cache(maxsize=256)
def _reserved(key: tuple[str, str, str, str]) -> lib.Price | None:
    row = _reserved_rows(key[3]).get(key)
    return lib.Price.model_validate(row) if row is not None else None


def reserved_price(instance_class: str, engine: str, deployment: str, region: str) -> lib.Price | None:
    """The 1-year No Upfront reserved hourly rate of an RDS class, or None (never zero)."""
    return _reserved((f"{instance_class}-reserved-1y-no-upfront", engine, deployment, region))


@cache
def _node_index(region: str) -> dict[tuple[str, str, str], lib.Price]:
    out: dict[tuple[str, str, str], lib.Price] = {}
    for row in library_split.region_rows("levers.json", "reserved_nodes", region):
        price = lib.Price.model_validate(row)
        out[(price.service, price.item, price.region)] = price
    return out


def reserved_node_price(service: str, node_type: str, region: str) -> lib.Price | None:
    """The 1-year No Upfront reserved hourly rate of an EC2 instance type (`ec2`, Standard, Linux)
    or an ElastiCache node type (`elasticache`, priced for Redis OSS), or None (never zero)."""
    return _node_index(region).get((service, f"{node_type}-reserved-1y-no-upfront", region))


def default_timezone(region: str) -> str:
    zones: dict[str, str] = _meta()["timezones"]["zones"]
    return zones.get(region, "UTC")


def levers(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        decided, found = decide(ir, env)
        diags += found
        env.levers = decided
    return diags


def decide(ir: StackIR, env: EnvIR) -> tuple[EnvLevers, list[Diagnostic]]:
    s = env.settings
    commitments = s.commitments
    databases = commitments.databases if commitments else "on-demand"
    compute = commitments.compute if commitments else "on-demand"
    caches = commitments.caches if commitments else "on-demand"
    nodes, diags = _nodes_commitment(ir, env)
    schedule, reason, found = _schedule(ir, env, databases, nodes)
    diags += found
    if schedule is not None:
        diags += _jobs_off_hours(env, schedule)
    recommendations = _recommendations(ir, env, schedule, compute, caches, nodes)
    return EnvLevers(schedule=schedule, schedule_reason=reason, databases_commitment=databases,
                     compute_commitment=compute, caches_commitment=caches, nodes_commitment=nodes,
                     recommendations=recommendations), diags


def _nodes_commitment(ir: StackIR, env: EnvIR) -> tuple[Literal["on-demand", "reserved-1y-no-upfront"], list[Diagnostic]]:
    """`commitments.nodes`: EC2 reserved instances need an on-demand EKS node group (IC-COST-024)."""
    s = env.settings
    written = s.commitments.nodes if s.commitments else "on-demand"
    if written == "on-demand":
        return "on-demand", []
    where = (*s.origin, "commitments", "nodes")
    if ir.platform != "eks" or env.nodes is None:
        return "on-demand", [error("IC-COST-024", f"`commitments.nodes` in `{env.name}`: the environment has no EKS node "
                                   "group for reserved instances to cover", where,
                                   "remove `commitments.nodes` (Fargate and Lambda take a Compute Savings Plan, `commitments.compute`)")]
    if s.spot:
        return "on-demand", [error("IC-COST-024", f"`commitments.nodes` in `{env.name}`: its nodes are Spot (`spot: true`), "
                                   "which reserved instances never cover", where,
                                   "remove `commitments.nodes`, or set `spot: false` on the environment")]
    return written, []


def _schedule(ir: StackIR, env: EnvIR, databases: str, reserved_nodes: str) -> tuple[Schedule | None, str, list[Diagnostic]]:
    s, written = env.settings, env.settings.off_hours
    if written is False:
        return None, "always on: `off_hours: false`", []
    if written is None:
        if s.is_last:
            return None, "always on: the last environment in promotion order (production); set `off_hours` to schedule it", []
        if s.high_availability:
            return None, "always on: `high_availability` environments are not scheduled by default; set `off_hours` to schedule it", []
    spec = written if isinstance(written, OffHours) else OffHours()
    where = (*s.origin, "off_hours")
    zone = spec.timezone or default_timezone(s.region)
    diags: list[Diagnostic] = []
    if not is_zone(zone):
        diags.append(error("IC-COST-021", f"`{zone}` is not an IANA time zone (environment `{env.name}`)",
                           (*where, "timezone"), "use a tz database name such as `Europe/Berlin` or `UTC`"))
    window = parse_active(spec.active)
    if window is None:
        diags.append(error("IC-COST-020", f"off-hours window `{spec.active}` must start before it stops, on valid days",
                           (*where, "active"), "write `<Day>[-<Day>] HH:MM-HH:MM`, e.g. `Mon-Fri 07:00-20:00`"))
    if diags or window is None:
        return None, "not scheduled: the off-hours setting has errors", diags
    days, start, stop = window
    services = [c.name for c in env.graph.components("service")] if ir.platform == "ecs" else []
    stores = [c.name for c in env.graph.components("database")] if databases == "on-demand" else []
    nodes = ir.platform == "eks" and env.nodes is not None and reserved_nodes == "on-demand"
    if not (services or stores or nodes):
        reserved = " (reserved databases and nodes are never stopped)" if (
            env.graph.components("database") or env.nodes is not None) else ""
        return None, f"always on: nothing in the environment can be stopped{reserved}", []
    weekly = len(days) * _minutes(stop) - len(days) * _minutes(start)
    hours = round(weekly / 60 * lib.hours_per_month() / int(_meta()["schedule"]["hours_per_week"]), 2)
    dow = ",".join(days) if len(days) < 3 or not _consecutive(days) else f"{days[0]}-{days[-1]}"
    why = "default for non-production environments" if written is None else "set in the spec"
    if databases != "on-demand" and env.graph.components("database"):
        why += "; databases are reserved, so they stay on"
    if reserved_nodes != "on-demand":
        why += "; nodes are reserved, so they stay on"
    return Schedule(
        active=spec.active, timezone=zone, days=list(days), start=start, stop=stop, active_hours_per_month=hours,
        start_cron=_cron(start, dow), stop_cron=_cron(stop, dow), services=services, databases=stores, nodes=nodes,
        reason=f"off-hours schedule ({why}): compute runs {spec.active} {zone}, {hours:g} of {lib.hours_per_month()} h/month",
    ), why, []


def _jobs_off_hours(env: EnvIR, sched: Schedule) -> list[Diagnostic]:
    """IC-COST-023: a scheduled job using a database the schedule stops, firing outside the window."""
    out: list[Diagnostic] = []
    for comp in env.graph.components("job"):
        cron = resolved.job(comp).schedule
        stopped = [c.target.split(".", 1)[1] for c in env.graph.uses(comp.id)
                   if c.target.startswith("database.") and c.target.split(".", 1)[1] in sched.databases]
        if cron is None or not (stopped or sched.nodes):
            continue
        outside = first_run_outside(cron, sched)
        if outside is not None:
            what = (f"its database `{stopped[0]}` is stopped" if stopped
                    else "the node group is scaled to 0 (the run waits for the window)")
            out.append(warning(
                "IC-COST-023", f"job `{comp.name}` runs at {outside} in `{env.name}`, when {what} "
                f"(off hours: {sched.active} {sched.timezone})", comp.where("schedule"),
                "move the job's `schedule` into the active window, widen `off_hours.active`, or set `off_hours: false`"))
    return out


def first_run_outside(cron: str, sched: Schedule) -> str | None:
    """The first run of a 5-field UTC cron in a reference week (days of month and months are
    ignored: any week) that falls outside the window, as `Mon 03:00 <zone>`, or None.

    >>> s = Schedule(active="Mon-Fri 07:00-20:00", timezone="UTC", days=["MON", "TUE", "WED", "THU", "FRI"],
    ...              start="07:00", stop="20:00", active_hours_per_month=282.44, start_cron="", stop_cron="", reason="")
    >>> first_run_outside("0 3 * * *", s), first_run_outside("30 9 * * 1-5", s)
    ('Mon 03:00 UTC', None)
    """
    fields = cron.split()
    minutes, hours, dows = _expand(fields[0], 0, 59), _expand(fields[1], 0, 23), _expand(fields[4], 0, 7)
    zone = zoneinfo.ZoneInfo(sched.timezone)
    monday = datetime(2026, 1, 5, tzinfo=zoneinfo.ZoneInfo("UTC"))  # a Monday outside daylight saving time
    start, stop = _minutes(sched.start), _minutes(sched.stop)
    for day in range(7):
        if ((day + 1) % 7) not in {d % 7 for d in dows}:  # cron: 0 and 7 are Sunday
            continue
        for h in hours:
            for m in minutes:
                local = (monday + timedelta(days=day, hours=h, minutes=m)).astimezone(zone)
                inside = DAYS[local.weekday()] in sched.days and start <= local.hour * 60 + local.minute < stop
                if not inside:
                    return f"{local:%a %H:%M} {sched.timezone}"
    return None


def _expand(field: str, low: int, high: int) -> list[int]:
    names = {d.lower(): i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
    out: set[int] = set()
    for term in field.lower().split(","):
        body, _, step = term.partition("/")
        if body == "*":
            a, b = low, high
        else:
            ends = [int(x) if x.isdigit() else names.get(x, low) for x in body.split("-")]
            a, b = ends[0], ends[-1] if len(ends) > 1 else (high if step else ends[0])
        out.update(range(a, b + 1, int(step) if step else 1))
    return sorted(out)


def parse_active(text: str) -> tuple[tuple[str, ...], str, str] | None:
    """Days (in week order from the first) and start/stop of an active window, or None.

    >>> parse_active("Mon-Fri 07:00-20:00")
    (('MON', 'TUE', 'WED', 'THU', 'FRI'), '07:00', '20:00')
    >>> parse_active("Sat-Mon 09:00-12:30")[0]
    ('SAT', 'SUN', 'MON')
    >>> parse_active("Mon-Fri 20:00-07:00") is None
    True
    """
    m = _ACTIVE.match(text)
    if m is None:
        return None
    first, last = m[1].upper(), (m[2] or m[1]).upper()
    if first not in DAYS or last not in DAYS:
        return None
    i, j = DAYS.index(first), DAYS.index(last)
    days = tuple(DAYS[(i + k) % 7] for k in range((j - i) % 7 + 1))
    start, stop = f"{m[3]}:{m[4]}", f"{m[5]}:{m[6]}"
    if int(m[3]) > 23 or int(m[5]) > 23 or int(m[4]) > 59 or int(m[6]) > 59 or _minutes(start) >= _minutes(stop):
        return None
    return days, start, stop


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _consecutive(days: tuple[str, ...]) -> bool:
    idx = [DAYS.index(d) for d in days]
    return idx == list(range(idx[0], idx[0] + len(idx)))


def _cron(hhmm: str, dow: str) -> str:
    h, m = hhmm.split(":")
    return f"cron({int(m)} {int(h)} ? * {dow} *)"


@lru_cache(maxsize=64)
def is_zone(name: str) -> bool:
    """An IANA time zone: one that `zoneinfo` can load, as `zoneinfo.available_timezones()`
    lists them (that walks the whole tz database, ~15 ms of every validate; a lookup opens one
    file). `posixrules` is a file in that folder but no zone, as there."""
    if name == "UTC":
        return True
    if name == "posixrules":
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _recommendations(ir: StackIR, env: EnvIR, schedule: Schedule | None, compute: str, caches: str,
                     nodes: str) -> list[Recommendation]:
    out: list[Recommendation] = []
    plans = _meta()["savings_plans"]
    always_on_compute = ((ir.platform == "ecs" and env.graph.components("service"))
                         or (env.nodes is not None and nodes == "on-demand"))
    if always_on_compute and schedule is None:
        sp = plans["compute"]
        buy = compute != "on-demand"
        out.append(Recommendation(
            lever="compute-savings-plan", applies_to=sp["applies_to"], discount=sp["discount"], source=sp["source"],
            action=("buy a 1-year No Upfront Compute Savings Plan in Billing and Cost Management → Savings Plans, "
                    "committing to the steady on-demand spend of this environment's always-on compute"
                    if buy else "consider a Compute Savings Plan for the always-on compute (`commitments.compute`)")
                   + f"; not counted in the estimate ({sp['why_not_counted']})"))
    if env.graph.components("cache") and schedule is None and caches == "on-demand":
        rn = plans["elasticache"]
        out.append(Recommendation(
            lever="elasticache-reserved-nodes", applies_to=rn["applies_to"], discount=rn["discount"], source=rn["source"],
            action=f"consider reserved nodes for the always-on caches; not counted ({rn['why_not_counted']})"))
    return out


def purchases(env: EnvIR) -> list[str]:
    """What to buy for this environment's commitments (runbook and tasks)."""
    lv = env.levers
    if lv is None:
        return []
    out = []
    if lv.databases_commitment == "reserved-1y-no-upfront":
        for comp in env.graph.components("database"):
            sz = comp.sizing
            if sz is None or sz.instance_class is None:
                continue
            deployment = "Multi-AZ" if sz.multi_az else "Single-AZ"
            engine = resolved.database(comp).engine
            out.append(f"RDS reserved DB instance for `{comp.name}`: {sz.instance_class}, {engine}, {deployment}, "
                       f"1 year, No Upfront, in {env.settings.region} (RDS console → Reserved instances → Purchase)")
    if lv.caches_commitment == "reserved-1y-no-upfront":
        for comp in env.graph.components("cache"):
            sz = comp.sizing
            if sz is None or sz.node_type is None:
                continue
            out.append(f"ElastiCache reserved nodes for `{comp.name}`: {sz.num_nodes} × {sz.node_type}, 1 year, No Upfront, "
                       f"in {env.settings.region} (ElastiCache console → Reserved nodes → Purchase; a Redis OSS "
                       "reservation also covers Valkey nodes of the type)")
    if lv.nodes_commitment == "reserved-1y-no-upfront" and env.nodes is not None:
        out.append(f"EC2 Standard reserved instances for the EKS node group: {env.nodes.min_size} × {env.nodes.instance_type}, "
                   f"Linux, regional, 1 year, No Upfront, in {env.settings.region} (EC2 console → Reserved Instances → "
                   "Purchase); nodes above the minimum are billed on demand")
    if lv.compute_commitment == "savings-plan-1y-no-upfront":
        out.append("Compute Savings Plan, 1 year, No Upfront, sized to this environment's steady Fargate/EC2 spend "
                   "(Billing and Cost Management → Savings Plans → Purchase; use its recommendation for the hourly commitment)")
    return out
