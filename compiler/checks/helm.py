"""Helm charts under `helm/*`: `helm lint` through helm-python-sdk (embedded Helm, no binary)."""
from __future__ import annotations

from pathlib import Path

from infracc.compiler.checks import Finding, Tool, ToolFailed

_SEVERITY = {0: "note", 1: "note", 2: "warning", 3: "error"}


def charts(out: Path) -> list[Path]:
    return sorted(p.parent for p in (out / "helm").glob("*/Chart.yaml"))


def _available() -> bool:
    try:
        import helm_python  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _lint(out: Path, found: list[Path]) -> tuple[int, list[Finding]]:
    import helm_python

    findings = []
    for chart in found:
        rel = chart.relative_to(out).as_posix()
        try:
            report = helm_python.lint(str(chart), strict=True)
        except helm_python.HelmError as exc:
            raise ToolFailed(f"helm lint {rel}: {exc}") from exc
        for msg in report.get("messages", []):
            severity = _SEVERITY.get(int(msg.get("severity", 0)), "note")
            if severity != "note":
                path = msg.get("path") or ""
                findings.append(Finding("helm-lint", "lint", severity, str(msg.get("error", "")),
                                        f"{rel}/{path}".rstrip("/") if path and not path.startswith(rel) else path or rel))
        for err in report.get("errors", []):
            if not any(err in f.message for f in findings):
                findings.append(Finding("helm-lint", "lint", "error", str(err), rel))
    return len(found), findings


TOOL = Tool("helm-lint", "pip install helm-python-sdk", _available, charts, _lint)
