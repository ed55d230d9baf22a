"""Docs backend: `docs/README.md` (overview) and one page per environment."""
from __future__ import annotations

from pathlib import PurePosixPath

from infracc.backends.templating import render
from infracc.compiler import graph_view
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR


def emit(ir: StackIR) -> tuple[dict[PurePosixPath, str], list[Diagnostic]]:
    files: dict[PurePosixPath, str] = {}
    envs = list(ir.envs.values())
    files[PurePosixPath("docs/README.md")] = render(
        "docs/README.md.j2", ir=ir, envs=envs, mermaid=graph_view.mermaid(envs[-1]))
    for env in envs:
        files[PurePosixPath(f"docs/{env.name}.md")] = render(
            "docs/env.md.j2", ir=ir, env=env, mermaid=graph_view.mermaid(env))
    return files, []
