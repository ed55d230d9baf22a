"""The explicit backend registry: target name → `emit(ir) -> (files, diagnostics)`.

A backend is pure: no file I/O, no clock, no randomness. Adding one is a module plus a line
here plus a golden directory.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from infracc.backends.docs import emit as docs
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR

Backend = Callable[[StackIR], tuple[dict[PurePosixPath, str], list[Diagnostic]]]

BACKENDS: dict[str, Backend] = {
    "docs": docs,
}
