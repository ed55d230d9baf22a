"""Every decision on the IR as plain data (`compile --format json`, `diff`, the MCP server)."""
from __future__ import annotations

from infracc.compiler.ir import StackIR

_DECISIONS = ("sizing", "security", "encryption", "retention", "optimization", "cost")


def decisions(ir: StackIR) -> dict:
    return {
        "stack": {"name": ir.name, "platform": ir.platform, "region": ir.region,
                  "compliance": ir.compliance, "domain": ir.domain},
        "environments": {name: _env(env) for name, env in ir.envs.items()},
    }


def _env(env) -> dict:
    components = {}
    for comp in env.graph:
        row = {"kind": comp.kind, "env": [v.model_dump(mode="json") for v in comp.env],
               "allowances": [a.model_dump(mode="json") for a in comp.allowances]}
        for field in _DECISIONS:
            value = getattr(comp, field)
            row[field] = value.model_dump(mode="json") if value is not None else None
        row["uses"] = [{"target": c.target, "mode": c.mode,
                        "network": c.network.model_dump(mode="json") if c.network else None,
                        "grant": c.grant.model_dump(mode="json") if c.grant else None}
                       for c in env.graph.uses(comp.id)]
        components[comp.name] = row
    return {
        "settings": env.settings.model_dump(mode="json", exclude={"allow"}),
        "network": env.network.model_dump(mode="json") if env.network else None,
        "nodes": env.nodes.model_dump(mode="json") if env.nodes else None,
        "cost": env.cost.model_dump(mode="json") if env.cost else None,
        "controls": [c.model_dump(mode="json") for c in env.controls],
        "components": components,
    }
