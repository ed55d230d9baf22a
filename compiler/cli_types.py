"""What every command shares and that costs nothing at import: parameter types, the global
options (`--no-color`, `-q`), the STACK argument (a file or `-` for stdin), progress on a
terminal, and the optional extras."""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from infracc.compiler.pipeline import Result

F = TypeVar("F", bound=Callable[..., Any])
STDIN = "-"
STDIN_NAME = "<stdin>"  # how diagnostics name a spec read from stdin


class Settings:
    """The global options of this invocation (set by the `infracc` group for every command)."""

    quiet = False
    no_color = False


def color(stream: IO[str] | None = None) -> bool:
    """Colour on a terminal, unless `--no-color` or NO_COLOR (any non-empty value, no-color.org)."""
    stream = stream or sys.stderr
    return not Settings.no_color and not os.environ.get("NO_COLOR") and stream.isatty()


def say(message: str, err: bool = False) -> None:
    """Output that is neither an error nor what the command was asked for: `-q` drops it."""
    if not Settings.quiet:
        click.echo(message, err=err)


def stack_argument(fn: F) -> F:
    """STACK: a stack.yaml, or `-` for stdin. A missing or unreadable file is a usage error (2)."""
    return click.argument("stack", type=click.Path(exists=True, dir_okay=False, allow_dash=True))(fn)


def base_dir_option(fn: F) -> F:
    return click.option(
        "--base-dir", type=click.Path(exists=True, file_okay=False),
        help="Where the spec's relative paths (build contexts, function code, site sources) resolve. "
             "Default: the spec file's directory; for `-` (stdin) the current directory.")(fn)


def analyze_stack(stack: str, base_dir: str | None = None, skip: frozenset[str] = frozenset()) -> Result:
    """Run the passes on STACK (a path, or `-`: the text on stdin)."""
    from infracc.compiler.pipeline import analyze

    source_dir = str(Path(base_dir).absolute()) if base_dir else None
    if stack == STDIN:
        if sys.stdin.isatty():  # typed by hand (or a forgotten redirect): say what it waits for
            say("infracc: reading the spec from stdin (end it with Ctrl-D)", err=True)
        text = sys.stdin.read()
        return analyze(text=text, name=STDIN_NAME, source_dir=source_dir or str(Path.cwd()), skip=skip)
    return analyze(Path(stack), source_dir=source_dir, skip=skip)


class Progress:
    """One status line on stderr while a long command runs (compile): only on a terminal and
    without `-q`; rewritten in place with a carriage return (no escape sequences) and cleared
    before the command's own output."""

    shown = False  # a status line is on the terminal now (an interrupt starts a new line)

    def __init__(self) -> None:
        self.on = not Settings.quiet and sys.stderr.isatty()
        self.width = 0

    def step(self, text: str) -> None:
        if not self.on:
            return
        line = f"infracc: {text}..."
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = len(line)
        Progress.shown = True

    def done(self) -> None:
        if self.on and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0
        Progress.shown = False

# Optional extras (pyproject `[project.optional-dependencies]`): module → extra that installs it.
EXTRAS = {"mcp": "mcp", "questionary": "wizard"}


def require_extra(module: str, what: str) -> None:
    """Exit 2 with the install command when an optional extra's module is missing."""
    if importlib.util.find_spec(module) is None:
        click.echo(f"infracc: {what} needs the `{EXTRAS[module]}` extra: pip install 'infracc[{EXTRAS[module]}]'",
                   err=True)
        sys.exit(2)


class LazyChoice(click.Choice[str]):
    """A `click.Choice` whose values are computed on first use (parsing, help, completion).

    `--target` lists the backends and `init --pattern` the pattern files; building the
    command line must not import the schema models or read the pattern folder for every
    command (`infracc --version` included).
    """

    def __init__(self, load: Callable[[], Iterable[str]], case_sensitive: bool = True) -> None:
        self._load = load
        self._values: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(self._load())
        return self._values

    @choices.setter
    def choices(self, values: Iterable[str]) -> None:
        self._values = tuple(values)
