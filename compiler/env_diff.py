"""`infracc diff`: the effective differences between two environments of one stack.

For promotion reviews: compares the decisions the passes made (not the spec text), so a
difference that comes from a size profile or an HA default shows up as clearly as an
explicit override. Built on :func:`infracc.compiler.report.decisions`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from infracc.compiler.ir import StackIR
from infracc.compiler.report import ComponentRow, Dump, decisions

_SETTINGS = ("size", "high_availability", "region", "cidr", "approval", "spot", "account_id", "deletion_protection")
_NETWORK = ("az_count", "nat_gateways", "nat_strategy", "flow_log_retention_days")
_SIZING = ("profile", "cpu", "memory_mib", "replicas_min", "replicas_max", "cpu_target", "instance_class",
           "storage_gb", "multi_az", "node_type", "num_nodes", "lambda_memory_mb", "volume_gb",
           "infrequent_access_after_days")
_RETENTION = ("log_retention_days", "backup_retention_days", "deletion_protection", "final_snapshot",
              "access_logging", "alarms", "automatic_backups")
_OPTIMIZATION = ("arch", "capacity", "storage_type")


@dataclass
class Change:
    area: str          # environment | network | sizing | retention | optimization | cost | policy | component
    subject: str       # "prod", "api", a rule id
    field: str
    before: object
    after: object


@dataclass
class EnvDiff:
    stack: str
    source: str
    target: str
    changes: list[Change]
    cost_before: float
    cost_after: float

    @property
    def cost_delta(self) -> float:
        return round(self.cost_after - self.cost_before, 2)


def diff(ir: StackIR, source: str, target: str) -> EnvDiff:
    data = decisions(ir)["environments"]
    a, b = data[source], data[target]
    changes = _fields("environment", "settings", a["settings"], b["settings"], _SETTINGS)
    changes += _fields("network", "network", a["network"] or {}, b["network"] or {}, _NETWORK)
    changes += _components(a["components"], b["components"])
    changes += _policies(a["controls"], b["controls"])
    cost_a, cost_b = (a["cost"] or {}).get("monthly", 0.0), (b["cost"] or {}).get("monthly", 0.0)
    return EnvDiff(ir.name, source, target, changes, cost_a, cost_b)


def _fields(area: str, subject: str, a: Dump, b: Dump, keys: tuple[str, ...]) -> list[Change]:
    return [Change(area, subject, k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def _components(a: dict[str, ComponentRow], b: dict[str, ComponentRow]) -> list[Change]:
    changes = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            changes.append(Change("component", name, "present", name in a, name in b))
            continue
        ra, rb = a[name], b[name]
        for area, da, db, keys in (("sizing", ra["sizing"], rb["sizing"], _SIZING),
                                   ("retention", ra["retention"], rb["retention"], _RETENTION),
                                   ("optimization", ra["optimization"], rb["optimization"], _OPTIMIZATION)):
            changes += _fields(area, name, da or {}, db or {}, keys)
        cost_a, cost_b = (a[name]["cost"] or {}).get("monthly"), (b[name]["cost"] or {}).get("monthly")
        if cost_a != cost_b:
            changes.append(Change("cost", name, "monthly", cost_a, cost_b))
    return changes


def _policies(a: list[Dump], b: list[Dump]) -> list[Change]:
    rules_a, rules_b = {c["rule"]: c for c in a}, {c["rule"]: c for c in b}
    changes = []
    for rule in sorted(set(rules_a) | set(rules_b)):
        if (rule in rules_a) != (rule in rules_b):
            title = (rules_a.get(rule) or rules_b[rule])["title"]
            changes.append(Change("policy", rule, title, rule in rules_a, rule in rules_b))
    return changes


def as_json(d: EnvDiff) -> str:
    payload = {"stack": d.stack, "from": d.source, "to": d.target,
               "cost": {"from": d.cost_before, "to": d.cost_after, "delta": d.cost_delta, "currency": "USD"},
               "changes": [asdict(c) for c in d.changes]}
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _cost_line(d: EnvDiff) -> str:
    sign = "+" if d.cost_delta >= 0 else "−"
    pct = f" ({d.cost_delta / d.cost_before * 100:+.0f}%)" if d.cost_before else ""
    return (f"monthly cost: ${d.cost_before:,.2f} → ${d.cost_after:,.2f} "
            f"({sign}${abs(d.cost_delta):,.2f}){pct}")


def as_text(d: EnvDiff) -> str:
    out = [f"{d.stack}: {d.source} → {d.target}", _cost_line(d), ""]
    if not d.changes:
        out.append("no effective differences")
    width = max((len(f"{c.area} {c.subject}.{c.field}") for c in d.changes), default=0)
    for c in d.changes:
        label = f"{c.area} {c.subject}.{c.field}"
        out.append(f"  {label:<{width}}  {_show(c.before)} → {_show(c.after)}")
    return "\n".join(out) + "\n"


def as_markdown(d: EnvDiff) -> str:
    out = [f"### `{d.stack}`: `{d.source}` → `{d.target}`\n", f"**{_cost_line(d)}**\n"]
    if not d.changes:
        return "\n".join([*out, "No effective differences.\n"])
    out += ["| area | subject | field | " + d.source + " | " + d.target + " |", "|---|---|---|---|---|"]
    for c in d.changes:
        out.append(f"| {c.area} | `{c.subject}` | {c.field} | {_show(c.before)} | {_show(c.after)} |")
    return "\n".join(out) + "\n"


def render(d: EnvDiff, fmt: str) -> str:
    return {"json": as_json, "markdown": as_markdown}.get(fmt, as_text)(d)
