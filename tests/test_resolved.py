"""The resolved model: backends never read the raw spec; every default is decided once."""
from __future__ import annotations

import ast

import pytest
from conftest import ROOT

from infracc.compiler import resolved
from infracc.compiler.pipeline import analyze, emit

# Modules that translate decisions into output: they read `Component.resolved` and the pass
# decisions, never `Component.spec` (the raw spec with its shorthands).
READERS = sorted([*(ROOT / "backends").rglob("*.py"),
                  *(ROOT / "compiler" / n for n in ("tasks.py", "graph_view.py", "cost_report.py", "mcp_server.py",
                                                     "env_diff.py", "report.py"))])


def _spec_reads(path, root=ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "spec":
            found.append(f"{path.relative_to(root)}:{node.lineno}: .spec")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "spec"):
            found.append(f"{path.relative_to(root)}:{node.lineno}: getattr(..., 'spec')")
    return found


def test_no_backend_reads_the_raw_spec() -> None:
    reads = [r for p in READERS if p.exists() for r in _spec_reads(p)]
    assert not reads, "backends must read comp.resolved / decisions, not comp.spec:\n" + "\n".join(reads)


def test_the_scan_finds_a_spec_read(tmp_path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f(c):\n    return c.spec.port, getattr(c, 'spec')\n")
    assert len(_spec_reads(probe, tmp_path)) == 2


SHORT = """\
infracc: 1
name: hello
targets: [terraform, kubernetes, helm, docker, compose, ci, docs]   # every backend (ecs asks for kubernetes)
services:
  app: {image: "nginx:1.27", port: 8080, public: true}
  canary: {image: "nginx:1.27", port: 8081, deploy: {strategy: canary}}
  worker: {image: "busybox:1.36", command: [sleep, "3600"]}
jobs:
  once: {image: "busybox:1.36", command: ["true"]}
"""


def test_shorthands_resolve_to_one_shape() -> None:
    result = analyze(text=SHORT, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics]
    env = next(iter(result.ir.envs.values()))
    app = resolved.service(env.graph.component("service.app"))
    assert app.public == resolved.Exposure(path="/", cdn=False, host=None)
    assert app.probe.kind == "http" and app.probe.path == "/"
    canary = resolved.service(env.graph.component("service.canary"))
    assert canary.rollout.strategy == "canary" and canary.rollout.steps == resolved.CANARY_STEPS
    assert canary.public is None
    worker = resolved.service(env.graph.component("service.worker"))
    assert worker.probe.kind == "none" and worker.port is None
    once = resolved.job(env.graph.component("job.once"))
    assert once.timeout_seconds == resolved.JOB_TIMEOUT_SECONDS and once.schedule is None


def test_shorthand_stack_compiles_through_every_backend() -> None:
    result = analyze(text=SHORT, source_dir=str(ROOT))
    emit(result)
    assert result.files
    # The same probe timings everywhere (resolved once): Kubernetes and compose here.
    k8s = next(t for p, t in result.files.items() if p.parts[0] == "kubernetes" and p.name == "deployment-app.yaml")
    assert f"periodSeconds: {resolved.PROBE_INTERVAL_SECONDS}" in k8s


def test_backend_without_the_resolve_pass_is_a_usage_error() -> None:
    result = analyze(text=SHORT, source_dir=str(ROOT))
    for env in result.ir.envs.values():
        for comp in env.graph:
            comp.resolved = None
    with pytest.raises(resolved.ResolvedMissing, match="resolve pass has not run"):
        emit(result, ["kubernetes"])
