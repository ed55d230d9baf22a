"""Every decision on the IR as plain data (`compile --format json`, `diff`, the MCP server)."""
from __future__ import annotations

from typing import Any, TypedDict

from pydantic import BaseModel

from infracc.compiler.ir import EnvIR, StackIR

Dump = dict[str, Any]  # one decision as `model_dump(mode="json")` gives it


class UseRow(TypedDict):
    target: str
    mode: str | None
    network: Dump | None
    grant: Dump | None


class ComponentRow(TypedDict):
    kind: str
    env: list[Dump]
    allowances: list[Dump]
    sizing: Dump | None
    security: Dump | None
    encryption: Dump | None
    retention: Dump | None
    optimization: Dump | None
    cost: Dump | None
    uses: list[UseRow]


class EnvRow(TypedDict):
    settings: Dump
    network: Dump | None
    nodes: Dump | None
    levers: Dump | None
    cost: Dump | None
    controls: list[Dump]
    components: dict[str, ComponentRow]


class StackRow(TypedDict):
    name: str
    platform: str
    region: str
    compliance: list[str]
    domain: str | None


class Decisions(TypedDict):
    stack: StackRow
    environments: dict[str, EnvRow]


def decisions(ir: StackIR) -> Decisions:
    return {
        "stack": {"name": ir.name, "platform": ir.platform, "region": ir.region,
                  "compliance": ir.compliance, "domain": ir.domain},
        "environments": {name: _env(env) for name, env in ir.envs.items()},
    }


def _dump(value: BaseModel | None) -> Dump | None:
    return value.model_dump(mode="json") if value is not None else None


def _env(env: EnvIR) -> EnvRow:
    components: dict[str, ComponentRow] = {}
    for comp in env.graph:
        components[comp.name] = {
            "kind": comp.kind, "env": [v.model_dump(mode="json") for v in comp.env],
            "allowances": [a.model_dump(mode="json") for a in comp.allowances],
            "sizing": _dump(comp.sizing), "security": _dump(comp.security), "encryption": _dump(comp.encryption),
            "retention": _dump(comp.retention), "optimization": _dump(comp.optimization), "cost": _dump(comp.cost),
            "uses": [{"target": c.target, "mode": c.mode, "network": _dump(c.network), "grant": _dump(c.grant)}
                     for c in env.graph.uses(comp.id)],
        }
    return {
        "settings": env.settings.model_dump(mode="json", exclude={"allow"}),
        "network": _dump(env.network),
        "nodes": _dump(env.nodes),
        "levers": _dump(env.levers),
        "cost": _dump(env.cost),
        "controls": [c.model_dump(mode="json") for c in env.controls],
        "components": components,
    }
