"""What the pipeline needs to know about a stack, read from the IR and `naming` only."""
from __future__ import annotations

from dataclasses import dataclass

from infracc.compiler import naming, resolved
from infracc.compiler.ir import Component, EnvIR, StackIR

ROLE_DEPLOY = "github-deploy"
ROLE_PLAN = "github-plan"
ROLE_BUILD = "github-build"


@dataclass(frozen=True)
class Image:
    """One image the pipeline builds and pushes to ECR."""

    workload: str
    repository: str
    context: str
    dockerfile: str
    platforms: tuple[str, ...]


def workloads(ir: StackIR) -> list[Component]:
    return list(ir.envs.values())[-1].graph.components("service", "job")


def images(ir: StackIR) -> list[Image]:
    out = []
    for comp in workloads(ir):
        build = comp.build
        if build is None:
            continue
        dockerfile = (f"$OUT_DIR/docker/{comp.name}/Dockerfile" if build.generated
                      else (f"{build.context}/{build.dockerfile}" if build.context != "." else build.dockerfile))
        out.append(Image(comp.name, naming.image_repository(ir.name, comp.name), build.context, dockerfile,
                         _platforms(ir, comp.id)))
    return out


# GitHub-hosted runner of each image platform: images build natively, no QEMU emulation.
RUNNERS = {"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm"}


def arch(platform: str) -> str:
    """`linux/arm64` → `arm64` (build job ids and per-architecture tag suffixes)."""
    return platform.removeprefix("linux/")


def build_platforms(ir: StackIR) -> list[str]:
    """Platforms some image is built for, one build job each."""
    return sorted({p for image in images(ir) for p in image.platforms})


def _platforms(ir: StackIR, node_id: str) -> tuple[str, ...]:
    arches = set()
    for env in ir.envs.values():
        opt = env.graph.component(node_id).optimization
        assert opt is not None and opt.arch is not None, f"{node_id}: the cost pass decides the architecture"
        arches.add(opt.arch)
    return tuple(sorted("linux/arm64" if a == "arm64" else "linux/amd64" for a in arches))


def account(env: EnvIR) -> str:
    """The AWS account id: literal when the spec sets it, else a GitHub variable."""
    return env.settings.account_id or "${{ vars.AWS_ACCOUNT_ID_" + env_key(env.name) + " }}"


def env_key(name: str) -> str:
    return name.upper().replace("-", "_")


def role_name(ir: StackIR, env: str, role: str) -> str:
    return naming.resource(ir.name, env, role)


def role_arn(ir: StackIR, env: EnvIR, role: str) -> str:
    return f"arn:aws:iam::{account(env)}:role/{role_name(ir, env.name, role)}"


def uses_terraform(ir: StackIR) -> bool:
    return "terraform" in ir.targets


def rollout_services(ir: StackIR) -> list[Component]:
    """Services whose image the pipeline builds, hence rolls out itself."""
    return [c for c in workloads(ir) if c.kind == "service" and resolved.service(c).built]
