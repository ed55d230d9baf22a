"""Generated stacks for the benchmarks: `services` services sharing databases, queues and buckets."""
from __future__ import annotations


def generated_stack(services: int) -> str:
    lines = ["infracc: 1", f"name: bench{services}", "region: eu-west-1", "services:"]
    stores = max(services // 10, 1)
    for i in range(services):
        uses = [f"db{i % stores}", f"q{i % stores}:send", f"b{i % stores}:read"]
        if i:
            uses.append(f"svc{i - 1}")
        lines += [f"  svc{i}:", f"    image: ghcr.io/acme/svc{i}:1.0.{i}", "    port: 8080",
                  f"    uses: [{', '.join(uses)}]", "    env: {LOG_LEVEL: info}"]
    lines.append("databases:")
    lines += [f"  db{i}: {{storage_gb: 50}}" for i in range(stores)]
    lines.append("queues:")
    lines += [f"  q{i}: {{}}" for i in range(stores)]
    lines.append("buckets:")
    lines += [f"  b{i}: {{}}" for i in range(stores)]
    return "\n".join(lines) + "\n"
