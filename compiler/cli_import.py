"""`infracc import compose FILE` and `infracc import copilot DIR`: write a stack.yaml from what a team has.

Both print a lossiness report (what was not carried over, with file:line:col), then validate the
written stack the way `infracc validate` does. Exit 0: imported and valid; 1: the input has errors
or the written stack does not validate (the report says what to decide); 2: usage error.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from infracc.compiler import render
from infracc.compiler.cli_types import color
from infracc.compiler.importers.check import Outcome, finish

FORMAT = click.Choice(["text", "json"])


@click.group(name="import", context_settings={"help_option_names": ["-h", "--help"]}, epilog="""\b
Examples:
  infracc import compose docker-compose.yml           # writes stack.yaml beside it
  infracc import copilot . -o stack.yaml              # an AWS Copilot workspace
  infracc import compose compose.yaml -o - | less     # print instead of writing""")
def import_group() -> None:
    """Bring a docker-compose file or an AWS Copilot workspace into a stack.yaml: prints what
    could not be carried over (file:line:col), then validates the written stack."""


@import_group.command(name="compose", short_help="Import a docker-compose file.", epilog="""\b
Examples:
  infracc import compose docker-compose.yml
  infracc import compose docker-compose.yml -o infra/stack.yaml --force""")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False),
              help="Where to write stack.yaml (default: stack.yaml next to the compose file; `-` prints it).")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing stack.yaml.")
def compose(file: str, out: str | None, fmt: str, force: bool) -> None:
    """Import a docker-compose file: services, images and builds, ports, volumes, environment and
    the databases, caches and queues it runs, each as its infracc component."""
    from infracc.compiler.importers.compose import import_compose

    source = Path(file)
    target = _target(out, source.parent)
    imported = import_compose(source, target.parent if target else source.parent)
    _done(finish(imported.text, imported.report, target, force, imported.stack_dir), fmt, file)


@import_group.command(name="copilot", short_help="Import an AWS Copilot workspace.", epilog="""\b
Examples:
  infracc import copilot .
  infracc import copilot ../legacy-app -o stack.yaml""")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False),
              help="Where to write stack.yaml (default: stack.yaml in DIRECTORY; `-` prints it).")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing stack.yaml.")
def copilot(directory: str, out: str | None, fmt: str, force: bool) -> None:
    """Import an AWS Copilot workspace (the folder holding `copilot/`)."""
    from infracc.compiler.importers.copilot import import_copilot

    root = Path(directory)
    target = _target(out, root)
    imported = import_copilot(root, target.parent if target else root)
    _done(finish(imported.text, imported.report, target, force, imported.stack_dir), fmt, directory)


def _target(out: str | None, default_dir: Path) -> Path | None:
    if out == "-":
        return None
    return Path(out) if out else default_dir / "stack.yaml"


def _done(outcome: Outcome, fmt: str, what: str) -> None:
    if fmt == "json":
        click.echo(render.dumps(outcome.as_json()), nl=False)
    else:
        if outcome.printed is not None:
            click.echo(outcome.printed, nl=False)
        click.echo(outcome.as_text(color()), err=True, nl=False)
    sys.exit(0 if outcome.ok else 1)
