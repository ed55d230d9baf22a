"""Render diagnostics: text with source line and caret, JSON, or SARIF 2.1.0."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePath

from infracc.compiler.catalogue import Rule, registry
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


def as_json(diags: list[Diagnostic], source: SourceMap) -> list[dict[str, object]]:
    rows = []
    for diag in _sorted(diags, source):
        line, col = position(diag, source)
        rows.append({"file": source.file, "line": line, "column": col, "severity": diag.severity.value,
                     "code": diag.code, "message": diag.message, "hint": diag.hint,
                     "path": [str(p) for p in diag.origin]})
    return rows


# GitHub code scanning reads `security-severity` (a CVSS-like score as text) from a rule's
# properties to file a result as a security alert: >= 7.0 high, 4.0-6.9 medium, < 4.0 low.
_SECURITY_SCORE = {"error": "7.5", "warning": "5.0", "note": "2.0"}
_SECURITY_PREFIXES = ("IC-SEC-", "IC-SECRET-", "IC-SOC2-", "IC-GDPR-", "IC-ALLOW-")
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def as_sarif(diags: list[Diagnostic], source: SourceMap, version: str) -> dict[str, object]:
    """SARIF 2.1.0 as GitHub code scanning takes it: rules with name, default level, help and tags
    (`security-severity` on security and compliance rules), results with a line-independent
    fingerprint and a region with its end, the artifact URI relative to the repository root."""
    reg = registry()
    codes = sorted({d.code for d in diags})
    rules = [_sarif_rule(code, reg.get(code)) for code in codes]
    uri, base = artifact_uri(source.file)
    location: dict[str, object] = {"uri": uri}
    if base:
        location["uriBaseId"] = base
    results = []
    seen: dict[str, int] = {}
    for diag in _sorted(diags, source):
        line, col = position(diag, source)
        end_line, end_col = _region_end(source, line, col)
        message = diag.message + (f" ({diag.hint})" if diag.hint else "")
        key = hashlib.sha256("\0".join([diag.code, "/".join(str(p) for p in diag.origin), diag.message])
                             .encode("utf-8")).hexdigest()[:32]
        seen[key] = seen.get(key, 0) + 1
        results.append({
            "ruleId": diag.code, "ruleIndex": codes.index(diag.code), "level": _LEVEL[diag.severity.value],
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": dict(location),
                "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}}}],
            "partialFingerprints": {"infraccDiagnostic/v1": f"{key}:{seen[key]}"},
        })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "infracc", "version": version, "informationUri": TOOL_URI,
                                      "rules": rules}},
                  "columnKind": "unicodeCodePoints", "results": results}],
    }


def _sarif_rule(code: str, rule: Rule | None) -> dict[str, object]:
    title = rule.title if rule else code
    severity = rule.severity if rule else "error"
    tags = [code.split("-")[1].lower()]
    security = code.startswith(_SECURITY_PREFIXES) or (rule is not None and rule.pack in ("baseline", "soc2", "gdpr"))
    properties: dict[str, object] = {"precision": "very-high"}
    if rule is not None and rule.pack:
        tags.append(rule.pack)
    if security:
        tags.append("security")
        properties["security-severity"] = _SECURITY_SCORE[severity]
    if rule is not None and rule.pack in ("soc2", "gdpr"):
        tags.append("compliance")
    properties["tags"] = sorted(set(tags))
    fix = rule.fix if rule else ""
    why = rule.rationale if rule else code
    return {
        "id": code, "name": _rule_name(title),
        "shortDescription": {"text": title}, "fullDescription": {"text": why},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "help": {"text": f"{why} Fix: {fix}" if fix else why,
                 "markdown": f"**{title}** ({code})\n\n{why}\n\n**Fix:** {fix}\n\n"
                             f"`infracc explain {code}` prints this rule."},
        "helpUri": f"{TOOL_URI}#diagnostics",
        "properties": properties,
    }


def _rule_name(title: str) -> str:
    """A rule's `name`: its title as one PascalCase identifier (SARIF §3.49.7)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def artifact_uri(file: str) -> tuple[str, str | None]:
    """The spec's URI as code scanning expects it: relative to the enclosing git repository's root
    (base `%SRCROOT%`), else relative to the working directory; stdin stays as named."""
    if file in ("-", "<stdin>") or not file:
        return file or "-", None
    path = PurePath(file)
    absolute = Path(file).resolve()
    for parent in (absolute.parent, *absolute.parent.parents):
        if (parent / ".git").exists():
            return absolute.relative_to(parent).as_posix(), "%SRCROOT%"
    if not path.is_absolute():
        return path.as_posix(), "%SRCROOT%"
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix(), "%SRCROOT%"
    except ValueError:
        return absolute.as_uri(), None


def _region_end(source: SourceMap, line: int, col: int) -> tuple[int, int]:
    """End of the token a diagnostic points at (SARIF's endColumn is one past its last character):
    a quoted scalar to its closing quote, a key to its colon, else the line's content."""
    text = source.line(line)
    rest = text[col - 1:]
    if not rest.strip():
        return line, max(col, len(text.rstrip()) + 1)
    if rest[0] in "\"'":
        close = rest.find(rest[0], 1)
        if close > 0:
            return line, col + close + 1
    stop = len(rest.rstrip())
    flow = ("[" in text[:col - 1] or "{" in text[:col - 1])
    for marker in (": ", " #", *((",", "]", "}") if flow else ())):
        at = rest.find(marker)
        if 0 < at < stop:
            stop = at
    if rest.rstrip().endswith(":") and stop == len(rest.rstrip()):
        stop -= 1
    return line, col + max(stop, 1)


def _sorted(diags: list[Diagnostic], source: SourceMap) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (position(d, source), d.code, d.message))


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
