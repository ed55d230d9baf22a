"""Rollback jobs: run only when that environment's deploy job failed (`if: failure()`); on eks,
when its `release-<env>` job failed, on the same in-VPC runner (the API endpoint is private)."""
from __future__ import annotations

from typing import Any

from infracc.backends.ci import context as cx
from infracc.backends.ci.deploy import (
    ECS,
    OIDC,
    ON_PUSH,
    _key,
    cluster_login,
    cluster_runner,
    releases_in_cluster,
)
from infracc.backends.ci.pull_request import aws_login, checkout, setup_terraform
from infracc.compiler import naming
from infracc.compiler.ir import EnvIR, StackIR


def _steps(ir: StackIR, env: EnvIR, deploy: str) -> list[dict[str, Any]]:
    if cx.rollout_services(ir) and ir.platform == "ecs":
        cluster = naming.prefix(ir.name, env.name)
        return [{"name": f"Restore {svc.name}", "env": {"PREVIOUS": f"${{{{ needs.{deploy}.outputs.{_key(svc.name)} }}}}"},
                 "run": (f'if [ -n "$PREVIOUS" ]; then {ECS} restore {cluster} '
                         f'{naming.resource(ir.name, env.name, svc.name)} "$PREVIOUS"; '
                         f'else echo "{svc.name} was not changed"; fi')}
                for svc in cx.rollout_services(ir)]
    if releases_in_cluster(ir):
        return [*cluster_login(ir, env)[2:],
                {"name": "helm rollback to the previous release",
                 "run": f"helm rollback {ir.name} 0 --namespace {naming.namespace(ir.name, env.name)} --wait --timeout 20m"}]
    tf = f"$OUT_DIR/terraform/{env.name}"
    return [setup_terraform(),
            {"name": "terraform init (previous commit)", "run": f'terraform -chdir="{tf}" init -input=false'},
            {"name": "terraform apply (previous commit)", "run": f'terraform -chdir="{tf}" apply -input=false -auto-approve'}]


def rollback_job(ir: StackIR, env: EnvIR) -> dict[str, Any]:
    in_cluster = releases_in_cluster(ir)
    deploy = f"release-{env.name}" if in_cluster else f"deploy-{env.name}"
    first = checkout()
    if not cx.rollout_services(ir):  # infrastructure-only stacks roll back by re-applying the previous commit
        first["with"]["ref"] = "${{ github.event.before }}"
    login = cluster_login(ir, env)[:2] if in_cluster else [aws_login(cx.role_arn(ir, env, cx.ROLE_DEPLOY), env.settings.region)]
    return {
        "name": f"Roll back {env.name}", "needs": [deploy],
        "if": f"failure() && {ON_PUSH} && needs.{deploy}.result == 'failure'",
        "runs-on": cluster_runner(ir, env) if in_cluster else "ubuntu-24.04", "timeout-minutes": 30, "permissions": OIDC,
        "environment": {"name": env.name},
        "concurrency": {"group": f"{ir.name}-{env.name}", "cancel-in-progress": False},
        "steps": [first, *login, *_steps(ir, env, deploy)],
    }
