"""`infracc tasks`: the ordered infrastructure task breakdown, derived from the IR.

The order is the order an operator (or an agent) must follow: bootstrap the Terraform state
bucket once per account, then per environment in promotion order: approval gate, `terraform
apply` (it creates the empty secrets and the image repositories), set each declared secret's
value, build and push images (first environment; later ones promote the same tag), run
migrations (the spec's `migrate` runs before new replicas start), deploy, verify alarms and
endpoints. Names come from :mod:`infracc.compiler.naming`, so they match the backends.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from infracc.compiler import naming, resolved
from infracc.compiler.ir import WORKLOAD_KINDS, Component, EnvIR, StackIR


@dataclass
class Task:
    id: str
    kind: str
    title: str
    env: str | None = None
    component: str | None = None
    command: str | None = None
    depends_on: list[str] = field(default_factory=list)


def breakdown(ir: StackIR, env_name: str | None = None) -> list[Task]:
    """Every task for the stack (or one environment), in execution order."""
    envs = list(ir.envs.values())
    tasks = _bootstrap(ir, envs if env_name is None else [ir.envs[env_name]])
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


def _bootstrap(ir: StackIR, envs: list[EnvIR]) -> list[Task]:
    tasks, seen = [], set()
    for env in envs:
        bucket = naming.state_bucket(ir.name, env.settings.account_id or "")
        if bucket in seen:
            continue
        seen.add(bucket)
        where = f"account {env.settings.account_id}" if env.settings.account_id else "the AWS account"
        tasks.append(Task(f"bootstrap-state:{bucket}", "bootstrap",
                          f"Bootstrap the Terraform state bucket `{bucket}` in {where} "
                          f"({env.settings.region}): versioned, encrypted, public access blocked",
                          command=_bootstrap_command(bucket, env.settings.region)))
    return tasks


def _bootstrap_command(bucket: str, region: str) -> str:
    where = "" if region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={region}"
    return (f"aws s3api create-bucket --bucket {bucket} --region {region}{where} && "
            f"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled && "
            f"aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration "
            "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"}}]}' && "
            f"aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")


def _env_tasks(ir: StackIR, env: EnvIR, first: bool, after: list[str]) -> list[Task]:
    e = env.name
    tasks: list[Task] = []
    if env.settings.approval:
        tasks.append(Task(f"{e}:approve", "approval", f"Get explicit approval to change `{e}`", env=e))
    tasks.append(Task(f"{e}:apply", "apply", f"Apply the Terraform stack of `{e}` (review the plan first)",
                      env=e, command=f"terraform -chdir=out/terraform/{e} init && "
                      f"terraform -chdir=out/terraform/{e} plan -out=tfplan && "
                      f"terraform -chdir=out/terraform/{e} apply tfplan"))
    tasks += _secrets(ir, env)
    workloads = [c for c in env.graph.topological() if c.kind in WORKLOAD_KINDS and c.build is not None]
    tasks += [_image(ir, c, e, first) for c in workloads]
    for comp in env.graph.topological():
        migrate = resolved.service(comp).migrate if comp.kind == "service" else ()
        if migrate:
            tasks.append(Task(f"{e}:migrate:{comp.name}", "migrate",
                              f"Run the migration of `{comp.name}` in `{e}` before new replicas start",
                              env=e, component=comp.name, command=" ".join(migrate)))
    tasks += [_deploy(comp, e) for comp in env.graph.topological() if comp.kind in (*WORKLOAD_KINDS, "function", "site")]
    tasks += _verify(ir, env)
    _chain(tasks, after)
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
    return tasks


def _image(ir: StackIR, comp: Component, env: str, first: bool) -> Task:
    repo, plan = naming.image_repository(ir.name, comp.name), comp.build
    assert plan is not None
    if first:
        dockerfile = f"out/docker/{comp.name}/Dockerfile" if plan.generated else f"{plan.context}/{plan.dockerfile}"
        return Task(f"{env}:image:{comp.name}", "image", f"Build and push the image of `{comp.name}` to `{repo}`",
                    env=env, component=comp.name,
                    command=f"docker build -f {dockerfile} -t $REGISTRY/{repo}:$GIT_SHA "
                            f"{plan.context} && docker push $REGISTRY/{repo}:$GIT_SHA")
    return Task(f"{env}:image:{comp.name}", "image",
                f"Promote the tested image `{repo}:$GIT_SHA` of `{comp.name}` (no rebuild)", env=env, component=comp.name)


def _deploy(comp: Component, env: str) -> Task:
    rollout = resolved.rollout(comp)
    strategy = rollout.strategy if rollout is not None else "rolling"
    how = {"service": f"{strategy} rollout", "job": "schedule/task definition", "function": "function code",
           "site": "upload and invalidate the CDN"}[comp.kind]
    return Task(f"{env}:deploy:{comp.name}", "deploy", f"Deploy {comp.kind} `{comp.name}` to `{env}` ({how})",
                env=env, component=comp.name)


def _verify(ir: StackIR, env: EnvIR) -> list[Task]:
    tasks = []
    alarms = [(c.name, a) for c in env.graph for a in (c.retention.alarms if c.retention else [])]
    if alarms:
        listed = ", ".join(f"{n}/{a}" for n, a in alarms)
        tasks.append(Task(f"{env.name}:verify:alarms", "verify",
                          f"Verify the {len(alarms)} alarms of `{env.name}` exist and are OK: {listed}", env=env.name))
    for comp in env.graph.components("service", "site", "function"):
        r = resolved.of(comp)
        public = r.public if isinstance(r, resolved.Service) else None
        http = r.trigger if isinstance(r, resolved.Function) and isinstance(r.trigger, resolved.HttpTrigger) else None
        if not (public or comp.kind == "site" or http):
            continue
        path = comp.endpoint.path if comp.endpoint else http.path if http else "/"
        health = r.probe.path if isinstance(r, resolved.Service) and r.probe.kind == "http" else None
        where = comp.endpoint.url if comp.endpoint and comp.endpoint.url else f"the `{comp.name}` endpoint ({path})"
        tasks.append(Task(f"{env.name}:verify:{comp.name}", "verify",
                          f"Verify the public endpoint of `{comp.name}` in `{env.name}`: {where}"
                          + (f" (health check {health})" if health else ""), env=env.name, component=comp.name))
    return tasks


def _chain(tasks: list[Task], after: list[str]) -> None:
    """Each task depends on the previous one (the first on `after`): a strict checklist order."""
    for i, task in enumerate(tasks):
        task.depends_on = list(after) if i == 0 else [tasks[i - 1].id]


def as_json(ir: StackIR, tasks: list[Task]) -> str:
    return json.dumps({"stack": ir.name, "tasks": [asdict(t) for t in tasks]}, indent=2, sort_keys=True) + "\n"


def as_markdown(ir: StackIR, tasks: list[Task]) -> str:
    out = [f"# Infrastructure tasks: {ir.name}"]
    section = object()
    for task in tasks:
        if task.env != section:
            section = task.env
            out.append(f"\n## {'Once' if task.env is None else f'Environment `{task.env}`'}\n")
        out.append(f"- [ ] {task.title}")
        if task.command:
            out.append(f"      `{task.command}`")
    return "\n".join(out) + "\n"
