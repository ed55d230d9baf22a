"""Docs backend: the runbook a new operator deploys and operates the stack from.

Files (under `docs/`): `README.md` (inventory, setup, promotion, rollback, scaling, secrets,
backups with RPO/RTO, alarms, cost, security, compliance, GDPR data inventory),
`architecture.md` (Mermaid per environment), `architecture.dot` (Graphviz; render with
`dot -Tsvg architecture.dot -o architecture.svg`), `cost.md` and `<env>.md` per environment.
Everything is read from the IR decisions and `infracc.compiler.naming`; the commands come from
the helpers of `infracc.compiler.tasks`, so the runbook and `infracc tasks` say the same thing.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from infracc.backends.docs.facts import facts
from infracc.backends.templating import render
from infracc.compiler import cost_report, graph_view
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR


def emit(ir: StackIR) -> tuple[dict[PurePosixPath, str], list[Diagnostic]]:
    envs = list(ir.envs.values())
    mermaid = {env.name: graph_view.mermaid(env) for env in envs}
    cost = cost_report.markdown(envs, ir.name)
    levers = {env.name: cost_report.levers_markdown(env) for env in envs}
    ctx = {"ir": ir, "envs": envs, "mermaid": mermaid, "cost": cost, "f": facts(ir), "levers": levers}
    files = {
        PurePosixPath("docs/README.md"): render("docs/README.md.j2", **ctx),
        PurePosixPath("docs/architecture.md"): render("docs/architecture.md.j2", **ctx),
        PurePosixPath("docs/cost.md"): f"# {ir.name} — monthly cost estimate\n\n" + cost,
        PurePosixPath("docs/architecture.dot"): "".join(graph_view.dot(env) for env in envs),
    }
    for env in envs:
        files[PurePosixPath(f"docs/{env.name}.md")] = render("docs/env.md.j2", **ctx, env=env)
    return files, []
