"""A one-replica background service is never run twice, even while it deploys (issue #12, defect 3).

A scheduler such as Celery beat runs `replicas: 1` and listens on no port; a surge-then-drain
rollout (ECS maximum 200%, a Kubernetes 25% surge) runs two copies for a while, and both fire.
The sizing pass marks it `singleton`; ECS replaces it 0%/100% and Kubernetes with `Recreate`.
A server with a port at one replica keeps the surge (stop-then-start would drop its traffic).
"""
from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT

from infracc.compiler.passes.sizing import singleton
from infracc.compiler.pipeline import analyze, emit

SERVICES = """\
services:
  beat:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, beat]
    replicas: 1
  api:
    image: ghcr.io/acme/app:1.0
    port: 8080
    replicas: 1
  worker:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, worker]
    health: {command: [celery, -A, app, inspect, ping]}
    replicas: {min: 1, max: 3}
  pinned:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, beat]
    overrides:
      prod: {replicas: 1}
"""
# beat: always a singleton; api: has a port; worker: may scale; pinned: only where the
# override fixes one replica (the profile's default range elsewhere).
EXPECTED = {"beat": {"dev": True, "staging": True, "prod": True},
            "api": {"dev": False, "staging": False, "prod": False},
            "worker": {"dev": False, "staging": False, "prod": False},
            "pinned": {"dev": False, "staging": False, "prod": True}}


def _compile(platform: str, target: str):
    text = f"infracc: 1\nname: jobs\nplatform: {platform}\ntargets: [{target}]\n" + SERVICES
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    return result


def test_singleton_decision() -> None:
    result = analyze(text="infracc: 1\nname: jobs\n" + SERVICES, source_dir=str(ROOT))
    assert result.ok
    for name, per_env in EXPECTED.items():
        for env, expected in per_env.items():
            assert result.ir.envs[env].graph.component(f"service.{name}").sizing.singleton is expected, (name, env)
    # High availability raises replicas only for services with a port: prod's beat stays one.
    beat = result.ir.envs["prod"].graph.component("service.beat").sizing
    assert (beat.replicas_min, beat.replicas_max) == (1, 1)


@pytest.mark.parametrize("port,lo,hi,expected", [(None, 1, 1, True), (8080, 1, 1, False), (None, 1, 2, False),
                                                 (None, 2, 2, False), (None, 0, 1, False)])
def test_singleton_rule(port, lo, hi, expected) -> None:
    assert singleton(port, lo, hi) is expected


def test_ecs_stops_a_singleton_before_starting_its_replacement() -> None:
    result = _compile("ecs", "terraform")
    for p, text in result.files.items():
        if p.parts[0] != "terraform" or p.name != "cdk.tf.json":
            continue
        env = p.parts[1]
        services = json.loads(text)["resource"]["aws_ecs_service"]
        for name, per_env in EXPECTED.items():
            svc = services[f"service_{name}"]
            got = (svc["deployment_minimum_healthy_percent"], svc["deployment_maximum_percent"])
            assert got == ((0, 100) if per_env[env] else (100, 200)), (name, env)


def test_kubernetes_recreates_a_singleton() -> None:
    result = _compile("eks", "kubernetes")
    for env in EXPECTED["beat"]:
        for name, per_env in EXPECTED.items():
            text = result.files[next(p for p in result.files if p.parts[:2] == ("kubernetes", env)
                                     and p.name == f"deployment-{name}.yaml")]
            strategy = yaml.safe_load(text)["spec"]["strategy"]
            if per_env[env]:
                assert strategy == {"type": "Recreate"}, (name, env)
            else:
                assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}


@pytest.mark.parametrize("deploy,where", [
    ("    deploy: {strategy: canary}\n", ("services", "beat", "deploy", "strategy")),
    ("    deploy: {strategy: blue-green}\n", ("services", "beat", "deploy", "strategy")),
    ("    overrides:\n      prod: {deploy: {strategy: canary, steps: [50, 100]}}\n",
     ("services", "beat", "overrides", "prod", "deploy", "strategy")),
])
def test_traffic_shifting_on_a_worker_is_refused(deploy: str, where: tuple) -> None:
    """Canary and blue-green run the old and new versions side by side while traffic moves; a
    worker has no traffic to move, so a singleton would run twice (an Argo Rollout without
    traffic routing scales both ReplicaSets). Refused at validate, pointing at the strategy."""
    text = ("infracc: 1\nname: jobs\nplatform: eks\nservices:\n  beat:\n    image: ghcr.io/acme/app:1.0\n"
            "    command: [celery, -A, app, beat]\n    replicas: 1\n" + deploy)
    result = analyze(text=text, source_dir=str(ROOT))
    errors = [d for d in result.diagnostics if d.is_error]
    assert [(d.code, d.origin) for d in errors] == [("IC-SVC-004", where)]
    assert "remove `deploy`" in (errors[0].hint or "")


def test_rolling_on_a_worker_and_canary_on_a_server_stay_valid() -> None:
    text = ("infracc: 1\nname: jobs\nplatform: eks\nservices:\n"
            "  beat: {image: 'ghcr.io/acme/app:1.0', replicas: 1, deploy: {strategy: rolling},"
            " health: {command: [celery, inspect, ping]}}\n"
            "  api: {image: 'ghcr.io/acme/app:1.0', port: 8080, replicas: 1, deploy: {strategy: canary}}\n")
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    assert result.ir.envs["dev"].graph.component("service.beat").sizing.singleton


# --- the explicit flag (issue #16) ----------------------------------------------------------

