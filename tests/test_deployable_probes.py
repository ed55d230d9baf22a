"""Background workers and their probes (issue #12, defect 2).

Without a port there is nothing generic to probe: "the process exists" is what the kubelet
already knows. So no probe is invented: `validate` warns (IC-SVC-006) with the fix, and the
Kubernetes manifests suppress checkov's CKV_K8S_8/CKV_K8S_9 with that rule's catalogue reason.
With `health: {command: [...]}` the worker gets startup, readiness and liveness exec probes
(Kubernetes, Helm) and an ECS container health check.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from conftest import ORACLES, ROOT

from infracc.compiler.catalogue import registry
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


def test_no_probe_is_invented_and_the_gap_is_suppressed_with_the_catalogue_reason() -> None:
    result = _compile()
    _, beat = _deployment(result, "beat")
    container = beat["spec"]["template"]["spec"]["containers"][0]
    assert not set(PROBES) & set(container)
    skips = sorted(beat["metadata"]["annotations"].values())
    reason = registry().get("IC-SVC-006")
    assert reason is not None and {"CKV_K8S_8", "CKV_K8S_9"} <= set(reason.checkov)
    assert f"CKV_K8S_8=IC-SVC-006: {reason.title}" in skips and f"CKV_K8S_9=IC-SVC-006: {reason.title}" in skips
    _, worker = _deployment(result, "worker")
    assert "CKV_K8S_8" not in " ".join(worker["metadata"]["annotations"].values())


def test_validate_warns_with_the_fix() -> None:
    result = analyze(text=SPEC.replace("platform: eks", "platform: ecs"), source_dir=str(ROOT))
    found = [d for d in result.diagnostics if d.code == "IC-SVC-006"]
    assert [(d.severity, d.origin) for d in found] == [("warning", ("services", "beat", "health"))]
    assert "health: {command: [...]}" in (found[0].hint or "")
    # The kubernetes backend no longer repeats it.
    assert not [d for d in _compile().diagnostics if d.code == "IC-K8S-001"]


def test_health_command_becomes_exec_probes() -> None:
    result = _compile()
    _, worker = _deployment(result, "worker")
    container = worker["spec"]["template"]["spec"]["containers"][0]
    for probe in PROBES:
        assert container[probe]["exec"]["command"] == ["celery", "-A", "app", "inspect", "ping"], probe


def test_health_command_becomes_an_ecs_health_check() -> None:
    text = SPEC.replace("platform: eks", "platform: ecs").replace("targets: [kubernetes]", "targets: [terraform]")
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok
    emit(result)
    doc = json.loads(next(t for p, t in result.files.items() if p.parts[:2] == ("terraform", "dev")
                          and p.name == "cdk.tf.json"))
    tasks = doc["resource"]["aws_ecs_task_definition"]
    worker, _ = json.loads(tasks["service_worker_task"]["container_definitions"])
    assert worker["healthCheck"]["command"] == ["CMD", "celery", "-A", "app", "inspect", "ping"]
    beat, _ = json.loads(tasks["service_beat_task"]["container_definitions"])
    assert "healthCheck" not in beat


def test_checkov_passes_the_probe_checks_or_skips_them_with_the_reason(tmp_path: Path) -> None:
    result = _compile()
    for name in ("beat", "worker"):
        path, _ = _deployment(result, name)
        (tmp_path / "scan").mkdir(exist_ok=True)
        (tmp_path / "scan" / path.name).write_text(result.files[path], encoding="utf-8")
    checkov = ORACLES / "checkov"
    subprocess.run([str(checkov), "-d", str(tmp_path / "scan"), "--framework", "kubernetes", "--skip-download",
                    "--check", "CKV_K8S_8,CKV_K8S_9", "-o", "json", "--output-file-path", str(tmp_path / "out")],
                   capture_output=True, check=False, timeout=600)
    report = json.loads((tmp_path / "out" / "results_json.json").read_text(encoding="utf-8"))
    results = report["results"]
    assert not results["failed_checks"]
    passed = {(c["check_id"], Path(c["file_path"]).name) for c in results["passed_checks"]}
    skipped = {(c["check_id"], Path(c["file_path"]).name) for c in results["skipped_checks"]}
    assert {("CKV_K8S_8", "deployment-worker.yaml"), ("CKV_K8S_9", "deployment-worker.yaml")} <= passed
    assert skipped == {("CKV_K8S_8", "deployment-beat.yaml"), ("CKV_K8S_9", "deployment-beat.yaml")}
