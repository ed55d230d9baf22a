"""Workflow commands: `tasks`, `diff`, `check` (registered at the end of `cli.py`).

Nothing of the compiler is imported until a command runs (see `cli.py`)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from infracc.compiler.cli_types import Settings, base_dir_option, color, say, stack_argument

if TYPE_CHECKING:
    from infracc.compiler.pipeline import Result


def analyzed(stack: str, base_dir: str | None = None) -> Result:
    """Analyze a stack (a file, or `-` for stdin) or exit 1 with its diagnostics when it has errors
    (a missing file is a usage error, exit 2, from the STACK argument)."""
    from infracc.compiler import render
    from infracc.compiler.cli_types import analyze_stack

    result = analyze_stack(stack, base_dir)
    if not result.ok or result.ir is None:
        shown = [d for d in result.diagnostics if d.is_error or not Settings.quiet]
        click.echo(render.as_text(shown, result.source, color()), err=True, nl=False)
        sys.exit(1)
    return result


def _known_env(result: Result, name: str | None, option: str) -> None:
    assert result.ir is not None
    if name is not None and name not in result.ir.envs:
        raise click.BadParameter(f"no environment {name!r}; environments: {', '.join(result.ir.envs)}",
                                 param_hint=option)


@click.command(short_help="The ordered task checklist to stand the stack up.", epilog="""\b
Examples:
  infracc tasks stack.yaml --env prod           # Markdown checklist
  infracc tasks stack.yaml --format json | jq '.tasks[].title'""")
@stack_argument
@base_dir_option
@click.option("--env", "env_name", help="Only this environment (plus the bootstrap it needs).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
def tasks(stack: str, base_dir: str | None, env_name: str | None, fmt: str) -> None:
    """Ordered infrastructure task checklist: bootstrap the state bucket and CI, then per
    environment build images, apply, set secrets, migrate, deploy and verify; every command
    non-interactive."""
    from infracc.compiler import tasks as t

    result = analyzed(stack, base_dir)
    _known_env(result, env_name, "--env")
    assert result.ir is not None
    items = t.breakdown(result.ir, env_name)
    click.echo((t.as_json if fmt == "json" else t.as_markdown)(result.ir, items), nl=False)


@click.command(name="diff", short_help="What changes between two environments, for promotion reviews.", epilog="""\b
Examples:
  infracc diff stack.yaml --from staging --to prod
  infracc diff stack.yaml --from dev --to prod --format markdown > promotion.md""")
@stack_argument
@base_dir_option
@click.option("--from", "source", required=True, help="Environment promoted from, e.g. staging.")
@click.option("--to", "target", required=True, help="Environment promoted to, e.g. prod.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def diff_envs(stack: str, base_dir: str | None, source: str, target: str, fmt: str) -> None:
    """Effective differences between two environments: sizing, high availability, retention,
    deletion protection, policies and controls per component, and the monthly cost delta."""
    from infracc.compiler import env_diff

    result = analyzed(stack, base_dir)
    _known_env(result, source, "--from")
    _known_env(result, target, "--to")
    assert result.ir is not None
    click.echo(env_diff.render(env_diff.diff(result.ir, source, target), fmt), nl=False)


@click.command(short_help="Run independent validators on a compiled output directory.", epilog="""\b
Examples:
  infracc check out                       # exit 1 on findings
  infracc check out --format sarif > checks.sarif
  infracc check out --require-all         # CI: a missing validator fails too""")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--require-all", is_flag=True, help="Exit 1 when a validator is not installed.")
def check(out: str, fmt: str, require_all: bool) -> None:
    """Run the installed independent validators (kubeconform or kubernetes-validate, helm lint,
    checkov, hadolint) on a compiled output directory and print one report; exit 1 on findings.
    A validator that is not installed is listed with how to install it, never counted as passing."""
    from infracc.compiler.checks import report, run_all

    if not Path(out).is_dir():
        raise click.BadParameter(f"directory {out!r} does not exist; run `infracc compile` first", param_hint="OUT")
    outcome = run_all(Path(out), progress=not Settings.quiet and sys.stderr.isatty(), color=color())
    click.echo(report.render(outcome, fmt), nl=False)
    failed = bool(outcome.findings) or any(r.error for r in outcome.runs)
    sys.exit(1 if failed or (require_all and outcome.missing) else 0)


@click.command(short_help="Serve the Model Context Protocol over stdio (for agents).", epilog="""\b
Examples:
  infracc mcp          # an MCP client starts it: {"command": "infracc", "args": ["mcp"]}
  pip install 'infracc[mcp]'   # the extra it needs""")
def mcp() -> None:
    """Serve the Model Context Protocol over stdio. Tools: validate_spec, compile, estimate_cost,
    explain_rule, get_schema, diff_environments, tasks; resources: the schema and the examples.
    A failing tool returns its diagnostics as structured content."""
    from infracc.compiler.cli_types import require_extra

    require_extra("mcp", "`infracc mcp`")
    from infracc.compiler.mcp_server import serve

    serve()


@click.group(short_help="Install the agent definitions infracc ships, for Claude Code.", epilog="""\b
Examples:
  infracc agent install          # .claude/agents/infrastructure-manager.md
  infracc agent install --user   # ~/.claude/agents/""")
def agent() -> None:
    """The agent definitions infracc ships (agents/), for Claude Code."""


@agent.command(name="install", short_help="Put the agent where Claude Code finds it.")
@click.option("--user", "user_level", is_flag=True,
              help="Install for every project of this user (~/.claude/agents/) instead of this project.")
@click.option("--project", "project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Project directory whose .claude/agents/ receives the agent.")
@click.option("--force", is_flag=True, help="Overwrite an agent file that was edited since infracc installed it.")
def agent_install(user_level: bool, project: str, force: bool) -> None:
    """Put the infrastructure-manager agent where Claude Code finds it.

    Writes `.claude/agents/infrastructure-manager.md` in the project (or ~/.claude/agents/ with
    --user). Running it again changes nothing; a newer infracc updates the copy it installed; a copy
    you edited is kept (exit 1) unless --force.

    \b
    Examples:
      infracc agent install              # .claude/agents/ of the current directory
      infracc agent install --user       # ~/.claude/agents/, for every project
    """
    from infracc.compiler.agent_install import install
    from infracc.compiler.version import VERSION

    folder = (Path.home() if user_level else Path(project)) / ".claude" / "agents"
    outcomes = install(folder, VERSION, force=force)
    for o in outcomes:
        if o.status == "kept (modified)":
            click.echo(f"{o.path}: edited since infracc installed it; kept (rerun with --force to replace it)",
                       err=True)
        else:
            say(f"{o.path}: {o.status}")
    sys.exit(1 if any(o.status == "kept (modified)" for o in outcomes) else 0)
