"""Background workers without a health command on eks (issue #12, defect 4).

Without a port there is nothing generic to probe: "the process exists" is what the kubelet
already knows. So no probe is invented and checkov's CKV_K8S_8/CKV_K8S_9 are not suppressed:
they report the gap, and the compiler's IC-K8S-001 warning says how to close it. With
`health: {command: [...]}` the worker gets startup, readiness and liveness exec probes.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

from infracc.compiler.pipeline import analyze, emit

SPEC = """\
infracc: 1
name: jobs
platform: eks
targets: [kubernetes]
services:
  beat:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, beat]
  worker:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, worker]
    health: {command: [celery, -A, app, inspect, ping]}
"""
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def _compile():
    result = analyze(text=SPEC, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    return result


def _deployment(result, name: str, env: str = "dev") -> tuple[Path, dict]:
    path = next(p for p in result.files if p.parts[:2] == ("kubernetes", env) and p.name == f"deployment-{name}.yaml")
    return path, yaml.safe_load(result.files[path])


def test_no_probe_is_invented_and_none_is_suppressed() -> None:
    result = _compile()
    _, beat = _deployment(result, "beat")
    container = beat["spec"]["template"]["spec"]["containers"][0]
    assert not set(PROBES) & set(container)
    skips = " ".join(beat["metadata"].get("annotations", {}).values())
    assert "CKV_K8S_8" not in skips and "CKV_K8S_9" not in skips


def test_the_warning_says_how_to_close_the_gap() -> None:
    result = _compile()
    found = [d for d in result.diagnostics if d.code == "IC-K8S-001" and "`beat`" in d.message]
    assert len(found) == 1
    assert found[0].origin == ("services", "beat")
    assert "CKV_K8S_8" in found[0].message and "health: {command: [...]}" in found[0].hint
    assert not [d for d in result.diagnostics if d.code == "IC-K8S-001" and "`worker`" in d.message]


def test_health_command_becomes_exec_probes() -> None:
    result = _compile()
    _, worker = _deployment(result, "worker")
    container = worker["spec"]["template"]["spec"]["containers"][0]
    for probe in PROBES:
        assert container[probe]["exec"]["command"] == ["celery", "-A", "app", "inspect", "ping"], probe


def test_checkov_reports_the_missing_probes(tmp_path: Path) -> None:
    result = _compile()
    for name in ("beat", "worker"):
        path, _ = _deployment(result, name)
        (tmp_path / "scan").mkdir(exist_ok=True)
        (tmp_path / "scan" / path.name).write_text(result.files[path], encoding="utf-8")
    checkov = Path(sys.executable).parent / "checkov"
    subprocess.run([str(checkov), "-d", str(tmp_path / "scan"), "--framework", "kubernetes", "--skip-download",
                    "--check", "CKV_K8S_8,CKV_K8S_9", "-o", "json", "--output-file-path", str(tmp_path / "out")],
                   capture_output=True, check=False, timeout=600)
    report = json.loads((tmp_path / "out" / "results_json.json").read_text(encoding="utf-8"))
    failed = {(c["check_id"], Path(c["file_path"]).name) for c in report["results"]["failed_checks"]}
    passed = {(c["check_id"], Path(c["file_path"]).name) for c in report["results"]["passed_checks"]}
    assert failed == {("CKV_K8S_8", "deployment-beat.yaml"), ("CKV_K8S_9", "deployment-beat.yaml")}
    assert {("CKV_K8S_8", "deployment-worker.yaml"), ("CKV_K8S_9", "deployment-worker.yaml")} <= passed
    assert not report["results"].get("skipped_checks")
