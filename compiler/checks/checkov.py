"""checkov on Terraform JSON, Kubernetes, Dockerfiles and the GitHub Actions workflow.

ORACLES.md traps: always `--skip-download`, results go to a file outside the scanned folder,
and checkov can exit 0 having checked nothing, so the number of passed checks is reported.
Skipped checks (suppressions that carry a reason) are not findings. Several frameworks share
one checkov process (`groups`): start-up is most of a small scan.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from infracc.compiler.checks import Finding, Tool, ToolFailed, executable

# Output folder → checkov framework.
FRAMEWORKS = {"terraform": "terraform_json", "kubernetes": "kubernetes", "docker": "dockerfile", "ci": "github_actions"}


def folders(out: Path) -> list[Path]:
    return [out / d for d in FRAMEWORKS if (out / d).is_dir() and any(p.is_file() for p in (out / d).rglob("*"))]


# Relative CPU cost of a framework's scan (measured on the examples: terraform_json ~5.6 s of
# checks after checkov's ~2.8 s start-up, kubernetes ~2.2 s, the others ~0.5 s).
_WEIGHT = {"terraform": 6.0, "kubernetes": 2.0, "docker": 0.5, "ci": 0.5}


def groups(found: list[Path], cpus: int | None = None) -> list[list[Path]]:
    """Folders per checkov process: one process per CPU at most, heaviest scans spread first.

    Every checkov process pays ~2.8 s CPU to start, and one process scans its frameworks one
    after another: on this project's 2-core machine one process for everything took 16 s CPU
    (all serial), four took 20 s CPU (two at a time), two (terraform | the rest) ~14 s CPU on
    both cores at once, the shortest wall time."""
    count = max(1, min(len(found), cpus if cpus is not None else (os.cpu_count() or 1)))
    bins: list[list[Path]] = [[] for _ in range(count)]
    load = [0.0] * count
    for folder in sorted(found, key=lambda f: (-_WEIGHT.get(f.name, 1.0), list(FRAMEWORKS).index(f.name))):
        i = load.index(min(load))
        bins[i].append(folder)
        load[i] += _WEIGHT.get(folder.name, 1.0)
    return [sorted(b, key=lambda f: list(FRAMEWORKS).index(f.name)) for b in bins if b]


def _scan(out: Path, group: list[Path]) -> dict[str, tuple[int, list[Finding]]]:
    """One checkov process over the folders of `group`: framework folder → (checked, findings)."""
    by_type = {FRAMEWORKS[f.name]: f for f in group}
    with tempfile.TemporaryDirectory(prefix="infracc-checkov-") as results:
        cmd = [executable("checkov") or "checkov"]
        for folder in group:
            cmd += ["-d", folder.name]
        cmd += ["--framework", *by_type, "--skip-download", "-o", "json", "--output-file-path", results]
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=False)
        report = Path(results) / "results_json.json"
        if not report.is_file():
            raise ToolFailed(f"checkov ({', '.join(by_type)}) wrote no report: {proc.stderr.strip()[-300:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    scanned: dict[str, tuple[int, list[Finding]]] = {}
    for rep in reports:
        framework = str(rep.get("check_type", ""))
        found = by_type.get(framework) or (group[0] if len(group) == 1 else None)
        if found is None:
            raise ToolFailed(f"checkov reported an unexpected framework {framework!r}")
        folder = found
        framework = FRAMEWORKS[folder.name]
        passed, findings = scanned.get(folder.name, (0, []))
        passed += int(rep.get("summary", {}).get("passed", 0))
        for f in rep.get("results", {}).get("failed_checks", []):
            line = (f.get("file_line_range") or [1])[0] or 1
            rel = _relative(out, folder, f)
            findings.append(Finding("checkov", f["check_id"], _severity(f.get("severity")),
                                    f"{f.get('resource', '?')}: {f.get('check_name', '')} [{framework}]",
                                    rel, int(line), suppressed=_declared_skip(out / rel, f)))
        scanned[folder.name] = (passed, findings)
    return {name: (passed + len(findings), findings) for name, (passed, findings) in scanned.items()}


def _declared_skip(path: Path, failed: dict[str, Any]) -> str | None:
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


def _relative(out: Path, folder: Path, failed: dict[str, Any]) -> str:
    """checkov's `file_path` is relative to the cwd for some frameworks, to `-d` for others."""
    rel = str(failed.get("file_path", "")).lstrip("/")
    for candidate in (out / rel, folder / rel):
        if candidate.is_file():
            return candidate.relative_to(out).as_posix()
    return rel


def _severity(value: str | None) -> str:
    return "warning" if value in ("LOW", "INFO") else "error"


def _run(out: Path, found: list[Path]) -> tuple[int, list[Finding]]:
    batches = groups(found)
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        scanned: dict[str, tuple[int, list[Finding]]] = {}
        for part in pool.map(lambda g: _scan(out, g), batches):
            scanned.update(part)
    # Findings in folder order (terraform, kubernetes, docker, ci), whatever process found them.
    ordered = [scanned[f.name] for f in found if f.name in scanned]
    return sum(r[0] for r in ordered), [f for r in ordered for f in r[1]]


TOOL = Tool("checkov", "pip install checkov", lambda: executable("checkov") is not None, folders, _run)
