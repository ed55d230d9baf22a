"""`infracc tasks`: the ordered infrastructure task breakdown, derived from the IR.

The order is the order an operator (or an agent) must follow: bootstrap the Terraform state
bucket (one for the stack: every environment's backend keeps its state there) and apply the CI
Terraform (GitHub OIDC roles and the ECR repositories), then per environment in promotion order:
approval gate, build and push images (first environment; later ones promote the same tag),
package functions into the environment's artifacts bucket, `terraform apply` (it creates the
empty secrets), set each declared secret's value, run migrations (the spec's `migrate` runs
before new replicas start), deploy, verify alarms and endpoints.

Every command is non-interactive: Terraform runs with `-input=false`, gets every variable it
declares without a default on the command line, and applies a saved plan. The commands expect
three shell variables: `GIT_SHA` (the release: image tag, function package key and Terraform's
`image_tag`, as CI sets `TF_VAR_image_tag` to the commit SHA), `REGISTRY` (the ECR registry,
`ACCOUNT.dkr.ecr.REGION.amazonaws.com`) and `GITHUB_REPOSITORY` (`owner/repo` the CI roles
trust). Names come from :mod:`infracc.compiler.naming`, so they match the backends; the runbook
(docs backend) renders its commands with the helpers below, so both say the same thing.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from infracc.compiler import naming, resolved
from infracc.compiler.decisions import Endpoint
from infracc.compiler.ir import WORKLOAD_KINDS, Component, EnvIR, StackIR

RELEASE = "$GIT_SHA"
REGISTRY = "$REGISTRY"
# Variables without a default, per Terraform directory kind, and the value the commands pass.
ENV_VARIABLES = {"image_tag": RELEASE}  # CI: TF_VAR_image_tag=${{ github.sha }}
CI_VARIABLES = {"github_repository": "$GITHUB_REPOSITORY"}
CI_TERRAFORM = "out/ci/terraform"
# The artifacts bucket of an environment's stack: created first, on its own, because the
# functions of the same stack read their packages from it during the full apply.
ARTIFACTS_ADDRESS = "aws_s3_bucket.bucket_artifacts"
ENCRYPTION = '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}\''
PUBLIC_ACCESS_BLOCK = "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"


@dataclass
class Task:
    id: str
    kind: str
    title: str
    env: str | None = None
    component: str | None = None
    command: str | None = None
    depends_on: list[str] = field(default_factory=list)


# ---- commands shared with the runbook ------------------------------------------------------


def state_backend(ir: StackIR) -> tuple[str, str]:
    """(bucket, region) of the Terraform state: what every environment's backend block names."""
    return naming.state_bucket(ir.name), ir.region


def state_bucket_commands(bucket: str, region: str) -> list[str]:
    """Create the state bucket: versioned, KMS-encrypted, public access blocked.

    S3 rejects `LocationConstraint=us-east-1` (that region is the default and takes none)."""
    where = "" if region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={region}"
    return [f"aws s3api create-bucket --bucket {bucket} --region {region}{where}",
            f"aws s3api put-bucket-versioning --bucket {bucket} --region {region} "
            "--versioning-configuration Status=Enabled",
            f"aws s3api put-bucket-encryption --bucket {bucket} --region {region} "
            f"--server-side-encryption-configuration {ENCRYPTION}",
            f"aws s3api put-public-access-block --bucket {bucket} --region {region} "
            f"--public-access-block-configuration {PUBLIC_ACCESS_BLOCK}"]


def terraform_dir(env: str) -> str:
    return f"out/terraform/{env}"


def terraform_commands(directory: str, variables: dict[str, str], target: str | None = None,
                       plan: str = "tfplan") -> list[str]:
    """init, plan (every variable given, the plan saved) and apply of the saved plan: no prompt.
    A saved plan carries its variables (Terraform refuses `-var` with one) and needs no approval."""
    tf = f"terraform -chdir={directory}"
    given = "".join(f" -var {name}={value}" for name, value in variables.items())
    only = f" -target={target}" if target else ""
    return [f"{tf} init -input=false", f"{tf} plan -input=false{given}{only} -out={plan}",
            f"{tf} apply -input=false {plan}"]


def artifacts_bucket(ir: StackIR, env: str) -> str:
    return naming.resource(ir.name, env, "artifacts")


def package_key(function: str) -> str:
    """Where a function's package goes in the artifacts bucket (Terraform's `s3_key`)."""
    return f"functions/{function}/{RELEASE}.zip"


