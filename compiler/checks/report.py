"""Render a check outcome: text, JSON or SARIF 2.1.0 (one run per validator)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from infracc.compiler.checks import Finding, Outcome, ToolRun
from infracc.compiler.version import VERSION


def render(outcome: Outcome, fmt: str) -> str:
    if fmt == "json":
        return _dumps(as_json(outcome))
    if fmt == "sarif":
        return _dumps(as_sarif(outcome))
    return as_text(outcome)


def as_json(outcome: Outcome) -> dict[str, Any]:
    return {"out": outcome.out, "ok": not outcome.findings and not any(r.error for r in outcome.runs),
            "tools": [{k: v for k, v in asdict(r).items() if k != "findings"} for r in outcome.runs],
            "findings": [asdict(f) for f in outcome.findings],
            "suppressed": [asdict(f) for f in outcome.suppressed],
            "missing": [{"tool": r.tool, "install": r.detail} for r in outcome.missing]}


def _status(run: ToolRun) -> str:
    if run.status in ("passed", "findings"):
        active = sum(f.suppressed is None for f in run.findings)
        skipped = len(run.findings) - active
        return (f"{run.status}: {active} finding(s), {run.checked} checked"
                + (f", {skipped} suppressed with a reason" if skipped else ""))
    return f"{run.status}: {run.detail}"


def as_text(outcome: Outcome) -> str:
    lines = []
    for f in outcome.findings:
        lines.append(f"{outcome.out}/{f.file}:{f.line}:{f.column}: {f.severity}[{f.tool} {f.rule}]: {f.message}")
    if lines:
        lines.append("")
    lines += [f"{run.tool:<20} {_status(run)}" for run in outcome.runs]
    if outcome.missing:
        lines.append("\nnot installed (not counted as passing): "
                     + ", ".join(r.tool for r in outcome.missing))
    ran = sum(r.status in ("passed", "findings") for r in outcome.runs)
    lines.append(f"\n{len(outcome.findings)} finding(s) from {ran} validator(s)"
                 + ("" if ran else " (nothing in this output is checked by an independent validator)"))
    return "\n".join(lines) + "\n"


def as_sarif(outcome: Outcome) -> dict[str, Any]:
    runs = []
    for run in outcome.runs:
        rules = sorted({f.rule for f in run.findings})
        results = [_result(f) for f in run.findings]
        invocation: dict[str, Any] = {"executionSuccessful": run.status in ("passed", "findings")}
        if run.status not in ("passed", "findings"):
            invocation["toolExecutionNotifications"] = [{"message": {"text": f"{run.status}: {run.detail}"},
                                                         "level": "warning" if run.status != "error" else "error"}]
        runs.append({"tool": {"driver": {"name": run.tool, "rules": [{"id": r} for r in rules]}},
                     "invocations": [invocation], "results": results,
                     "originalUriBaseIds": {"OUT": {"uri": Path(outcome.out).resolve().as_uri() + "/"}},
                     "properties": {"infraccVersion": VERSION, "checked": run.checked}})
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs}


def _result(f: Finding) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": f.rule, "level": f.severity, "message": {"text": f.message},
              "locations": [{"physicalLocation": {
                  "artifactLocation": {"uri": f.file, "uriBaseId": "OUT"},
                  "region": {"startLine": f.line, "startColumn": f.column}}}]}
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": f.suppressed}]
    return result


def _dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
