"""`infracc hook …`: the commands behind `.pre-commit-hooks.yaml`.

pre-commit passes every matching file at once (`entry args files…`), while `validate` and
`compile` take one stack, so these wrappers loop. `compile-check` resolves `--out` relative
to each stack's directory: `-o out` with `examples/a/stack.yaml` checks `examples/a/out/`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def hook() -> None:
    """Entry points for pre-commit (`.pre-commit-hooks.yaml`); each takes many stack files."""


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


@hook.command(name="validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def hook_validate(files: tuple[str, ...]) -> None:
    """`infracc validate` every given stack (default: every stack.yaml below the current directory)."""
    codes = [_run(["validate", str(stack)]) for stack in _stacks(files)]
    sys.exit(max(codes, default=0))


@hook.command(name="compile-check")
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
