"""Diagnostics: the one type every stage uses to report a problem in the user's spec.

Passes *return* diagnostics; exceptions are reserved for bugs. A diagnostic carries an
`origin` (a path into the spec such as ``("services", "api", "uses", 2)``) and is resolved to
``file:line:col`` by a :class:`~infracc.compiler.sourcemap.SourceMap` only when rendered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

Path = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. `code` is stable and documented in the rule catalogue."""

    code: str
    message: str
    origin: Path = ()
    severity: Severity = Severity.ERROR
    hint: str | None = None
    # Set by the loader for problems found before a tree exists (YAML syntax errors).
    position: tuple[int, int] | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, origin: Path = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, tuple(origin), Severity.ERROR, hint)


def warning(code: str, message: str, origin: Path = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, tuple(origin), Severity.WARNING, hint)


def note(code: str, message: str, origin: Path = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, tuple(origin), Severity.NOTE, hint)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def did_you_mean(word: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """A hint naming the closest candidate, if one is close enough.

    >>> did_you_mean("cahce", ["cache", "db"])
    'did you mean `cache`?'
    """
    import difflib

    close = difflib.get_close_matches(str(word), sorted(map(str, candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