FLAGGED = """\
services:
  leader:
    image: ghcr.io/acme/app:1.0
    port: 8080
    singleton: true
  beat:
    image: ghcr.io/acme/app:1.0
    command: [celery, -A, app, beat]
    replicas: 1
    singleton: false
    health: {command: [celery, -A, app, inspect, ping]}
jobs:
  nightly:
    image: ghcr.io/acme/app:1.0
    schedule: "0 3 * * *"
  overlap:
    image: ghcr.io/acme/app:1.0
    schedule: "*/5 * * * *"
    singleton: false
"""


def _flagged(platform: str, targets: list[str]):
    text = f"infracc: 1\nname: jobs\nplatform: {platform}\n" + FLAGGED
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result, targets)
    return result


def test_flag_forces_and_opts_out_in_every_environment() -> None:
    result = _flagged("ecs", ["terraform", "docs"])
    for env in ("dev", "staging", "prod"):
        graph = result.ir.envs[env].graph
        leader = graph.component("service.leader").sizing
        # Forced: one replica even in prod, whose high availability raises servers to 2+.
        assert leader.singleton and (leader.replicas_min, leader.replicas_max) == (1, 1), env
        assert not graph.component("service.beat").sizing.singleton, env  # would be inferred
        assert graph.component("job.nightly").sizing.singleton and not graph.component("job.overlap").sizing.singleton
        doc = json.loads(result.files[next(p for p in result.files if p.parts[:2] == ("terraform", env)
                                           and p.name == "cdk.tf.json")])
        res = doc["resource"]
        leader_svc, beat_svc = res["aws_ecs_service"]["service_leader"], res["aws_ecs_service"]["service_beat"]
        assert (leader_svc["deployment_minimum_healthy_percent"], leader_svc["deployment_maximum_percent"]) == (0, 100)
        assert (beat_svc["deployment_minimum_healthy_percent"], beat_svc["deployment_maximum_percent"]) == (100, 200)
        assert "service_leader_cpu" not in res["aws_appautoscaling_policy"]  # no autoscaling for a singleton
        assert "service_leader_scaling" in res["aws_appautoscaling_target"]  # kept for the off-hours schedule
    runbook = result.files[next(p for p in result.files if p.as_posix() == "docs/README.md")]
    section = runbook.split("## Singletons", 1)[1].split("\n## ", 1)[0]
    assert "`leader` (service, `singleton: true`" in section
    # ecs cannot keep default scheduled runs apart: the runbook claims nothing for them
    assert "`beat`" not in section and "`overlap`" not in section and "`nightly`" not in section


def test_kubernetes_flag_recreate_no_hpa_and_cron_overlap() -> None:
    result = _flagged("eks", ["kubernetes"])
    for env in ("dev", "prod"):
        files = {p.name: text for p, text in result.files.items() if p.parts[:2] == ("kubernetes", env)}
        assert yaml.safe_load(files["deployment-leader.yaml"])["spec"]["strategy"] == {"type": "Recreate"}
        assert "horizontalpodautoscaler-leader.yaml" not in files
        assert yaml.safe_load(files["deployment-beat.yaml"])["spec"]["strategy"]["type"] == "RollingUpdate"
        assert yaml.safe_load(files["cronjob-nightly.yaml"])["spec"]["concurrencyPolicy"] == "Forbid"
        assert yaml.safe_load(files["cronjob-overlap.yaml"])["spec"]["concurrencyPolicy"] == "Allow"


def test_runbook_lists_cronjob_singletons_on_eks() -> None:
    result = _flagged("eks", ["docs"])
    runbook = result.files[next(p for p in result.files if p.as_posix() == "docs/README.md")]
    section = runbook.split("## Singletons", 1)[1].split("\n## ", 1)[0]
    assert "`nightly` (job, default: a scheduled run is skipped" in section and "`overlap`" not in section
    assert "`leader` (service, `singleton: true`" in section


@pytest.mark.parametrize("body,where", [
    ("    replicas: 3\n", (9, 15)),
    ("    replicas: {min: 1, max: 4}\n", (9, 15)),
    ("    overrides:\n      prod: {replicas: 2}\n", (10, 24)),
    ("    deploy: {strategy: blue-green}\n", (9, 24)),
])
def test_a_singleton_that_scales_is_refused_at_the_field(body: str, where: tuple[int, int]) -> None:
    from infracc.compiler.render import position

    text = ("infracc: 1\nname: jobs\nplatform: eks\nservices:\n  leader:\n    image: ghcr.io/acme/app:1.0\n"
            "    port: 8080\n    singleton: true\n" + body)
    result = analyze(text=text, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, result.source)) for d in result.diagnostics if d.is_error]
    assert ("IC-SVC-007", where) in errors, errors
    assert all("singleton" in (d.hint or "") or "deploy" in (d.hint or "") for d in result.diagnostics if d.is_error)


def test_a_singleton_job_on_ecs_warns_that_the_app_must_lock() -> None:
    from infracc.compiler.render import position

    text = ("infracc: 1\nname: jobs\nplatform: ecs\njobs:\n  nightly:\n    image: ghcr.io/acme/app:1.0\n"
            "    schedule: \"0 3 * * *\"\n    singleton: true\n")
    result = analyze(text=text, skip=frozenset({"cost"}))
    assert result.ok
    warned = [(d.code, position(d, result.source)) for d in result.diagnostics if d.code == "IC-SVC-009"]
    assert warned == [("IC-SVC-009", (8, 16))]
    eks = analyze(text=text.replace("platform: ecs", "platform: eks"), skip=frozenset({"cost"}))
    assert not [d for d in eks.diagnostics if d.code == "IC-SVC-009"]  # CronJob Forbid enforces it
