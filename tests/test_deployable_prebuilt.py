"""Prebuilt images under the hardening profile: `writable` and `run_as` (issue #12, defect 1).

Every workload runs with a read-only root filesystem, only its writable directories as empty
volumes, and a numeric non-root user. A prebuilt image that needs more says so with
`writable: [...]` and `run_as: {user, group}`; for the well-known images of
library/prebuilt_images.json the resolver fills what the spec leaves out and the security
pass says what it assumed. Every backend (Kubernetes, Helm, ECS, compose) mounts and runs
exactly what the security decision says.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from infracc.compiler import library_data as lib
from infracc.compiler import resolved
from infracc.compiler.pipeline import analyze, emit


def _analyze(services: str, platform: str = "eks", targets: str = "kubernetes", ok: bool = True) -> Any:
    text = f"infracc: 1\nname: web\nplatform: {platform}\ntargets: [{targets}]\nservices:\n{services}"
    result = analyze(text=text, source_dir=str(ROOT))
    if ok:
        assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return result


def _sec005(result: Any) -> list[Any]:
    return [d for d in result.diagnostics if d.code == "IC-SEC-005"]


def _security(result: Any, name: str = "web", env: str = "dev") -> Any:
    return result.ir.envs[env].graph.component(f"service.{name}").security


@pytest.mark.parametrize("image", ["nginx:1.27", "docker.io/library/nginx:1.27", "public.ecr.aws/nginx/nginx:1.27",
                                   "nginx:1.27@sha256:" + "a" * 64])
def test_stock_nginx_gets_what_it_writes_and_is_reported_with_the_image_that_works(image: str) -> None:
    result = _analyze(f"  web: {{image: '{image}', port: 80}}\n")
    found = _sec005(result)
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].origin == ("services", "web", "image")
    # What was assumed, from which table row, and what still stops it.
    assert "port 80" in found[0].message
    assert "assumed from library/prebuilt_images.json (nginx)" in found[0].message
    assert "/var/cache/nginx, /var/run" in found[0].message and "run_as 101:101" in found[0].message
    assert "nginxinc/nginx-unprivileged" in found[0].hint
    sec = _security(result)
    assert sec.writable_paths == ["/tmp", "/var/cache/nginx", "/var/run"]
    assert (sec.run_as_user, sec.run_as_group, sec.read_only_root_filesystem) == (101, 101, True)


def test_the_table_cites_a_source_for_every_row() -> None:
    table = lib.prebuilt_images()
    assert {"nginx", "nginxinc/nginx-unprivileged", "redis"} <= set(table)
    for name, row in table.items():
        assert row.source.startswith("https://"), name
        assert all(p.startswith("/") and p != "/" for p in row.writable), name
        assert row.user > 0 and row.group > 0, name


def test_written_fields_win_over_the_table_and_are_normalised() -> None:
    result = _analyze("  web:\n    image: 'nginx:1.27'\n    port: 8080\n"
                      "    writable: [/var/cache/nginx/, /run, /tmp]\n    run_as: {user: 102}\n")
    work = resolved.workload(result.ir.envs["dev"].graph.component("service.web"))
    assert work.writable == ("/tmp", "/var/cache/nginx", "/run")
    assert (work.run_as.user, work.run_as.group) == (102, 102)  # group defaults to the user
    assert work.assumed == () and work.assumed_from is None
    # Nothing assumed and the port is not the image's 80: nothing to report.
    assert not _sec005(result)


def test_unprivileged_nginx_only_notes_its_user_and_high_ports_are_quiet() -> None:
    result = _analyze("  web: {image: 'nginxinc/nginx-unprivileged:1.27', port: 8080}\n"
                      "  api: {image: 'ghcr.io/acme/api:1.0', port: 3000}\n")
    found = _sec005(result)
    assert [(d.severity, d.origin) for d in found] == [("note", ("services", "web", "image"))]
    assert "run_as 101:101" in found[0].message
    assert (_security(result).run_as_user, _security(result, "api").run_as_user) == (101, 10001)
    assert _security(result, "api").writable_paths == ["/tmp"]


def test_an_assumed_data_directory_is_a_note_saying_it_is_emptied_on_restart() -> None:
    result = _analyze("  cache: {image: 'redis:7.4', port: 6379}\n")
    (found,) = _sec005(result)
    assert found.severity == "note" and "/data" in found.message and "emptied" in found.message
    assert "writable: [...]" in (found.hint or "")
    assert _security(result, "cache").writable_paths == ["/tmp", "/data"]


def test_a_port_below_1024_is_reported() -> None:
    result = _analyze("  api: {image: 'ghcr.io/acme/api:1.0', port: 443}\n")
    found = _sec005(result)
    assert [d.origin for d in found] == [("services", "api", "port")]


NGINX = "  web:\n    image: 'nginx:1.27'\n    port: 8080\n    writable: [/var/cache/nginx, /var/run]\n    run_as: {user: 101, group: 101}\n"


def _file(result: Any, *parts: str) -> str:
    path = next(p for p in result.files if p.parts[:len(parts) - 1] == parts[:-1] and p.name == parts[-1])
    text: str = result.files[path]
    return text


def test_writable_and_run_as_reach_kubernetes_and_helm() -> None:
    result = _analyze(NGINX, targets="kubernetes, helm")
    emit(result)
    deployment = yaml.safe_load(_file(result, "kubernetes", "dev", "deployment-web.yaml"))
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/var/cache/nginx", "/var/run"}
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in container["volumeMounts"]}
    assert all("emptyDir" in v for v in pod["volumes"])
    assert container["securityContext"]["runAsUser"] == 101 and pod["securityContext"]["runAsGroup"] == 101
    assert pod["securityContext"]["fsGroup"] == 101  # the emptyDirs are the group's to write
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # UID 101 is below checkov's "high UID": suppressed with the catalogue's reason.
    skips = deployment["metadata"]["annotations"].values()
    assert any(s.startswith("CKV_K8S_40=IC-K8S-003: ") for s in skips)
    values = yaml.safe_load(_file(result, "helm", "web", "values-dev.yaml"))
    assert values["deployments"]["web"]["spec"]["template"]["spec"] == pod


def test_writable_and_run_as_reach_ecs() -> None:
    result = _analyze(NGINX, platform="ecs", targets="terraform")
    emit(result)
    doc = json.loads(_file(result, "terraform", "dev", "cdk.tf.json"))
    task = doc["resource"]["aws_ecs_task_definition"]["service_web_task"]
    container, init = json.loads(task["container_definitions"])
    assert container["user"] == "101:101" and container["readonlyRootFilesystem"] is True
    mounts = {m["containerPath"]: m["sourceVolume"] for m in container["mountPoints"]}
    assert set(mounts) == {"/tmp", "/var/cache/nginx", "/var/run"}
    assert {v["name"] for v in task["volume"]} == set(mounts.values())
    assert all(not m["readOnly"] for m in container["mountPoints"])
    # Fargate's bind mounts are root's, mode 0755: a non-essential container opens exactly these
    # volumes before the workload starts, with no capability and a read-only root.
    assert container["dependsOn"] == [{"containerName": "web-volumes", "condition": "SUCCESS"}]
    assert init["name"] == "web-volumes" and init["essential"] is False and init["user"] == "0:0"
    assert init["command"] == ["chmod", "1777", "/tmp", "/var/cache/nginx", "/var/run"]
    assert init["mountPoints"] == container["mountPoints"] and init["readonlyRootFilesystem"] is True
    assert init["linuxParameters"]["capabilities"]["drop"] == ["ALL"] and init["privileged"] is False
    assert "@" not in init["image"] and init["image"].rsplit(":", 1)[1][0].isdigit()  # pinned by tag


def test_writable_and_run_as_reach_compose() -> None:
    result = _analyze(NGINX, platform="ecs", targets="compose")
    emit(result)
    web = yaml.safe_load(_file(result, "compose", "compose.yaml"))["services"]["web"]
    assert web["user"] == "101:101" and web["read_only"] is True
    assert web["tmpfs"] == ["/tmp", "/var/cache/nginx", "/var/run"]


def test_a_prebuilt_image_runs_locally_as_it_runs_in_the_cloud() -> None:
    result = _analyze("  api: {image: 'ghcr.io/acme/api:1.0', port: 3000}\n", platform="ecs", targets="compose")
    emit(result)
    api = yaml.safe_load(_file(result, "compose", "compose.yaml"))["services"]["api"]
    assert api["user"] == "10001:10001" and api["tmpfs"] == ["/tmp"]


@pytest.mark.parametrize("fields,origin", [
    ("writable: [var/run]", ("services", "web", "writable", 0)),
    ("writable: [/]", ("services", "web", "writable", 0)),
    ("writable: [/tmp, /proc/sys]", ("services", "web", "writable", 1)),
    ("writable: [/var/../etc]", ("services", "web", "writable", 0)),
    ("writable: [/var/run, /var/run/]", ("services", "web", "writable", 1)),
    ("writable: [/data, /dev]", ("services", "web", "writable", 1)),
])
def test_unsafe_or_repeated_paths_are_refused(fields: str, origin: tuple[Any, ...]) -> None:
    result = _analyze(f"  web:\n    image: 'ghcr.io/acme/web:1.0'\n    port: 8080\n    {fields}\n", ok=False)
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.origin for d in errors] == [origin], [d.message for d in errors]
    assert errors[0].hint


@pytest.mark.parametrize("platform", ["eks", "ecs"])
def test_root_is_refused(platform: str) -> None:
    result = _analyze("  web:\n    image: 'ghcr.io/acme/web:1.0'\n    port: 8080\n    run_as: {user: 0}\n",
                      platform=platform, targets="compose", ok=False)
    errors = [d for d in result.diagnostics if d.is_error]
    assert [(d.code, d.origin) for d in errors] == [("IC-SEC-013", ("services", "web", "run_as", "user"))]
    assert "IC-SEC-013" in (errors[0].hint or "") or platform == "eks"


ALLOW_ROOT = ("    run_as: {user: 0}\n    allow: [{rule: IC-SEC-013, reason: the vendor image binds as root and drops to "
              "its user itself}]\n")


def test_root_may_be_allowed_on_ecs_with_a_reason() -> None:
    result = _analyze("  web:\n    image: 'ghcr.io/acme/web:1.0'\n    port: 8080\n" + ALLOW_ROOT, platform="ecs",
                      targets="terraform, compose")
    assert _security(result).run_as_user == 0
    assert [a.rule for a in result.ir.envs["dev"].graph.component("service.web").allowances] == ["IC-SEC-013"]
    emit(result)
    assert yaml.safe_load(_file(result, "compose", "compose.yaml"))["services"]["web"]["user"] == "0:0"


def test_root_stays_refused_on_eks_and_for_generated_dockerfiles() -> None:
    eks = _analyze("  web:\n    image: 'ghcr.io/acme/web:1.0'\n    port: 8080\n" + ALLOW_ROOT, ok=False)
    assert [d.code for d in eks.diagnostics if d.is_error] == ["IC-SEC-013"]
    built = _analyze("  web:\n    build: {context: examples/three-tier/api, language: python}\n    port: 8080\n"
                     + ALLOW_ROOT, platform="ecs", ok=False)
    assert [d.code for d in built.diagnostics if d.is_error] == ["IC-SEC-013"]


def test_overrides_may_set_the_fields_per_environment() -> None:
    result = _analyze("  web:\n    image: 'ghcr.io/acme/web:1.0'\n    port: 8080\n"
                      "    overrides:\n      prod: {writable: [/var/cache/app], run_as: {user: 20000, group: 20001}}\n")
    assert _security(result).writable_paths == ["/tmp"]
    prod = _security(result, env="prod")
    assert prod.writable_paths == ["/tmp", "/var/cache/app"] and (prod.run_as_user, prod.run_as_group) == (20000, 20001)


def test_a_stock_image_without_a_port_gets_its_paths_but_is_not_judged_as_a_server() -> None:
    result = _analyze("  tool: {image: 'nginx:1.27', command: [nginx, -T], health: {command: [nginx, -t]}}\n")
    found = _sec005(result)
    assert [d.severity for d in found] == ["note"] and "port" not in found[0].message
    assert _security(result, "tool").writable_paths == ["/tmp", "/var/cache/nginx", "/var/run"]


def _checkov() -> str:
    """checkov from the oracle virtualenv (`make test` creates it), PATH, or next to this Python."""
    for candidate in (ROOT / ".venv-oracles" / "bin" / "checkov", Path(sys.executable).parent / "checkov"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("checkov")
    assert found, "checkov is not installed (make test installs the oracles)"
    return found


def test_checkov_passes_the_image_user_with_its_catalogue_reason(tmp_path: Path) -> None:
    """A UID below 10000 fails only CKV_K8S_40, which carries the IC-K8S-003 suppression."""
    result = _analyze(NGINX.replace("port: 8080", "port: 8080\n    health: /healthz"))
    emit(result)
    scan = tmp_path / "scan"
    scan.mkdir()
    for path, text in result.files.items():
        if path.parts[:2] == ("kubernetes", "dev"):
            (scan / path.name).write_text(text, encoding="utf-8")
    subprocess.run([_checkov(), "-d", str(scan), "--framework", "kubernetes", "--skip-download", "-o", "json",
                    "--output-file-path", str(tmp_path / "out")], capture_output=True, check=False, timeout=600)
    report = json.loads((tmp_path / "out" / "results_json.json").read_text(encoding="utf-8"))["results"]
    assert not report["failed_checks"], [(c["check_id"], c["file_path"]) for c in report["failed_checks"]]
    assert len(report["passed_checks"]) > 50
    skipped = {(c["check_id"], Path(c["file_path"]).name) for c in report["skipped_checks"]}
    assert ("CKV_K8S_40", "deployment-web.yaml") in skipped
