"""`infracc hook …`: the commands behind `.pre-commit-hooks.yaml`.

pre-commit passes every matching file at once (`entry args files…`), while `validate` and
`compile` take one stack, so these wrappers loop. `compile-check` resolves `--out` relative
to each stack's directory: `-o out` with `examples/a/stack.yaml` checks `examples/a/out/`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group(short_help="Entry points for pre-commit hooks (many stacks at once).", epilog="""\b
Examples:
  infracc hook validate                       # every stack.yaml below the current directory
  infracc hook compile-check -o out a/stack.yaml b/stack.yaml""")
def hook() -> None:
    """Entry points for pre-commit (`.pre-commit-hooks.yaml`): each takes many stack files at once
    and runs `validate` or `compile --check` on every one; the worst exit code wins."""


def _stacks(files: tuple[str, ...]) -> list[Path]:
    if files:
        return [Path(f) for f in files]
    found = sorted(p for p in Path(".").glob("**/stack.y*ml") if ".git" not in p.parts)
    return [p for p in found if p.name in ("stack.yaml", "stack.yml")]


def _run(args: list[str]) -> int:
    import subprocess  # here: every infracc command imports this module, only hooks start processes

    # A child process per stack keeps each command's own output and exit code untouched.
    return subprocess.run([sys.executable, "-c", "from infracc.compiler.cli import main; main()", *args],
                          check=False).returncode


@hook.command(name="validate", short_help="`infracc validate` every given stack.", epilog="""\b
Examples:
  infracc hook validate                          # every stack.yaml below the current directory
  infracc hook validate a/stack.yaml b/stack.yaml""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def hook_validate(files: tuple[str, ...]) -> None:
    """`infracc validate` every given stack (default: every stack.yaml below the current directory)."""
    codes = [_run(["validate", str(stack)]) for stack in _stacks(files)]
    sys.exit(max(codes, default=0))


@hook.command(name="compile-check", short_help="`infracc compile --check` every given stack.", epilog="""\b
Examples:
  infracc hook compile-check -o out a/stack.yaml   # checks a/out/
  infracc hook compile-check -o /tmp/out stack.yaml""")
@click.option("-o", "--out", default="out", show_default=True,
              help="Output directory, relative to each stack's own directory (absolute paths are used as given).")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def hook_compile_check(out: str, files: tuple[str, ...]) -> None:
    """`infracc compile --check`: fail when a stack's generated output is stale or missing."""
    codes = []
    for stack in _stacks(files):
        target = Path(out) if Path(out).is_absolute() else stack.parent / out
        codes.append(_run(["compile", str(stack), "-o", str(target), "--check"]))
    sys.exit(max(codes, default=0))
