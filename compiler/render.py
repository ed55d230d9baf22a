"""Render diagnostics: text with source line and caret, JSON, or SARIF 2.1.0."""
from __future__ import annotations

import json

from infracc.compiler.catalogue import registry
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.sourcemap import SourceMap

TOOL_URI = "https://github.com/infracc/infracc"


def position(diag: Diagnostic, source: SourceMap) -> tuple[int, int]:
    if diag.position is not None:
        return diag.position
    return source.locate(diag.origin, key=diag.code == "IC-SCHEMA-001")


def as_text(diags: list[Diagnostic], source: SourceMap, color: bool = False) -> str:
    out = []
    for diag in _sorted(diags, source):
        line, col = position(diag, source)
        sev = diag.severity.value
        head = f"{source.file}:{line}:{col}: {sev}[{diag.code}]: {diag.message}"
        if color:
            shade = {"error": "31", "warning": "33", "note": "36"}[sev]
            head = f"\x1b[1m{source.file}:{line}:{col}:\x1b[0m \x1b[1;{shade}m{sev}[{diag.code}]\x1b[0m: {diag.message}"
        out.append(head)
        text = source.line(line)
        if text:
            out.append(f"  {line:>4} | {text}")
            out.append(f"       | {' ' * (col - 1)}^")
        if diag.hint:
            out.append(f"       = hint: {diag.hint}")
    return "\n".join(out) + ("\n" if out else "")


def as_json(diags: list[Diagnostic], source: SourceMap) -> list[dict]:
    rows = []
    for diag in _sorted(diags, source):
        line, col = position(diag, source)
        rows.append({"file": source.file, "line": line, "column": col, "severity": diag.severity.value,
                     "code": diag.code, "message": diag.message, "hint": diag.hint,
                     "path": [str(p) for p in diag.origin]})
    return rows


def as_sarif(diags: list[Diagnostic], source: SourceMap, version: str) -> dict:
    reg = registry()
    codes = sorted({d.code for d in diags})
    rules = []
    for code in codes:
        rule = reg.get(code)
        rules.append({"id": code, "shortDescription": {"text": rule.title if rule else code},
                      "fullDescription": {"text": rule.rationale if rule else code},
                      "help": {"text": rule.fix if rule else ""}})
    level = {"error": "error", "warning": "warning", "note": "note"}
    results = []
    for diag in _sorted(diags, source):
        line, col = position(diag, source)
        message = diag.message + (f" ({diag.hint})" if diag.hint else "")
        results.append({
            "ruleId": diag.code, "ruleIndex": codes.index(diag.code), "level": level[diag.severity.value],
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": source.file},
                                                "region": {"startLine": line, "startColumn": col}}}],
        })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "infracc", "version": version, "informationUri": TOOL_URI,
                                      "rules": rules}}, "results": results}],
    }


def _sorted(diags: list[Diagnostic], source: SourceMap) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (position(d, source), d.code, d.message))


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
