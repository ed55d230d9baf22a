"""What an import did not carry over, with the source file:line:col of each item.

A finding is a `Diagnostic` tied to one input file. Categories (by code):

- IC-IMPORT-101 `dropped`: not carried over (infracc has no such setting, or it is local-only);
- IC-IMPORT-102 `decide`: carried over partly or not at all; the user must decide something;
- IC-IMPORT-103 `secret`: a value that looks like a credential; only its name went to `secrets:`;
- IC-IMPORT-104 `changed`: carried over with a different meaning (worth a look, no action needed);
- IC-IMPORT-00x: the input itself is wrong or unsupported (errors and warnings).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from infracc.compiler import render
from infracc.compiler.diagnostics import Diagnostic, Path, Severity
from infracc.compiler.importers.source import SourceFile

CATEGORIES = {"IC-IMPORT-101": "dropped", "IC-IMPORT-102": "decide", "IC-IMPORT-103": "secret",
              "IC-IMPORT-104": "changed"}
_SEVERITY = {"dropped": Severity.WARNING, "decide": Severity.WARNING, "secret": Severity.NOTE,
             "changed": Severity.NOTE}
_CODE = {category: code for code, category in CATEGORIES.items()}


def category(diag: Diagnostic) -> str:
    return CATEGORIES.get(diag.code, "input")


@dataclass
class ImportReport:
    """Findings per input file, in the order the files were read."""

    files: list[SourceFile] = field(default_factory=list)
    findings: list[tuple[SourceFile, Diagnostic]] = field(default_factory=list)

    def add_file(self, file: SourceFile) -> None:
        if file not in self.files:
            self.files.append(file)

    def lossy(self, kind: str, file: SourceFile, path: Path, message: str, hint: str | None = None) -> None:
        """Record something not carried over exactly; `kind` is dropped, decide, secret or changed."""
        self.add(file, Diagnostic(_CODE[kind], message, tuple(path), _SEVERITY[kind], hint))

    def problem(self, code: str, file: SourceFile, path: Path, message: str, hint: str | None = None,
                severity: Severity = Severity.ERROR) -> None:
        self.add(file, Diagnostic(code, message, tuple(path), severity, hint))

    def add(self, file: SourceFile, diag: Diagnostic) -> None:
        self.add_file(file)
        if diag.position is None:
            diag = Diagnostic(diag.code, diag.message, diag.origin, diag.severity, diag.hint, file.locate(diag.origin))
        self.findings.append((file, diag))

    @property
    def ok(self) -> bool:
        """No error in the input (lossiness is not an error)."""
        return not any(d.is_error for _, d in self.findings)

    def counts(self) -> dict[str, int]:
        found = Counter(category(d) for _, d in self.findings)
        return {name: found.get(name, 0) for name in ("input", "dropped", "decide", "secret", "changed")}

    def of(self, file: SourceFile) -> list[Diagnostic]:
        return [d for f, d in self.findings if f is file]

    def as_text(self, color: bool = False) -> str:
        return "".join(render.as_text(self.of(f), f.source, color) for f in self.files if self.of(f))

    def as_json(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for f in self.files:
            for row, diag in zip(render.as_json(self.of(f), f.source), _in_render_order(self.of(f), f), strict=True):
                rows.append({**row, "category": category(diag)})
        return rows

    def summary(self) -> str:
        c = self.counts()
        return (f"{c['dropped']} not carried over, {c['decide']} to decide, {c['secret']} secret(s) moved to "
                f"`secrets:`, {c['changed']} changed in meaning, {c['input']} input problem(s)")


def _in_render_order(diags: list[Diagnostic], file: SourceFile) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (render.position(d, file.source), d.code, d.message))
