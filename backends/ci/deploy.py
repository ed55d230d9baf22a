"""Push-to-main jobs: build and push images, then deploy each environment in promotion order.

Each deploy job is gated by a GitHub environment of the same name (required reviewers are set
in the repository's environment protection rules where `approval: true`), applies Terraform,
runs `migrate`, rolls the new image out with the service's strategy, and has a rollback job.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.ci import context as cx
from infracc.backends.ci.pins import uses
from infracc.backends.ci.pull_request import aws_login, checkout, setup_terraform
from infracc.compiler import naming, resolved
from infracc.compiler.ir import Component, EnvIR, StackIR
from infracc.compiler.tasks import efs_handles

ON_PUSH = "github.event_name == 'push'"
OIDC = {"contents": "read", "id-token": "write"}
ECS = 'bash "$OUT_DIR/ci/scripts/ecs.sh"'


def _registry_login(ir: StackIR) -> list[dict[str, Any]]:
    login = aws_login(build_role_arn(ir), ir.region)
    login["with"]["mask-aws-account-id"] = False  # the registry host is passed to the deploy jobs
    return [login, {"name": "Log in to Amazon ECR", "id": "ecr", "uses": uses("aws-actions/amazon-ecr-login")}]


def _arch_build_job(ir: StackIR, platform: str) -> dict[str, Any]:
    """Build every image of one platform on a runner of that architecture (no emulation).

    An image needed on one platform is pushed as `:<sha>`; one needed on several is pushed as
    `:<sha>-<arch>` per architecture and joined into the `:<sha>` manifest list by the `build` job."""
    steps = [checkout(), *_registry_login(ir), {"name": "Set up Docker Buildx", "uses": uses("docker/setup-buildx-action")}]
    for image in cx.images(ir):
        if platform not in image.platforms:
            continue
        tag = "$IMAGE_TAG" if len(image.platforms) == 1 else f"$IMAGE_TAG-{cx.arch(platform)}"
        steps.append({
            "name": f"Build and push {image.workload} ({platform})",
            "env": {"REGISTRY": "${{ steps.ecr.outputs.registry }}", "IMAGE_TAG": "${{ github.sha }}"},
            "run": (f'docker buildx build --platform {platform} --provenance=false'
                    f' --file "{image.dockerfile}" --tag "$REGISTRY/{image.repository}:{tag}" --push'
                    f' "$(dirname "$STACK_FILE")/{image.context.removeprefix("./")}"'),
        })
    return {"name": f"Build and push images ({platform})", "if": ON_PUSH, "runs-on": cx.RUNNERS[platform],
            "timeout-minutes": 45, "permissions": OIDC, "outputs": {"registry": "${{ steps.ecr.outputs.registry }}"},
            "steps": steps}


def _manifest_job(ir: StackIR, needs: list[str]) -> dict[str, Any]:
    """Join the per-architecture images of multi-platform images under the commit's tag."""
    steps = [*_registry_login(ir)]
    for image in cx.images(ir):
        if len(image.platforms) < 2:
            continue
        repo = f"$REGISTRY/{image.repository}"
        sources = " ".join(f'"{repo}:$IMAGE_TAG-{cx.arch(p)}"' for p in image.platforms)
        steps.append({"name": f"Manifest list {image.workload} ({', '.join(image.platforms)})",
                      "env": {"REGISTRY": "${{ steps.ecr.outputs.registry }}", "IMAGE_TAG": "${{ github.sha }}"},
                      "run": f'docker buildx imagetools create --tag "{repo}:$IMAGE_TAG" {sources}'})
    return {"name": "Publish multi-platform images", "if": ON_PUSH, "needs": needs, "runs-on": "ubuntu-24.04",
            "timeout-minutes": 15, "permissions": OIDC, "outputs": {"registry": "${{ steps.ecr.outputs.registry }}"},
            "steps": steps}


def build_job_ids(ir: StackIR) -> list[str]:
    """`build-<arch>` per platform (native runner), then `build` when an image needs several
    platforms. Deploy jobs need all of them; the last one's `registry` output is the ECR host."""
    ids = [f"build-{cx.arch(p)}" for p in cx.build_platforms(ir)]
    return ids + ["build"] if any(len(image.platforms) > 1 for image in cx.images(ir)) else ids


