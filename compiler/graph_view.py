"""The IR graph as Mermaid, Graphviz dot or JSON (`infracc graph`, and the docs backend)."""
from __future__ import annotations

import json

from infracc.compiler import resolved
from infracc.compiler.ir import EnvIR

SHAPES = {  # Mermaid node shapes per kind: stores are cylinders, entry points are stadiums.
    "service": ('["', '"]'), "job": ('[/"', '"/]'), "function": ('[["', '"]]'),
    "database": ('[("', '")]'), "cache": ('[("', '")]'), "bucket": ('[("', '")]'),
    "queue": ('>"', '"]'), "table": ('[("', '")]'), "filesystem": ('[("', '")]'), "site": ('(["', '"])'),
    "external": ('[\\"', '"\\]'), "secret": ('{{"', '"}}'),
}


XRAY = "xray"


def traced(env: EnvIR) -> list[str]:
    """Ids of the components that send traces to X-Ray (`infracc graph` runs no sizing, so the
    resolved `tracing`, which the tracing pass's decision always follows)."""
    return [c.id for c in env.graph.components("service", "job", "function")
            if (t := resolved.tracing(c)) is not None and t.enabled]


def node_key(node_id: str) -> str:
    return node_id.replace(".", "_").replace("-", "_")


def mermaid(env: EnvIR) -> str:
    lines = ["flowchart LR"]
    public = [c for c in env.graph.components("service", "site")
              if c.kind == "site" or resolved.public(c) is not None]
    if public:
        lines.append('  internet(("internet"))')
    for comp in env.graph.components():
        if comp.kind == "external":
            continue
        left, right = SHAPES[comp.kind]
        lines.append(f"  {node_key(comp.id)}{left}{comp.kind}: {comp.name}{right}")
    externals = env.graph.components("external")
    if externals:  # outside the AWS account: reached over the internet (NAT), not filtered by name
        lines.append('  subgraph outside["outside AWS"]')
        left, right = SHAPES["external"]
        lines += [f"    {node_key(c.id)}{left}external: {c.name}{right}" for c in externals]
        lines.append("  end")
    # Public tcp services are reached through the network load balancer (endpoints pass).
    tcp = {c.id for c in public if c.endpoint is not None and c.endpoint.balancer == "nlb"}
    if tcp:
        lines.append('  nlb{{"network load balancer"}}')
        lines.append("  internet --> nlb")
    for comp in public:
        lines.append(f"  {'nlb' if comp.id in tcp else 'internet'} --> {node_key(comp.id)}")
    for conn in sorted(env.graph.connections(), key=lambda c: (c.source, c.target)):
        label = f"|{conn.mode}|" if conn.mode else ""
        lines.append(f"  {node_key(conn.source)} -->{label} {node_key(conn.target)}")
    for comp in env.graph.components("function"):
        trig = resolved.function(comp).trigger
        name = (trig.bucket if isinstance(trig, resolved.BucketTrigger) else trig.queue
                if isinstance(trig, resolved.QueueTrigger) else trig.table if isinstance(trig, resolved.TableTrigger) else None)
        if trig is not None and name and env.graph.get(f"{trig.kind}.{name}"):
            lines.append(f"  {node_key(f'{trig.kind}.{name}')} -.->|triggers| {node_key(comp.id)}")
    sends = traced(env)
    if sends:
        lines.append(f'  {XRAY}{{{{"AWS X-Ray"}}}}')
        lines += [f"  {node_key(i)} -.->|traces| {XRAY}" for i in sends]
    return "\n".join(lines) + "\n"


def dot(env: EnvIR) -> str:
    lines = [f'digraph "{env.name}" {{', "  rankdir=LR;"]
    externals = env.graph.components("external")
    if externals:
        lines.append('  subgraph cluster_outside { label="outside AWS";')
        lines += [f'    "{c.id}" [label="external: {c.name}", shape=parallelogram];' for c in externals]
        lines.append("  }")
    for comp in env.graph.components():
        if comp.kind == "external":
            continue
        shape = "cylinder" if comp.kind in ("database", "cache", "bucket", "queue", "table", "filesystem") else "box"
        lines.append(f'  "{comp.id}" [label="{comp.kind}: {comp.name}", shape={shape}];')
    for conn in sorted(env.graph.connections(), key=lambda c: (c.source, c.target)):
        label = f' [label="{conn.mode}"]' if conn.mode else ""
        lines.append(f'  "{conn.source}" -> "{conn.target}"{label};')
    sends = traced(env)
    if sends:
        lines.append(f'  "{XRAY}" [label="AWS X-Ray", shape=hexagon];')
        lines += [f'  "{i}" -> "{XRAY}" [label="traces", style=dashed];' for i in sends]
    lines.append("}")
    return "\n".join(lines) + "\n"


def as_json(env: EnvIR) -> str:
    data = {
        "environment": env.name,
        "nodes": [{"id": c.id, "kind": c.kind, "name": c.name} for c in env.graph.components()],
        "edges": [{"source": c.source, "target": c.target, "mode": c.mode}
                  for c in sorted(env.graph.connections(), key=lambda c: (c.source, c.target))],
        "traced": traced(env),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