def package_commands(ir: StackIR, env: str, comp: Component) -> list[str]:
    """Zip a function's source with its dependencies (Linux wheels for its architecture) and
    upload it where the function's Terraform reads it."""
    spec = resolved.function(comp)
    arch = "aarch64" if comp.optimization is None or comp.optimization.arch == "arm64" else "x86_64"
    build, zipped = f'"${{TMPDIR:-/tmp}}/{comp.name}"', f'"${{TMPDIR:-/tmp}}/{comp.name}.zip"'
    deps = {
        "python": (f"if [ -f {spec.source}/requirements.txt ]; then pip install --quiet -r {spec.source}/requirements.txt "
                   f"--target {build} --platform manylinux2014_{arch} --implementation cp --only-binary=:all:; fi"),
        "nodejs": f"if [ -f {spec.source}/package-lock.json ]; then npm ci --omit=dev --prefix {build}; fi",
    }.get(spec.family or "")
    steps = [f"rm -rf {build} {zipped} && mkdir -p {build} && cp -R {spec.source}/. {build}"]
    steps += [deps] if deps else []
    steps += [f"(cd {build} && zip -qr {zipped} .)",
              f"aws s3 cp {zipped} s3://{artifacts_bucket(ir, env)}/{package_key(comp.name)}"]
    return steps


def site_outputs(site: str) -> tuple[str, str]:
    """Terraform outputs of a site: (content bucket, CloudFront distribution id)."""
    key = site.replace("-", "_")
    return f"site_{key}_bucket", f"site_{key}_distribution"


def site_commands(env: str, comp: Component) -> list[str]:
    bucket, distribution = site_outputs(comp.name)
    tf = f"terraform -chdir={terraform_dir(env)}"
    return [f'aws s3 sync {resolved.site(comp).source} "s3://$({tf} output -raw {bucket})" --delete',
            f'aws cloudfront create-invalidation --distribution-id "$({tf} output -raw {distribution})" --paths "/*"']


def image_platforms(ir: StackIR, comp: Component) -> list[str]:
    """Docker platforms of a workload's image: the architecture of every environment."""
    arches = set()
    for env in ir.envs.values():
        opt = env.graph.component(comp.id).optimization if env.graph.get(comp.id) else None
        arches.add("amd64" if opt is not None and opt.arch == "x86_64" else "arm64")
    return [f"linux/{a}" for a in sorted(arches)]


def registry_login(ir: StackIR) -> str:
    """Docker login to the ECR registry of the CI Terraform (its `region` defaults to the stack's)."""
    return f"aws ecr get-login-password --region {ir.region} | docker login --username AWS --password-stdin {REGISTRY}"


def image_command(ir: StackIR, comp: Component) -> str:
    """Build a workload's image for every architecture it runs on and push it as the release."""
    plan = comp.build
    assert plan is not None
    dockerfile = f"out/docker/{comp.name}/Dockerfile" if plan.generated else f"{plan.context}/{plan.dockerfile}"
    return (f"docker buildx build --platform {','.join(image_platforms(ir, comp))} -f {dockerfile} "
            f"-t {REGISTRY}/{naming.image_repository(ir.name, comp.name)}:{RELEASE} --push {plan.context}")


def alarm_names(ir: StackIR, env: EnvIR) -> list[str]:
    """CloudWatch names of the alarms the spec's retention decided (`shop-prod-api-cpu-high`)."""
    return [naming.resource(ir.name, env.name, c.name, a) for c in env.graph for a in (c.retention.alarms if c.retention else [])]


def _and(commands: list[str]) -> str:
    return " && ".join(commands)


# ---- the breakdown -------------------------------------------------------------------------


def breakdown(ir: StackIR, env_name: str | None = None) -> list[Task]:
    """Every task for the stack (or one environment), in execution order."""
    envs = list(ir.envs.values())
    tasks = _bootstrap(ir)
    previous = [t.id for t in tasks]
    for env in envs:
        env_tasks = _env_tasks(ir, env, first=env is envs[0], after=previous)
        if env_name is None or env.name == env_name:
            tasks += env_tasks
        previous = [env_tasks[-1].id] if env_tasks else previous
    if env_name is not None:
        known = {t.id for t in tasks}
        for t in tasks:
            t.depends_on = [d for d in t.depends_on if d in known]
    return tasks


