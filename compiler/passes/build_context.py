"""Build-context pass: how each built workload's image is made, decided once for every backend.

For every service or job with `build`, read its build context (lock files, entry points) and
store a `BuildPlan` on the component: base images pinned by tag (plus the spec's digest), the
package manager, CMD, the HEALTHCHECK probe and the estimated image-size reduction against a
naive single-stage image (sizes from the cited `library/images.json`). What could not be told
from the files is reported as an `IC-BUILD-*` diagnostic.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from infracc.compiler.build_detect import Detected, detect
from infracc.compiler.decisions import BuildPlan, ImageSize
from infracc.compiler.diagnostics import Diagnostic, note, warning
from infracc.compiler.ir import WORKLOAD_KINDS, Component, StackIR
from infracc.library import FOLDER

REQUIRES = frozenset({"security"})
PROVIDES = frozenset({"build"})

DEFAULT_VERSION = {"python": "3.12", "node": "22", "go": "1.23", "java": "21", "static": "22"}
# language → (builder, runtime, naive single-stage baseline); `{v}` is the language version.
IMAGES: dict[str, tuple[str, str, str]] = {
    "python": ("python:{v}-bookworm", "python:{v}-slim-bookworm", "python:{v}"),
    "node": ("node:{v}-bookworm", "node:{v}-bookworm-slim", "node:{v}"),
    "go": ("golang:{v}-bookworm", "gcr.io/distroless/static-debian12:nonroot", "golang:{v}"),
    "java": ("maven:3.9-eclipse-temurin-{v}", "eclipse-temurin:{v}-jre-noble", "maven:3.9-eclipse-temurin-{v}"),
    "static": ("node:{v}-bookworm", "nginxinc/nginx-unprivileged:1.27-alpine", "node:{v}"),
}
GRADLE_BUILDER = "gradle:8.10-jdk{v}"
STATIC_PORT = 8080  # nginx-unprivileged listens on 8080


def build_context(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for index, env in enumerate(ir.envs.values()):
        for comp in env.graph.components(*WORKLOAD_KINDS):
            if comp.spec.build is None:
                continue
            plan, found = _plan(ir, comp)
            comp.build = plan
            if index == 0:
                diags += _diagnostics(comp, plan, found)
    return diags


def _plan(ir: StackIR, comp: Component) -> tuple[BuildPlan, Detected | None]:
    build = comp.spec.build
    context = PurePosixPath(build.context).as_posix().removeprefix("./") or "."
    sec = comp.security
    user, group = (sec.run_as_user, sec.run_as_group) if sec else (10001, 10001)
    port = getattr(comp.spec, "port", None)
    if build.language == "dockerfile":
        return BuildPlan(language="dockerfile", context=context, generated=False, dockerfile=build.dockerfile or "Dockerfile",
                         port=port, run_as_user=user, run_as_group=group), None
    version = build.version or DEFAULT_VERSION[build.language]
    found = detect(build.language, Path(ir.source_dir) / context, comp.spec.command)
    builder, runtime, baseline = (ref.format(v=version) for ref in IMAGES[build.language])
    if found.package_manager == "gradle":
        builder = GRADLE_BUILDER.format(v=version)
    if build.language == "static":
        port = STATIC_PORT
    command = found.command or _fallback_command(build.language)
    probe, health, health_note = _healthcheck(comp, build.language, port)
    return BuildPlan(
        language=build.language, context=context, generated=True,
        builder_image=builder if (build.language != "static" or found.build_script) else None,
        runtime_image=runtime + (f"@{build.digest}" if build.digest else ""),
        package_manager=found.package_manager, dependency_files=found.dependency_files,
        build_script=found.build_script, artifact=found.artifact, command=command,
        command_source=found.command_source or "assumed default", port=port, healthcheck=health,
        probe=probe, healthcheck_note=health_note, run_as_user=user, run_as_group=group,
        assumptions=found.assumed, size=_size(runtime, baseline, version),
    ), found


def _fallback_command(language: str) -> list[str]:
    return {"python": ["python", "main.py"], "node": ["node", "index.js"], "go": ["/app/server"],
            "java": ["java", "-jar", "/app/app.jar"], "static": ["nginx", "-g", "daemon off;"]}[language]


def _healthcheck(comp: Component, language: str, port: int | None) -> tuple[str, list[str] | None, str | None]:
    """(probe binary to build, exec-form HEALTHCHECK command, why there is none)."""
    health = comp.spec.health
    if health is not None and not isinstance(health, str):
        return "none", list(health.command), None
    if port is None:
        why = ("run-to-completion job: the scheduler judges it by its exit status" if comp.kind == "job"
               else "background worker without `health: {command}`: nothing to probe")
        return "none", None, why
    path = health if isinstance(health, str) else "/"
    protocol = getattr(comp.spec, "protocol", "http")
    url = f"http://127.0.0.1:{port}{path}"
    if language == "python":
        if protocol != "http":
            return "none", ["python", "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), 2).close()"], None
        return "none", ["python", "-c", "import sys, urllib.request; "
                        f"sys.exit(0 if urllib.request.urlopen('{url}', timeout=2).status < 400 else 1)"], None
    if language == "node":
        if protocol != "http":
            return "none", ["node", "-e", f"require('node:net').connect({port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"], None
        return "none", ["node", "-e", f"fetch('{url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"], None
    if language == "static":
        return "none", ["wget", "-q", "--spider", url], None
    # Shell-less or curl-less runtimes: a tiny probe compiled in its own build stage.
    if language == "go":
        return "go", ["/app/probe", url], None
    return "java", ["java", "-cp", "/opt/probe", "Probe", url], None


class ImageRow(TypedDict):
    """One base image in library/images.json (its `source` is for readers only)."""

    mb: float | None  # null: no published figure
    version: str | None
    basis: str


@lru_cache(maxsize=1)
def _image_table() -> dict[str, ImageRow]:
    text = (FOLDER / "images.json").read_text(encoding="utf-8")
    table: dict[str, ImageRow] = {}
    for pattern, row in json.loads(text)["images"].items():
        mb, version, basis = row["mb"], row["version"], row["basis"]
        if not ((mb is None or isinstance(mb, int | float)) and (version is None or isinstance(version, str)) and isinstance(basis, str)):
            raise ValueError(f"library/images.json: `{pattern}` needs a number or null `mb`, a text or null `version`, a text `basis`")
        table[pattern] = {"mb": mb, "version": version, "basis": basis}
    return table


def image_size(ref: str, version: str) -> tuple[float | None, str]:
    """Size (MB) of a base image reference from library/images.json, and how it was measured."""
    for pattern, row in _image_table().items():
        if pattern.format(v=version) == ref and (row["version"] is None or row["version"] == version):
            return row["mb"], row["basis"]
    return None, "no figure in library/images.json"


def _size(runtime: str, baseline: str, version: str) -> ImageSize:
    runtime_mb, basis = image_size(runtime, version)
    baseline_mb, _ = image_size(baseline, version)
    reduction = None
    if runtime_mb is not None and baseline_mb:
        reduction = round(100 * (1 - runtime_mb / baseline_mb), 1)
    return ImageSize(runtime_image=runtime, runtime_mb=runtime_mb, baseline_image=baseline,
                     baseline_mb=baseline_mb, reduction_percent=reduction, basis=basis)


def _diagnostics(comp: Component, plan: BuildPlan, found: Detected | None) -> list[Diagnostic]:
    where = comp.where("build")
    if found is None:
        return [note("IC-BUILD-001", f"{comp.kind} `{comp.name}` is built from its own `{plan.dockerfile}` in "
                     f"`{plan.context}`; infracc generates no Dockerfile for it", where)]
    out: list[Diagnostic] = []
    if not found.command:
        out.append(warning("IC-BUILD-002", f"no entry point found in `{plan.context}` for {comp.kind} `{comp.name}`; "
                           f"assumed CMD {json.dumps(plan.command)}", where, "set `command:` on the workload"))
    if found.missing_lock:
        out.append(warning("IC-BUILD-003", f"no dependency manifest or lock file in `{plan.context}` for "
                           f"{comp.kind} `{comp.name}`; dependencies are not installed reproducibly", where))
    for text in found.assumed:
        out.append(warning("IC-BUILD-002", f"{comp.kind} `{comp.name}`: assumed {text}", where))
    if plan.healthcheck is None:
        out.append(note("IC-BUILD-004", f"{comp.kind} `{comp.name}` gets no HEALTHCHECK: {plan.healthcheck_note}", where))
    if plan.size and plan.size.reduction_percent is None:
        out.append(note("IC-BUILD-005", f"image size of `{plan.size.runtime_image}` or `{plan.size.baseline_image}` "
                        "is not in library/images.json; no size estimate", where))
    return out
