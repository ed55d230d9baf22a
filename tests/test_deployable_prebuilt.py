"""Prebuilt images under the hardening profile (issue #12, defect 5).

Every workload runs as UID 10001 with a read-only root filesystem and only /tmp writable. The
stock `nginx` image cannot start that way (port 80 as root, writes /var/cache/nginx and
/var/run): the security pass says so and names the image that works. A spec will be able to
give a prebuilt image its own UID and writable directories (`run_as`, `writable`: schema
fields still to add); the pass already reads them, and both backends mount what it decides.
"""
from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT

from infracc.compiler.passes import security
from infracc.compiler.pipeline import analyze, emit


def _analyze(services: str, platform: str = "eks", targets: str = "kubernetes"):
    text = f"infracc: 1\nname: web\nplatform: {platform}\ntargets: [{targets}]\nservices:\n{services}"
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return result


def _sec005(result):
    return [d for d in result.diagnostics if d.code == "IC-SEC-005"]


@pytest.mark.parametrize("image", ["nginx:1.27", "docker.io/library/nginx:1.27", "public.ecr.aws/nginx/nginx:1.27",
                                   "nginx:1.27@sha256:" + "a" * 64])
def test_stock_nginx_is_reported_with_the_image_that_works(image: str) -> None:
    result = _analyze(f"  web: {{image: '{image}', port: 80}}\n")
    found = _sec005(result)
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].origin == ("services", "web", "image")
    assert "port 80" in found[0].message and "/var/cache/nginx" in found[0].message
    assert "nginxinc/nginx-unprivileged" in found[0].hint


def test_unprivileged_nginx_and_high_ports_are_quiet() -> None:
    result = _analyze("  web: {image: 'nginxinc/nginx-unprivileged:1.27', port: 8080}\n"
                      "  api: {image: 'ghcr.io/acme/api:1.0', port: 3000}\n")
    assert not _sec005(result)


def test_a_port_below_1024_is_reported() -> None:
    result = _analyze("  api: {image: 'ghcr.io/acme/api:1.0', port: 443}\n")
    found = _sec005(result)
    assert [d.origin for d in found] == [("services", "api", "port")]


def _with(result, name: str, **fields) -> None:
    """Give one service's spec fields the schema does not have yet, then re-run the security pass."""
    for env in result.ir.envs.values():
        spec = env.graph.component(f"service.{name}").spec
        for key, value in fields.items():
            object.__setattr__(spec, key, value)
    result.diagnostics = security.security(result.ir, {})


NGINX = "  web: {image: 'nginx:1.27', port: 8080}\n"


def test_writable_and_run_as_reach_kubernetes() -> None:
    result = _analyze(NGINX)
    _with(result, "web", writable=["/var/cache/nginx", "/var/run/", "/tmp"], run_as="101:101")
    sec = result.ir.envs["dev"].graph.component("service.web").security
    assert sec.writable_paths == ["/tmp", "/var/cache/nginx", "/var/run"]
    assert (sec.run_as_user, sec.run_as_group, sec.read_only_root_filesystem) == (101, 101, True)
    # Writable directories covered: only the port remains in the warning.
    (found,) = _sec005(result)
    assert "/var/cache/nginx" not in found.message and "port 80" in found.message
    emit(result)
    path = next(p for p in result.files if p.parts[:2] == ("kubernetes", "dev") and p.name == "deployment-web.yaml")
    pod = yaml.safe_load(result.files[path])["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/var/cache/nginx", "/var/run"}
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in container["volumeMounts"]}
    assert container["securityContext"]["runAsUser"] == 101 and pod["securityContext"]["runAsGroup"] == 101
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_writable_and_run_as_reach_ecs() -> None:
    result = _analyze(NGINX, platform="ecs", targets="terraform")
    _with(result, "web", writable=["/var/cache/nginx", "/var/run"], run_as=101)
    emit(result)
    doc = json.loads(next(t for p, t in result.files.items() if p.parts[:2] == ("terraform", "dev")
                          and p.name == "cdk.tf.json"))
    task = doc["resource"]["aws_ecs_task_definition"]["service_web_task"]
    (container,) = json.loads(task["container_definitions"])
    assert container["user"] == "101:101" and container["readonlyRootFilesystem"] is True
    mounts = {m["containerPath"]: m["sourceVolume"] for m in container["mountPoints"]}
    assert set(mounts) == {"/tmp", "/var/cache/nginx", "/var/run"}
    assert {v["name"] for v in task["volume"]} == set(mounts.values())


@pytest.mark.parametrize("fields,origin", [({"run_as": 0}, ("services", "web", "run_as")),
                                           ({"run_as": "0:0"}, ("services", "web", "run_as")),
                                           ({"run_as": "nginx"}, ("services", "web", "run_as")),
                                           ({"writable": ["var/run"]}, ("services", "web", "writable", 0)),
                                           ({"writable": ["/"]}, ("services", "web", "writable", 0)),
                                           ({"writable": ["/tmp", "/proc/sys"]}, ("services", "web", "writable", 1))])
def test_root_and_unsafe_paths_are_refused(fields: dict, origin: tuple) -> None:
    result = _analyze(NGINX)
    _with(result, "web", **fields)
    errors = [d for d in result.diagnostics if d.is_error]
    assert [(d.code, d.origin) for d in errors] == [("IC-SEC-005", origin)]
    sec = result.ir.envs["dev"].graph.component("service.web").security
    assert sec.run_as_user == 10001 and "/" not in sec.writable_paths


def test_stock_image_without_a_port_is_not_judged() -> None:
    result = _analyze("  tool: {image: 'nginx:1.27', command: [nginx, -T]}\n")
    assert not _sec005(result)
