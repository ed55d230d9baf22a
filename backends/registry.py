"""The explicit backend registry: target name → `emit(ir) -> (files, diagnostics)`.

A backend is pure: no file I/O, no clock, no randomness. Adding one is a module plus a line
here plus a golden directory.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from infracc.backends.ci import emit as ci
from infracc.backends.compose import emit as compose
from infracc.backends.docker import emit as docker
from infracc.backends.docs import emit as docs
from infracc.backends.helm import emit as helm
from infracc.backends.kubernetes import emit as kubernetes
from infracc.backends.terraform import emit as terraform
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import StackIR

Backend = Callable[[StackIR], tuple[dict[PurePosixPath, str], list[Diagnostic]]]

BACKENDS: dict[str, Backend] = {
    "ci": ci,
    "docs": docs,
    "compose": compose,
    "docker": docker,
    "helm": helm,
    "kubernetes": kubernetes,
    "terraform": terraform,
}
