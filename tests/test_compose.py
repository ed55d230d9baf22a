"""Compose backend: schema validity (Compose Specification) and our own hardening assertions."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, compiled, output_files
from ruamel.yaml import YAML

from infracc.backends.compose import depends_on

SCHEMA = json.loads((Path(__file__).parent / "data" / "compose-spec.json").read_text())
WITH_COMPOSE = [e for e in EXAMPLES if output_files(e, "compose")]


def _compose(example: str) -> dict:
    return YAML(typ="safe").load(output_files(example, "compose")["compose/compose.yaml"])


def _env(example: str):
    return next(iter(compiled(example).ir.envs.values()))


@pytest.mark.parametrize("example", WITH_COMPOSE)
def test_schema_valid(example: str) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(_compose(example))


@pytest.mark.parametrize("example", WITH_COMPOSE)
def test_hardening(example: str) -> None:
    env = _env(example)
    public = {c.name for c in env.graph.components("service") if c.spec.public}
    for name, svc in _compose(example)["services"].items():
        assert not svc.get("privileged") and svc.get("network_mode") != "host", name
        assert svc["cap_drop"] == ["ALL"] and "cap_add" not in svc, name
        assert svc["security_opt"] == ["no-new-privileges:true"], name
        assert svc["read_only"] is True and "/tmp" in svc["tmpfs"], name
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:") and name in public, name
        if "build" in svc:
            assert svc["user"] == "10001:10001" and not svc["build"]["context"].startswith("/")


@pytest.mark.parametrize("example", WITH_COMPOSE)
def test_standins_have_healthchecks_and_pinned_images(example: str) -> None:
    for name, svc in _compose(example)["services"].items():
        if "image" in svc:
            assert ":" in svc["image"].rsplit("/", 1)[-1] and not svc["image"].endswith(":latest"), name
        one_shot = ("local-s3-init", "local-dynamodb-init", *(f"{c.name}-init" for c in _env(example).graph.components("filesystem")))
        if "image" in svc and name not in one_shot and name not in {c.name for c in _env(example).graph.components("service")}:
            assert "healthcheck" in svc, name


@pytest.mark.parametrize("example", WITH_COMPOSE)
def test_depends_on_matches_uses(example: str) -> None:
    env, services = _env(example), _compose(example)["services"]
    for comp in env.graph.components("service", "job"):
        expected = depends_on(env, comp)
        got = services[comp.name].get("depends_on", {})
        assert len(expected) >= len({env.graph.component(c.target).kind for c in env.graph.uses(comp.id)} - {"service", "database", "cache", "function"})
        for target, cond in expected.items():
            assert got[target] == cond
            assert target in services
        if comp.spec.__dict__.get("migrate"):
            assert got[f"{comp.name}-migrate"] == {"condition": "service_completed_successfully"}
        if comp.kind == "job":
            assert services[comp.name]["profiles"] == ["jobs"]


@pytest.mark.parametrize("example", WITH_COMPOSE)
def test_no_secret_values(example: str) -> None:
    env, services = _env(example), _compose(example)["services"]
    for comp in env.graph.components("service", "job"):
        environment = services[comp.name]["environment"]
        assert {v.name for v in comp.env} <= set(environment)  # the names the cloud gets
        for var in comp.env:
            if var.secret:
                assert "${" in environment[var.name], var.name
    example_env = output_files(example, "compose")["compose/.env.example"]
    for line in example_env.splitlines():
        if line and not line.startswith("#"):
            assert line.endswith("="), line
    text = output_files(example, "compose")["compose/compose.yaml"]
    assert str(Path(compiled(example).ir.source_dir)) not in text


def test_functions_and_prebuilt_images(tmp_path: Path) -> None:
    from infracc.backends.compose import emit as compose_emit
    from infracc.compiler.pipeline import analyze

    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    text = """infracc: 1
name: fns
region: eu-west-1
targets: [compose]
functions:
  hello:
    runtime: python3.12
    source: ./fn
    handler: app.handler
    env: {GREETING: "Hi $${user}"}
    uses: [inbox:send]
services:
  proxy:
    image: nginx:1.27
    port: 80
    health: {command: [nginx, -t]}
    uses: [hello]
queues:
  inbox: {fifo: true}
"""
    result = analyze(text=text, source_dir=str(tmp_path))
    assert result.ok, [d.message for d in result.diagnostics]
    files, _ = compose_emit(result.ir)
    doc = YAML(typ="safe").load(files[Path("compose/compose.yaml")])
    jsonschema.Draft7Validator(SCHEMA).validate(doc)
    fn = doc["services"]["hello"]
    assert fn["image"] == "public.ecr.aws/lambda/python:3.12" and fn["command"] == ["app.handler"]
    assert fn["volumes"] == ["${INFRACC_STACK_DIR:-../..}/fn:/var/task:ro"] and "healthcheck" in fn
    assert fn["environment"]["GREETING"] == "Hi $${user}"  # literal `$` escaped for compose
    assert doc["services"]["proxy"]["depends_on"] == {"hello": {"condition": "service_healthy"}}
    assert doc["services"]["proxy"]["healthcheck"]["test"] == ["CMD", "nginx", "-t"]
    assert '"inbox.fifo"' in files[Path("compose/elasticmq.conf")]
