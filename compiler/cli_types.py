"""Click parameter types for the CLI that cost nothing at import."""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable

import click

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