def _bootstrap(ir: StackIR) -> list[Task]:
    bucket, region = state_backend(ir)
    tasks = [Task(f"bootstrap-state:{bucket}", "bootstrap",
                  f"Bootstrap the Terraform state bucket `{bucket}` ({region}) once: every environment's backend "
                  f"keeps its state there (`<env>/terraform.tfstate`); versioned, encrypted, public access blocked",
                  command=_and(state_bucket_commands(bucket, region)))]
    if "ci" in ir.targets:
        repos = [naming.image_repository(ir.name, c.name) for c in built_workloads(list(ir.envs.values())[-1])]
        what = "the GitHub OIDC provider, the deploy and plan roles" + (
            ", the build role and the ECR repositories the images are pushed to: " + ", ".join(f"`{r}`" for r in repos)
            if repos else "")
        tasks.append(Task("bootstrap-ci", "bootstrap", f"Apply the CI Terraform (`{CI_TERRAFORM}`): {what}",
                          command=_and(terraform_commands(CI_TERRAFORM, CI_VARIABLES))))
    return tasks


def built_workloads(env: EnvIR) -> list[Component]:
    """Workloads whose image infracc builds (the others run a prebuilt image), used before users."""
    return [c for c in env.graph.topological() if c.kind in WORKLOAD_KINDS and c.build is not None]


def _env_tasks(ir: StackIR, env: EnvIR, first: bool, after: list[str]) -> list[Task]:
    e = env.name
    tasks: list[Task] = []
    if env.settings.approval:
        tasks.append(Task(f"{e}:approve", "approval", f"Get explicit approval to change `{e}`", env=e))
    # Images first (as CI does): the apply points the task definitions at `image_tag`.
    tasks += [_image(ir, env, c, first) for c in built_workloads(env)]
    tasks += _packages(ir, env)
    tasks += _config_recorder(env)
    tasks.append(Task(f"{e}:apply", "apply", f"Apply the Terraform stack of `{e}` (review the plan before the apply)",
                      env=e, command=_and(terraform_commands(terraform_dir(e), ENV_VARIABLES))))
    tasks += _secrets(ir, env)
    for comp in env.graph.topological():
        migrate = resolved.service(comp).migrate if comp.kind == "service" else ()
        if migrate:
            tasks.append(Task(f"{e}:migrate:{comp.name}", "migrate",
                              f"Run the migration of `{comp.name}` in `{e}` before new replicas start",
                              env=e, component=comp.name, command=" ".join(migrate)))
    tasks += [_deploy(comp, e) for comp in env.graph.topological() if comp.kind in (*WORKLOAD_KINDS, "function", "site")]
    tasks += _verify(ir, env)
    tasks += _purchases(env)
    _chain(tasks, after)
    return tasks


def _config_recorder(env: EnvIR) -> list[Task]:
    """soc2: AWS allows one AWS Config recorder per account and region, so before the apply check
    what the account has: none for `aws_config: create` (the apply would fail on a second one),
    one for `existing` (its rules need it)."""
    decision = env.aws_config
    if decision is None:
        return []
    want = ("no recorder (this apply creates it; with one, set `aws_config: existing`)" if decision.recorder else
            "a recorder (`aws_config: existing`: this apply creates only the rules)")
    region = env.settings.region
    return [Task(f"{env.name}:check:aws-config", "check",
                 f"Check the AWS Config recorders of `{env.name}`'s account in {region}: expect {want}", env=env.name,
                 command=f"aws configservice describe-configuration-recorders --region {region} "
                         "--query 'ConfigurationRecorders[].name' --output text")]


def _purchases(env: EnvIR) -> list[Task]:
    """Commitments the spec sets (`commitments`): bought in the console, not created by Terraform."""
    from infracc.compiler.passes.levers import purchases

    return [Task(f"{env.name}:purchase:{i + 1}", "purchase", f"Purchase for `{env.name}`: {what}", env=env.name)
            for i, what in enumerate(purchases(env))]


def _packages(ir: StackIR, env: EnvIR) -> list[Task]:
    functions = env.graph.components("function")
    if not functions:
        return []
    e, bucket = env.name, artifacts_bucket(ir, env.name)
    tasks = [Task(f"{e}:artifacts", "package", f"Create the function artifacts bucket `{bucket}` of `{e}` "
                  "(a targeted apply; nothing to do after the first deploy)", env=e,
                  command=_and(terraform_commands(terraform_dir(e), ENV_VARIABLES, ARTIFACTS_ADDRESS, "artifacts.tfplan")))]
    for comp in functions:
        tasks.append(Task(f"{e}:package:{comp.name}", "package",
                          f"Package function `{comp.name}` to `s3://{bucket}/{package_key(comp.name)}`",
                          env=e, component=comp.name, command=_and(package_commands(ir, e, comp))))
    return tasks


