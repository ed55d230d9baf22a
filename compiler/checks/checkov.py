"""checkov on Terraform JSON, Kubernetes, Dockerfiles and the GitHub Actions workflow.

ORACLES.md traps: always `--skip-download`, results go to a file outside the scanned folder,
and checkov can exit 0 having checked nothing, so the number of passed checks is reported.
Skipped checks (suppressions that carry a reason) are not findings.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infracc.compiler.checks import Finding, Tool, ToolFailed, executable

# Output folder → checkov framework.
FRAMEWORKS = {"terraform": "terraform_json", "kubernetes": "kubernetes", "docker": "dockerfile", "ci": "github_actions"}


def folders(out: Path) -> list[Path]:
    return [out / d for d in FRAMEWORKS if (out / d).is_dir() and any(p.is_file() for p in (out / d).rglob("*"))]


def _scan(out: Path, folder: Path) -> tuple[int, list[Finding]]:
    framework = FRAMEWORKS[folder.name]
    with tempfile.TemporaryDirectory(prefix="infracc-checkov-") as results:
        cmd = [executable("checkov") or "checkov", "-d", folder.name, "--framework", framework, "--skip-download",
               "-o", "json", "--output-file-path", results]
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=False)
        report = Path(results) / "results_json.json"
        if not report.is_file():
            raise ToolFailed(f"checkov ({framework}) wrote no report: {proc.stderr.strip()[-300:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    passed, findings = 0, []
    for rep in reports:
        passed += int(rep.get("summary", {}).get("passed", 0))
        for f in rep.get("results", {}).get("failed_checks", []):
            line = (f.get("file_line_range") or [1])[0] or 1
            rel = _relative(out, folder, f)
            findings.append(Finding("checkov", f["check_id"], _severity(f.get("severity")),
                                    f"{f.get('resource', '?')}: {f.get('check_name', '')} [{framework}]",
                                    rel, int(line), suppressed=_declared_skip(out / rel, f)))
    return passed + len(findings), findings


def _declared_skip(path: Path, failed: dict) -> str | None:
    """checkov ignores inline skips in Terraform JSON, so infracc declares them in the resource's
    `"//": {"checkov": {"skip": [{"id", "comment"}]}}` (ORACLES.md); honour those with a reason."""
    if not path.name.endswith(".tf.json"):
        return None
    kind, _, name = str(failed.get("resource", "")).partition(".")
    try:
        resources = json.loads(path.read_text(encoding="utf-8"))["resource"]
        # checkov sometimes labels a resource `resource.<name>` instead of `<type>.<name>`.
        found = [resources[kind][name]] if kind in resources else [r[name] for r in resources.values() if name in r]
        skips = [s for r in found for s in r.get("//", {}).get("checkov", {}).get("skip", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    reasons = [s.get("comment") for s in skips if isinstance(s, dict) and s.get("id") == failed.get("check_id")]
    return next((str(r) for r in reasons if r and str(r).strip()), None)


def _relative(out: Path, folder: Path, failed: dict) -> str:
    """checkov's `file_path` is relative to the cwd for some frameworks, to `-d` for others."""
    rel = str(failed.get("file_path", "")).lstrip("/")
    for candidate in (out / rel, folder / rel):
        if candidate.is_file():
            return candidate.relative_to(out).as_posix()
    return rel


def _severity(value: str | None) -> str:
    return "warning" if value in ("LOW", "INFO") else "error"


def _run(out: Path, found: list[Path]) -> tuple[int, list[Finding]]:
    with ThreadPoolExecutor(max_workers=len(found)) as pool:
        results = list(pool.map(lambda f: _scan(out, f), found))
    return sum(r[0] for r in results), [f for r in results for f in r[1]]


TOOL = Tool("checkov", "pip install checkov", lambda: executable("checkov") is not None, folders, _run)