def build_jobs(ir: StackIR) -> dict[str, dict[str, Any]]:
    jobs = {f"build-{cx.arch(p)}": _arch_build_job(ir, p) for p in cx.build_platforms(ir)}
    if "build" in build_job_ids(ir):
        jobs["build"] = _manifest_job(ir, list(jobs))
    return jobs


def registry_ref(ir: StackIR) -> str:
    return f"${{{{ needs.{build_job_ids(ir)[-1]}.outputs.registry }}}}"


def build_role_arn(ir: StackIR) -> str:
    first = list(ir.envs.values())[0]
    return f"arn:aws:iam::{cx.account(first)}:role/{naming.resource(ir.name, '', cx.ROLE_BUILD)}"


def _key(name: str) -> str:
    return "previous_" + name.replace("-", "_")


def _ecs_steps(ir: StackIR, env: EnvIR) -> list[dict[str, Any]]:
    cluster = naming.prefix(ir.name, env.name)
    steps = []
    services = [env.graph.component(c.id) for c in cx.rollout_services(ir)]
    for svc in services:
        migrate = resolved.service(svc).migrate
        if migrate:
            steps.append({"name": f"Migrate {svc.name}: {' '.join(migrate)}",
                          "run": f"{ECS} migrate {cluster} {naming.resource(ir.name, env.name, svc.name)} "
                                 f"{naming.resource(ir.name, env.name, svc.name, 'migrate')} "
                                 f'"$REGISTRY/{naming.image_repository(ir.name, svc.name)}" "$IMAGE_TAG"'})
    for svc in services:
        steps.append({"name": f"Roll out {svc.name} ({strategy(svc)})", "id": f"rollout-{svc.name}",
                      "run": f"{ECS} rollout {cluster} {naming.resource(ir.name, env.name, svc.name)} "
                             f'"$REGISTRY/{naming.image_repository(ir.name, svc.name)}" "$IMAGE_TAG"'})
    return steps


def strategy(svc: Component) -> str:
    rollout = resolved.service(svc).rollout
    if rollout.strategy == "canary":
        return "canary " + " → ".join(f"{s}%" for s in rollout.steps)
    return rollout.strategy


# The EKS API endpoint is private (backends/terraform/eks.py): GitHub-hosted runners cannot reach
# it. Terraform (AWS APIs only) stays on `deploy-<env>` (GitHub-hosted), and everything that talks
# to the cluster runs in `release-<env>` on a self-hosted runner inside the environment's VPC,
# labelled with the cluster's name. Chosen over a public endpoint: GitHub-hosted runners have no
# fixed source addresses to put in `public_access_cidrs` (so it would be 0.0.0.0/0, checkov
# CKV_AWS_38/39), and the first pipeline run still works: Terraform creates the VPC and cluster on
# GitHub's runners, and `release-<env>` waits in the queue until the runner exists.
RUNNER_TOOLS = ("aws", "kubectl", "helm")


def cluster_runner(ir: StackIR, env: EnvIR) -> list[str]:
    """Labels of the self-hosted runner in the environment's VPC (label = the cluster name)."""
    return ["self-hosted", "linux", naming.prefix(ir.name, env.name)]


def releases_in_cluster(ir: StackIR) -> bool:
    return ir.platform == "eks" and bool(cx.rollout_services(ir))


def cluster_login(ir: StackIR, env: EnvIR) -> list[dict[str, Any]]:
    """Steps that make the in-VPC runner's kubectl/helm talk to the environment's cluster."""
    tools = " ".join(RUNNER_TOOLS)
    return [
        {"name": f"Runner tools ({', '.join(RUNNER_TOOLS)})",
         "run": (f'for tool in {tools}; do command -v "$tool" > /dev/null || '
                 f'{{ echo "::error::the in-VPC runner needs $tool on PATH ({tools})"; exit 1; }}; done')},
        aws_login(cx.role_arn(ir, env, cx.ROLE_DEPLOY), env.settings.region),
        {"name": "kubeconfig (private endpoint)",
         "run": f"aws eks update-kubeconfig --name {naming.prefix(ir.name, env.name)} --region {env.settings.region}"},
    ]