def _secrets(ir: StackIR, env: EnvIR) -> list[Task]:
    tasks = []
    for comp in env.graph.components(*WORKLOAD_KINDS, "function"):
        for var in comp.env:
            if var.source != "secret":
                continue
            name = naming.secret_name(ir.name, env.name, comp.name, var.name)
            tasks.append(Task(f"{env.name}:secret:{comp.name}:{var.name}", "secret",
                              f"Set the value of secret `{name}` ({comp.name} reads it as `{var.name}`)",
                              env=env.name, component=comp.name,
                              command=f"aws secretsmanager put-secret-value --region {env.settings.region} "
                                      f"--secret-id {name} --secret-string file://-"))
    for comp in env.graph.components("secret"):
        shared = resolved.shared_secret(comp)
        users = sorted(c.source.split(".", 1)[1] for c in env.graph.users(comp.id))
        if shared.generated or not users:
            continue
        name = naming.shared_secret(ir.name, env.name, comp.name)
        # JSON `{"value": ...}` (the shape every reader expects); the value comes from stdin, never argv.
        tasks.append(Task(f"{env.name}:secret:{comp.name}", "secret",
                          f"Set the value of shared secret `{name}` ({', '.join(users)} read it as `{shared.variable}`)",
                          env=env.name, component=comp.name,
                          command=f"jq -Rs '{{value: rtrimstr(\"\\n\")}}' | aws secretsmanager put-secret-value "
                                  f"--region {env.settings.region} --secret-id {name} --secret-string file:///dev/stdin"))
    return tasks


def _image(ir: StackIR, env: EnvIR, comp: Component, first: bool) -> Task:
    repo, e = naming.image_repository(ir.name, comp.name), env.name
    if first:
        return Task(f"{e}:image:{comp.name}", "image", f"Build and push the image of `{comp.name}` to `{repo}`",
                    env=e, component=comp.name, command=_and([registry_login(ir), image_command(ir, comp)]))
    return Task(f"{e}:image:{comp.name}", "image",
                f"Promote the tested image `{repo}:{RELEASE}` of `{comp.name}` (no rebuild)", env=e, component=comp.name)


def _deploy(comp: Component, env: str) -> Task:
    rollout = resolved.rollout(comp)
    strategy = rollout.strategy if rollout is not None else "rolling"
    how = {"service": f"{strategy} rollout", "job": "schedule/task definition",
           "function": "the apply deployed its package", "site": "upload and invalidate the CDN"}[comp.kind]
    command = _and(site_commands(env, comp)) if comp.kind == "site" else None
    return Task(f"{env}:deploy:{comp.name}", "deploy", f"Deploy {comp.kind} `{comp.name}` to `{env}` ({how})",
                env=env, component=comp.name, command=command)


def _verify(ir: StackIR, env: EnvIR) -> list[Task]:
    tasks = []
    alarms = alarm_names(ir, env)
    if alarms:
        listed = ", ".join(f"`{a}`" for a in alarms)
        tasks.append(Task(f"{env.name}:verify:alarms", "verify",
                          f"Verify the {len(alarms)} alarms of `{env.name}` exist and are OK: {listed}", env=env.name,
                          command=f"aws cloudwatch describe-alarms --region {env.settings.region} --alarm-name-prefix "
                                  f"{naming.prefix(ir.name, env.name)}- --query 'MetricAlarms[].[AlarmName,StateValue]' "
                                  "--output table"))
    for comp in env.graph.components("service", "site", "function"):
        r = resolved.of(comp)
        public = r.public if isinstance(r, resolved.Service) else None
        http = r.trigger if isinstance(r, resolved.Function) and isinstance(r.trigger, resolved.HttpTrigger) else None
        if not (public or comp.kind == "site" or http):
            continue
        tf = f"out/terraform/{env.name}"
        if comp.endpoint is not None and comp.endpoint.balancer == "nlb":
            tasks.append(_verify_tcp(env, comp, comp.endpoint, tf))
            continue
        path = comp.endpoint.path if comp.endpoint else http.path if http else "/"
        health = r.probe.path if isinstance(r, resolved.Service) and r.probe.kind == "http" else None
        if comp.endpoint is not None:  # the URL Terraform prints: the domain's, or CloudFront's own name
            where = comp.endpoint.url or f"`terraform -chdir={tf} output -raw {comp.endpoint.output}`"
            url = f'"$(terraform -chdir={tf} output -raw {comp.endpoint.output})"'
        else:  # an http function: its API Gateway endpoint
            output = f"{comp.name}_url".replace("-", "_")
            where = f"`terraform -chdir={tf} output -raw {output}`{path}"
            url = f'"$(terraform -chdir={tf} output -raw {output}){path}"'
        if health and path == "/":  # the health path is reachable through the entry point
            command = f"curl --fail --silent --show-error --max-time 10 --output /dev/null {url[:-1]}{health.lstrip('/')}\""
        else:  # under a path prefix the app sees the full path: any HTTP answer proves the route
            command = f"curl --silent --show-error --max-time 10 --output /dev/null --write-out '%{{http_code}}\\n' {url}"
        tasks.append(Task(f"{env.name}:verify:{comp.name}", "verify",
                          f"Verify the public endpoint of `{comp.name}` in `{env.name}`: {where}"
                          + (f" (health check {health})" if health else ""), env=env.name, component=comp.name,
                          command=command))
    tasks += _verify_filesystems(env)
    return tasks


