"""Docker backend: `docker/<workload>/Dockerfile` + `.dockerignore` per built workload.

Translates the `BuildPlan` decision of the build_context pass (base images, package manager,
CMD, probe) through the Jinja2 templates in `library/templates/docker/`. Dockerfiles are the
same in every environment, so the first environment's IR is read.
"""
from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from infracc.backends.templating import render
from infracc.compiler import naming, resolved
from infracc.compiler.decisions import BuildPlan
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import WORKLOAD_KINDS, Component, StackIR

UV_VERSION = "0.5.11"
IGNORES = {
    "python": ["**/__pycache__", "**/*.pyc", ".venv", ".pytest_cache", ".mypy_cache"],
    "node": ["node_modules", "npm-debug.log*", "coverage"],
    "go": ["bin", "*.test"],
    "java": ["target", "build", ".gradle"],
    "static": ["node_modules", "coverage"],
}


def built_workloads(ir: StackIR) -> list[Component]:
    """Workloads with a build plan, in spec order (first environment)."""
    env = next(iter(ir.envs.values()))
    return [c for c in env.graph.components(*WORKLOAD_KINDS) if c.build is not None]


def emit(ir: StackIR) -> tuple[dict[PurePosixPath, str], list[Diagnostic]]:
    files: dict[PurePosixPath, str] = {}
    rows: list[dict[str, Any]] = []
    for comp in built_workloads(ir):
        plan = comp.build
        assert plan is not None  # built_workloads keeps only components with a plan
        view = _view(ir, comp, plan)
        rows.append(view)
        if not plan.generated:
            continue
        folder = PurePosixPath("docker", comp.name)
        files[folder / "Dockerfile"] = render(f"docker/{plan.language}.Dockerfile.j2", w=view)
        ignore = render("docker/dockerignore.j2", extra=IGNORES[plan.language])
        files[folder / ".dockerignore"] = ignore
        files[folder / "Dockerfile.dockerignore"] = ignore
    if rows:
        files[PurePosixPath("docker", "README.md")] = render(
            "docker/README.md.j2", stack=ir.name, workloads=rows, uid=rows[0]["user"].split(":")[0])
    return files, []


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")


def _view(ir: StackIR, comp: Component, plan: BuildPlan) -> dict[str, Any]:
    """Everything a template needs, already formatted (exec forms as JSON arrays)."""
    description = (resolved.of(comp).description or f"{comp.kind} {comp.name} of {ir.name}").strip()
    bases = [b for b in (plan.builder_image, plan.runtime_image) if b]
    return {
        "name": comp.name, "kind": comp.kind, "language": plan.language, "context": plan.context,
        "dockerfile": plan.dockerfile, "generated": plan.generated,
        "repository": naming.image_repository(ir.name, comp.name),
        "title": _quote(f"{ir.name}/{comp.name}"), "description": _quote(" ".join(description.split())),
        "vendor": _quote(ir.owner or ir.name),
        "builder_image": plan.builder_image, "runtime_image": plan.runtime_image,
        "package_manager": plan.package_manager, "dependency_files": plan.dependency_files,
        "npm_install": "npm ci" if "package-lock.json" in plan.dependency_files else "npm install",
        "uv_version": UV_VERSION, "build_script": plan.build_script, "artifact": plan.artifact,
        "probe": plan.probe, "port": plan.port, "user": f"{plan.run_as_user}:{plan.run_as_group}",
        "healthcheck": json.dumps(plan.healthcheck) if plan.healthcheck else None,
        "healthcheck_note": plan.healthcheck_note, "command": json.dumps(plan.command), "size": plan.size,
        "bases": " → ".join(f"`{b}`" for b in bases) if bases else f"own `{plan.dockerfile}`",
        "command_md": f"`{' '.join(plan.command)}` ({plan.command_source})" if plan.command else "own Dockerfile",
        "health_md": (f"`{' '.join(plan.healthcheck)}`" if plan.healthcheck
                      else (plan.healthcheck_note or "own Dockerfile")),
    }