def _eks_steps(ir: StackIR, env: EnvIR) -> list[dict[str, Any]]:
    ns = naming.namespace(ir.name, env.name)
    chart = f"$OUT_DIR/helm/{ir.name}"
    values = f'--values "{chart}/values-{env.name}.yaml"'
    steps = [{"name": f"Namespace {ns} (Pod Security labels; Helm does not create it)",
              "run": (f'helm template {ir.name} "{chart}" --namespace {ns} {values} --set createNamespace=true'
                      ' --set-string image.tag="$IMAGE_TAG" --show-only templates/namespace.yaml'
                      ' > "$RUNNER_TEMP/namespace.yaml" && kubectl apply -f "$RUNNER_TEMP/namespace.yaml"')},
             {"name": "helm upgrade --install (migrate runs as a pre-upgrade hook)",
              "run": (f'helm upgrade --install {ir.name} "{chart}" --namespace {ns} {values}'
                      ' --set-string image.registry="$REGISTRY" --set-string image.tag="$IMAGE_TAG"'
                      + "".join(f' --set-string persistentVolumes.{pv}.spec.csi.volumeHandle="${v}"'
                                for v, _, pv in efs_handles(ir, env))
                      + " --atomic --wait --timeout 20m")}]
    for svc in cx.rollout_services(ir):
        if strategy(svc) != "rolling":
            steps.append({"name": f"Wait for {svc.name} ({strategy(svc)}, Argo Rollouts)",
                          "run": f"kubectl -n {ns} wait --for=condition=Healthy rollout.argoproj.io/{svc.name} --timeout=30m"})
    return steps


def release_job(ir: StackIR, env: EnvIR, needs: list[str]) -> dict[str, Any]:
    """Roll the commit's images out to the environment's cluster from inside its VPC."""
    handles = {v: f"${{{{ needs.deploy-{env.name}.outputs.{v} }}}}" for v, _, _ in efs_handles(ir, env)}
    return {
        "name": f"Release {env.name} (runner in the VPC)", "if": ON_PUSH, "needs": needs,
        "runs-on": cluster_runner(ir, env), "timeout-minutes": 60, "permissions": OIDC,
        "environment": {"name": env.name},
        "concurrency": {"group": f"{ir.name}-{env.name}", "cancel-in-progress": False},
        "env": {"REGISTRY": registry_ref(ir), "IMAGE_TAG": "${{ github.sha }}", **handles},
        "steps": [checkout(), *cluster_login(ir, env), *_eks_steps(ir, env)],
    }


def _efs_step(ir: StackIR, env: EnvIR, tf: str) -> list[dict[str, Any]]:
    lines = [f'echo "{v}=$(terraform -chdir="{tf}" output -raw {o})" >> "$GITHUB_OUTPUT"'
             for v, o, _ in efs_handles(ir, env)]
    return [{"name": "EFS volume handles (for the release's PersistentVolumes)", "id": "efs",
             "run": " && ".join(lines)}] if lines else []


# Lambda architecture (`comp.optimization.arch`) → the manylinux wheel platform pip installs for.
WHEEL_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def install_command(fn: Component) -> str:
    """How a function's dependencies are installed into its zip: Linux wheels for the function's
    architecture and Python version (the runner's own may differ), or `npm ci` for Node.js."""
    spec = resolved.function(fn)
    if spec.family == "python":
        assert fn.optimization is not None and fn.optimization.arch in WHEEL_PLATFORMS, \
            f"{fn.id}: the cost pass decides the architecture"
        version = spec.runtime.removeprefix("python")
        return ('if [ -f requirements.txt ]; then pip install --quiet -r requirements.txt --target "$BUILD" '
                f"--platform {WHEEL_PLATFORMS[fn.optimization.arch]} --python-version {version} "
                "--implementation cp --only-binary=:all:; fi")
    if spec.family == "nodejs":
        return 'if [ -f package-lock.json ]; then npm ci --omit=dev --prefix "$BUILD"; fi'
    return "true"


