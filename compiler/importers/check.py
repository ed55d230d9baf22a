"""After an import: write stack.yaml, validate it as `infracc validate` does, and report both.

`Outcome.ok` means the input had no errors and the written stack validates (warnings allowed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from infracc.compiler import render
from infracc.compiler.diagnostics import Diagnostic, Severity
from infracc.compiler.importers.report import ImportReport
from infracc.compiler.importers.stackdoc import SECTIONS
from infracc.compiler.loader import load_text
from infracc.compiler.sourcemap import SourceMap


@dataclass
class Outcome:
    report: ImportReport
    target: Path | None
    text: str | None
    written: bool = False
    printed: str | None = None
    refused: str | None = None
    validation: list[Diagnostic] = field(default_factory=list)
    source: SourceMap | None = None
    components: dict[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.text is not None and not any(d.is_error for d in self.validation)

    @property
    def ok(self) -> bool:
        return self.report.ok and self.refused is None and self.valid

    def as_text(self, color: bool = False) -> str:
        parts = [self.report.as_text(color)]
        parts.append(f"import: {self.report.summary()}\n")
        if self.refused:
            parts.append(f"error: {self.refused}\n")
        if self.text is None:
            parts.append("import: no stack.yaml written (fix the input errors above)\n")
            return "".join(parts)
        shown = [d for d in self.validation if d.severity is not Severity.NOTE]
        if self.source is not None and shown:
            parts.append(render.as_text(shown, self.source, color))
        made = ", ".join(f"{n} {section}" for section, n in self.components.items() if n) or "no components"
        where = str(self.target) if self.target else "stdout"
        errors = sum(d.is_error for d in self.validation)
        warnings = sum(d.severity is Severity.WARNING for d in self.validation)
        verdict = "ok" if self.valid else "failed"
        parts.append(f"{'wrote' if self.written else 'printed'} {where}: {made}; validate: {verdict} "
                     f"({errors} error(s), {warnings} warning(s))\n")
        return "".join(parts)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok, "stack": str(self.target) if self.target and self.written else None,
            "refused": self.refused, "counts": self.report.counts(), "components": self.components,
            "findings": self.report.as_json(),
            "validation": {"ok": self.valid, "diagnostics": render.as_json(self.validation, self.source)
                           if self.source is not None else []},
            **({"text": self.text} if self.target is None and self.text is not None else {}),
        }


def finish(text: str | None, report: ImportReport, target: Path | None, force: bool,
           stack_dir: Path | None = None) -> Outcome:
    """Write (unless `target` is None: then the text is printed) and validate; paths in the stack are
    relative to `stack_dir` (default: the target's folder)."""
    outcome = Outcome(report, target, text)
    if text is None:
        return outcome
    if target is not None and target.exists() and not force:
        outcome.refused = f"{target} already exists; use --force to overwrite it"
        return outcome
    if target is None:
        outcome.printed = text
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        outcome.written = True
    outcome.validation, outcome.source = validate(text, target, stack_dir)
    data = load_text(text).data or {}
    outcome.components = {s: len(data.get(s) or {}) for s in SECTIONS if data.get(s)}
    return outcome


def validate(text: str, target: Path | None, stack_dir: Path | None = None) -> tuple[list[Diagnostic], SourceMap]:
    """`infracc validate` on the written text (build contexts resolved in `stack_dir`, else next to `target`)."""
    from infracc.compiler.pipeline import analyze

    folder = (stack_dir or (target.parent if target is not None else Path.cwd())).resolve()
    result = analyze(text=text, name=str(target or "stack.yaml"), source_dir=str(folder), skip=frozenset({"cost"}))
    return result.diagnostics, result.source
