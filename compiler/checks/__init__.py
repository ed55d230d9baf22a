"""`infracc check OUT`: run the independent validators that are installed on generated output.

One small adapter per tool (`kube`, `helm`, `checkov`, `hadolint`); each knows which files
it reads, whether it is installed (and how to install it), and turns the tool's own output
into :class:`Finding` rows. A missing tool is reported as missing, never as passing.
"""
from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    tool: str
    rule: str
    severity: str          # error | warning | note
    message: str
    file: str              # relative to the output directory
    line: int = 1
    column: int = 1
    suppressed: str | None = None   # the reason, when the generated file declares a reasoned skip


@dataclass
class ToolRun:
    tool: str
    status: str            # passed | findings | missing | skipped | error
    checked: int = 0       # files/objects/checks the tool actually examined
    findings: list[Finding] = field(default_factory=list)
    detail: str = ""       # install hint (missing), reason (skipped), error text (error)

    @property
    def error(self) -> bool:
        return self.status == "error"


@dataclass
class Outcome:
    out: str
    runs: list[ToolRun]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.runs for f in r.findings if f.suppressed is None]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for r in self.runs for f in r.findings if f.suppressed is not None]

    @property
    def missing(self) -> list[ToolRun]:
        return [r for r in self.runs if r.status == "missing"]


@dataclass(frozen=True)
class Tool:
    """An adapter: `inputs(out)` are the files it checks, `run(out, inputs)` → (checked, findings)."""

    name: str
    install: str
    available: Callable[[], bool]
    inputs: Callable[[Path], list[Path]]
    run: Callable[[Path, list[Path]], tuple[int, list[Finding]]]


def executable(name: str) -> str | None:
    """A tool on PATH, or installed next to this Python (the project's virtualenv)."""
    found = shutil.which(name)
    if found:
        return found
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() else None


def tools() -> list[Tool]:
    from infracc.compiler.checks import checkov, hadolint, helm, kube

    return [kube.tool(), helm.TOOL, checkov.TOOL, hadolint.TOOL]


def run_one(tool: Tool, out: Path) -> ToolRun:
    inputs = tool.inputs(out)
    if not inputs:
        return ToolRun(tool.name, "skipped", detail="nothing to check in this output")
    if not tool.available():
        return ToolRun(tool.name, "missing", detail=tool.install)
    try:
        checked, findings = tool.run(out, inputs)
    except ToolFailed as exc:
        return ToolRun(tool.name, "error", detail=str(exc))
    except Exception as exc:  # a third-party validator crashed: report it, never a traceback
        return ToolRun(tool.name, "error", detail=f"{type(exc).__name__}: {exc}")
    active = [f for f in findings if f.suppressed is None]
    return ToolRun(tool.name, "findings" if active else "passed", checked, findings)


class ToolFailed(Exception):
    """A validator crashed or produced output we cannot read (reported, exit 1)."""


def run_all(out: Path, progress: bool = False, color: bool = True) -> Outcome:
    """Every tool at once (checkov and hadolint are child processes, the others wait on their own
    I/O or a library), reported in the fixed tool order; with `progress`, a line on stderr as
    each one finishes."""
    selected = tools()
    if not progress:
        with ThreadPoolExecutor(max_workers=len(selected)) as pool:
            return Outcome(str(out), list(pool.map(lambda t: run_one(t, out), selected)))
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, no_color=not color)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    done: dict[str, ToolRun] = {}
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"running {', '.join(t.name for t in selected)}", total=len(selected))
        with ThreadPoolExecutor(max_workers=len(selected)) as pool:
            futures = {pool.submit(run_one, t, out): t for t in selected}
            for future in as_completed(futures):
                tool = futures[future]
                done[tool.name] = future.result()
                console.print(f"{tool.name}: {done[tool.name].status}", highlight=False)
                left = [t.name for t in selected if t.name not in done]
                bar.update(task, advance=1, description=f"running {', '.join(left)}" if left else "done")
    return Outcome(str(out), [done[t.name] for t in selected])