def _function_packages(ir: StackIR, env: EnvIR, tf: str) -> list[dict[str, Any]]:
    """Zip each function into the environment's artifacts bucket before `terraform apply` uses it.
    The bucket is created first with a targeted apply (it is part of the same stack)."""
    functions = env.graph.components("function")
    if not functions:
        return []
    bucket = naming.resource(ir.name, env.name, "artifacts")
    steps: list[dict[str, Any]] = [{"name": "Artifacts bucket (first deploy)",
              "run": f'terraform -chdir="{tf}" apply -input=false -auto-approve -target=aws_s3_bucket.bucket_artifacts'}]
    for fn in functions:
        spec = resolved.function(fn)
        install = install_command(fn)
        steps.append({"name": f"Package function {fn.name}", "env": {"SOURCE": spec.source},
                      "run": ('BUILD="$RUNNER_TEMP/' + fn.name + '" && mkdir -p "$BUILD" && cp -R "$SOURCE/." "$BUILD/"'
                              f' && (cd "$SOURCE" && {install})'
                              f' && (cd "$BUILD" && zip -qr "$RUNNER_TEMP/{fn.name}.zip" .)'
                              f' && aws s3 cp "$RUNNER_TEMP/{fn.name}.zip" "s3://{bucket}/functions/{fn.name}/$TF_VAR_image_tag.zip"')})
    return steps


def _site_uploads(ir: StackIR, env: EnvIR, tf: str) -> list[dict[str, Any]]:
    """Publish each static site to its bucket and invalidate its CloudFront cache."""
    steps = []
    for site in env.graph.components("site"):
        key = site.name.replace("-", "_")
        steps.append({"name": f"Publish site {site.name}", "env": {"SOURCE": resolved.site(site).source},
                      "run": (f'BUCKET="$(terraform -chdir="{tf}" output -raw site_{key}_bucket)"'
                              f' && DIST="$(terraform -chdir="{tf}" output -raw site_{key}_distribution)"'
                              ' && aws s3 sync "$SOURCE" "s3://$BUCKET" --delete'
                              ' && aws cloudfront create-invalidation --distribution-id "$DIST" --paths "/*"')})
    return steps


def deploy_job(ir: StackIR, env: EnvIR, needs: list[str]) -> dict[str, Any]:
    tf = f"$OUT_DIR/terraform/{env.name}"
    steps = [checkout()]
    if cx.uses_terraform(ir):
        steps += [setup_terraform()]
    steps.append(aws_login(cx.role_arn(ir, env, cx.ROLE_DEPLOY), env.settings.region))
    if cx.uses_terraform(ir):
        steps += [{"name": "terraform init", "run": f'terraform -chdir="{tf}" init -input=false'}]
        steps += _function_packages(ir, env, tf)
        steps += [{"name": "terraform apply", "run": f'terraform -chdir="{tf}" apply -input=false -auto-approve'}]
        steps += _site_uploads(ir, env, tf)
        steps += _efs_step(ir, env, tf)
    job: dict[str, Any] = {
        "name": f"Deploy {env.name}", "if": ON_PUSH, "needs": needs, "runs-on": "ubuntu-24.04",
        "timeout-minutes": 60, "permissions": OIDC, "environment": {"name": env.name},
        "concurrency": {"group": f"{ir.name}-{env.name}", "cancel-in-progress": False},
        "steps": steps,
    }
    if not needs:
        del job["needs"]
    if efs_handles(ir, env) and cx.uses_terraform(ir):
        job["outputs"] = {v: f"${{{{ steps.efs.outputs.{v} }}}}" for v, _, _ in efs_handles(ir, env)}
    if cx.rollout_services(ir) and ir.platform == "ecs":
        job["env"] = {"REGISTRY": registry_ref(ir), "IMAGE_TAG": "${{ github.sha }}"}
        steps += _ecs_steps(ir, env)
        job["outputs"] = {_key(s.name): f"${{{{ steps.rollout-{s.name}.outputs.previous }}}}"
                          for s in cx.rollout_services(ir)}
    return job