def _verify_tcp(env: EnvIR, comp: Component, ep: Endpoint, tf: str) -> Task:
    """A public tcp service on the network load balancer: a TLS handshake on its host and port
    (with a domain), else a TCP connect to the address Terraform prints (`tcp://<nlb>:<port>`)."""
    if ep.url is not None and ep.host is not None:
        where = f"`{ep.url}`"
        command = f"openssl s_client -brief -connect {ep.host}:{ep.port} -servername {ep.host} </dev/null"
        how = "TLS handshake"
    else:
        where = f"`terraform -chdir={tf} output -raw {ep.output}`"
        command = (f'addr="$(terraform -chdir={tf} output -raw {ep.output})" && addr="${{addr#tcp://}}" '
                   f'&& nc -z -w 10 "${{addr%:*}}" "${{addr##*:}}"')
        how = "TCP connect"
    return Task(f"{env.name}:verify:{comp.name}", "verify",
                f"Verify the public tcp endpoint of `{comp.name}` in `{env.name}` (network load balancer): {where} ({how})",
                env=env.name, component=comp.name, command=command)


def efs_handles(ir: StackIR, env: EnvIR) -> list[tuple[str, str, str]]:
    """(variable, Terraform output, PersistentVolume) of every EFS mount on eks: the volume
    handle `<fs-id>::<access-point-id>` exists only after `terraform apply`, so `deploy-<env>`
    reads it and `release-<env>` sets it on the chart's PersistentVolume."""
    if ir.platform != "eks":
        return []
    return [(naming.efs_handle_variable(c.name, m.filesystem), naming.efs_handle_output(c.name, m.filesystem),
             naming.efs_persistent_volume(ir.name, env.name, c.name, m.filesystem))
            for c in env.graph.components("service", "job") for m in resolved.workload(c).mounts]


def filesystem_output(filesystem: str) -> str:
    """Terraform output holding a file system's id."""
    return f"filesystem_{filesystem}_id".replace("-", "_")


def _verify_filesystems(env: EnvIR) -> list[Task]:
    """Each file system's mount targets are `available` (mounts fail until they are)."""
    tf = f"out/terraform/{env.name}"
    return [Task(f"{env.name}:verify:{fs.name}", "verify",
                 f"Verify the mount targets of file system `{fs.name}` in `{env.name}` are available (mounted by "
                 + (", ".join(f"`{c.source.split('.', 1)[1]}`" for c in env.graph.users(fs.id)) or "nothing") + ")",
                 env=env.name, component=fs.name,
                 command=f"aws efs describe-mount-targets --region {env.settings.region} --file-system-id "
                         f'"$(terraform -chdir={tf} output -raw {filesystem_output(fs.name)})" '
                         "--query 'MountTargets[].[AvailabilityZoneName,LifeCycleState]' --output table")
            for fs in env.graph.components("filesystem")]


def _chain(tasks: list[Task], after: list[str]) -> None:
    """Each task depends on the previous one (the first on `after`): a strict checklist order."""
    for i, task in enumerate(tasks):
        task.depends_on = list(after) if i == 0 else [tasks[i - 1].id]


def as_json(ir: StackIR, tasks: list[Task]) -> str:
    return json.dumps({"stack": ir.name, "tasks": [asdict(t) for t in tasks]}, indent=2, sort_keys=True) + "\n"


def as_markdown(ir: StackIR, tasks: list[Task]) -> str:
    out = [f"# Infrastructure tasks: {ir.name}",
           "\nCommands expect `GIT_SHA` (the release), `REGISTRY` (the ECR registry host) and "
           "`GITHUB_REPOSITORY` (owner/repo) in the shell."]
    section = object()
    for task in tasks:
        if task.env != section:
            section = task.env
            out.append(f"\n## {'Once' if task.env is None else f'Environment `{task.env}`'}\n")
        out.append(f"- [ ] {task.title}")
        if task.command:
            out.append(f"      `{task.command}`")
    return "\n".join(out) + "\n"
