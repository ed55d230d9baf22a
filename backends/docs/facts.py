"""Operational facts the runbook states, derived from IR decisions and shared names."""
from __future__ import annotations

from dataclasses import dataclass

from infracc.backends.terraform import functions, stores
from infracc.compiler import decided, naming, resolved
from infracc.compiler import tasks as t
from infracc.compiler.ir import Component, EnvIR, StackIR
from infracc.compiler.tasks import efs_handles

ECS_SCRIPT = "bash out/ci/scripts/ecs.sh"

ALARM_ACTIONS = {
    "cpu-high": "Check recent deploys and traffic; scale out (raise replicas/instance class) or roll back.",
    "memory-high": "Look for leaks after the last deploy; raise memory in the spec or roll back.",
    "5xx-errors": "Read the service logs; if it started with a deploy, run the rollback; check its dependencies.",
    "latency-p99": "Check the database/cache alarms and slow queries; scale out if CPU-bound.",
    "failed-runs": "Read the job's last run logs; fix and re-run the job (it retries per `retries`).",
    "free-storage-low": "Raise `storage_gb` in the spec and apply; look for table/log bloat.",
    "connections-high": "Look for connection leaks; lower pool sizes or raise the instance class.",
    "oldest-message-age": "Consumers are behind or failing: check their logs and scale them out.",
    "dead-letter-messages": "Inspect the DLQ messages, fix the consumer, then redrive them to the main queue.",
    "errors": "Read the function's logs; roll back by re-deploying the previous commit.",
    "throttles": "Raise reserved concurrency or reduce the trigger rate.",
    "read-throttles": "Requests exceed the table's capacity: for a provisioned table raise `read_units` (auto scaling "
                      "lags sudden bursts), or look for a hot partition key; on-demand tables throttle only at "
                      "twice the previous peak.",
    "write-throttles": "As for reads: raise `write_units`, spread writes over more partition keys, or batch them.",
    "dependency-errors": "The external dependency is failing its callers: see its section under External "
                         "dependencies (status page, contact, what degrades).",
    "unhealthy-targets": "The network load balancer's health check fails for some tasks/pods: read the service "
                         "logs; if it started with a deploy, run the rollback; check the port accepts connections "
                         "(or the HTTP health path answers 2xx/3xx).",
}


@dataclass(frozen=True)
class ExternalFacts:
    """What the runbook says of one external dependency (in the last environment, with the
    hosts of the others when an override changes them)."""

    name: str
    spec: resolved.External
    users: tuple[str, ...]
    alarm: str | None  # the CloudWatch alarm's name; None where no log group is readable (eks)
    hosts: tuple[tuple[str, str], ...]  # (environment, url) per environment
    egress: str


def externals(ir: StackIR) -> list[ExternalFacts]:
    envs = list(ir.envs.values())
    last = envs[-1]
    out = []
    for comp in last.graph.components("external"):
        spec = resolved.external(comp)
        users = tuple(sorted(c.source.split(".", 1)[1] for c in last.graph.users(comp.id)))
        alarm = (naming.resource(ir.name, last.name, comp.name, "dependency-errors")
                 if comp.retention and "dependency-errors" in comp.retention.alarms else None)
        hosts = tuple((e.name, resolved.external(e.graph.component(comp.id)).url) for e in envs
                      if e.graph.get(comp.id) is not None)
        if len({url for _, url in hosts}) == 1:  # the same everywhere: once, for every environment
            hosts = (("every environment", hosts[0][1]),)
        if ir.platform == "eks":
            egress = (f"each user's NetworkPolicy allows TCP {spec.port} to any address outside the VPC (not the "
                      "instance metadata service); pods share the cluster's security group")
        elif spec.port == 443:
            egress = "TCP 443 to any address, which every workload's security group already allows for the AWS APIs"
        else:
            egress = f"each user's security group allows TCP {spec.port} to 0.0.0.0/0"
        out.append(ExternalFacts(comp.name, spec, users, alarm, hosts, egress))
    return out


@dataclass(frozen=True)
class EntryPoint:
    component: str
    kind: str
    address: str
    via: str


def entry_points(ir: StackIR, env: EnvIR) -> list[EntryPoint]:
    """Where each public service and site answers in `env`, and through what (endpoints pass)."""
    out = []
    for comp in env.graph.components("service", "site"):
        ep = comp.endpoint
        if ep is None:
            continue
        where = f"`{ep.url}`" if ep.url else f"`terraform -chdir={t.terraform_dir(env.name)} output -raw {ep.output}`"
        if ep.balancer == "nlb":
            via = (f"network load balancer, {'TLS (ACM certificate)' if ep.tls else 'plain TCP (no domain, no certificate)'} "
                   f"on port {ep.port}; no CloudFront, no WAF")
        elif ep.cdn:
            via = "CloudFront" + (" → application load balancer" if comp.kind == "service" else "") + ", HTTPS, WAF"
        else:
            via = "application load balancer, HTTPS, WAF"
        out.append(EntryPoint(comp.name, comp.kind, where, via))
    return out


def singletons(ir: StackIR, env: EnvIR) -> list[tuple[str, str, str]]:
    """(workload, kind, why) for each workload that must never run twice in `env` (sizing pass).
    A scheduled job is listed where the platform keeps its runs apart (a CronJob), and on ecs only
    when it says `singleton: true`, with what the job must do itself (IC-SVC-009)."""
    out = []
    for comp in env.graph.components("service", "job"):
        sz = comp.sizing
        if sz is None or not sz.singleton or (comp.kind == "job" and resolved.job(comp).schedule is None):
            continue  # a run-once job has no second run to overlap
        flag = getattr(resolved.of(comp), "singleton", None)
        if comp.kind == "job" and ir.platform == "ecs":
            if not flag:
                continue  # nothing on ecs keeps default scheduled runs apart: claim nothing
            why = ("`singleton: true`, not enforced by ECS: EventBridge Scheduler starts a run even while the "
                   "previous one runs, so the job takes a lock itself (IC-SVC-009)")
        elif comp.kind == "job":
            why = ("`singleton: true`" if flag else "default") + \
                  ": a scheduled run is skipped while the previous one runs (CronJob `concurrencyPolicy: Forbid`)"
        else:
            why = ("`singleton: true`" if flag else "inferred: one replica and no port") + \
                  ": one replica, replaced stop-then-start (ECS 0%/100%, Kubernetes `Recreate`), no autoscaling"
        out.append((comp.name, comp.kind, why))
    return out


@dataclass(frozen=True)
class Backup:
    component: str
    kind: str
    how: str
    rpo: str
    rto: str
    restore: str


def backup(comp: Component, vault: str) -> Backup | None:
    found = _backup(comp)
    days = comp.retention.backup_plan_days if comp.retention else None
    if found is None or not days:
        return found
    return Backup(found.component, found.kind, f"{found.how}; daily AWS Backup copy kept {days} days (vault `{vault}`)",
                  found.rpo, found.rto, f"{found.restore}; or restore a recovery point from the AWS Backup vault")


def _backup(comp: Component) -> Backup | None:
    r = comp.retention
    if comp.kind == "database":
        days = r.backup_retention_days if r else None
        return Backup(comp.name, comp.kind, f"automated snapshots + PITR, kept {days} days", "5 minutes (PITR)",
                      "~1 hour (restore to a new instance)",
                      "`aws rds restore-db-instance-to-point-in-time`, then point the connection secret at it")
    if comp.kind == "bucket":
        versioned = resolved.bucket(comp).versioning
        return Backup(comp.name, comp.kind, "object versioning" if versioned else "none (versioning off)",
                      "0 (every version kept)" if versioned else "not recoverable", "minutes per object",
                      "restore an object by copying its previous version" if versioned else "re-create from the source")
    if comp.kind == "cache":
        return Backup(comp.name, comp.kind, "none: a cache is rebuilt from its source", "n/a", "minutes (cold cache)",
                      "replace the node group; clients refill it")
    if comp.kind == "table":
        return Backup(comp.name, comp.kind, "point-in-time recovery (continuous, 35 days)", "seconds (PITR)",
                      "minutes to hours, with the table's size (restore to a new table)",
                      "`aws dynamodb restore-table-to-point-in-time --source-table-name <table> --target-table-name "
                      "<new> --restore-date-time <time>`, then move the data back or point the workloads at the new "
                      "table (its KMS key, PITR, TTL, stream and auto scaling are not restored: re-apply Terraform)")
    if comp.kind == "filesystem":
        if r is None or not r.automatic_backups:
            return Backup(comp.name, comp.kind, "none in this environment (EFS automatic backups are on under soc2 "
                          "and where the environment has deletion protection)", "not recoverable", "n/a",
                          "re-create the files from their source")
        return Backup(comp.name, comp.kind, "EFS automatic backups (AWS Backup's default EFS plan: daily, kept 35 "
                      "days, vault `aws/efs/automatic-backup-vault`)", "24 hours", "minutes to hours, with the size",
                      "`aws backup start-restore-job` with a recovery point of the file system (metadata "
                      "`newFileSystem=false` restores into a directory `aws-backup-restore_<time>` at its root, or "
                      "`ItemsToRestore` for single paths); move the files under /shared, or restore to a new file "
                      "system and re-apply Terraform")
    if comp.kind == "queue":
        return Backup(comp.name, comp.kind, "messages kept until consumed; failures go to the DLQ", "n/a",
                      "n/a", "redrive the dead-letter queue")
    return None


def secrets(ir: StackIR, env: str) -> list[tuple[str, str]]:
    """(secret name, what it is) for one environment."""
    graph = ir.envs[env].graph
    out = [(naming.secret_name(ir.name, env, c.name, var), f"`{var}` of `{c.name}`")
           for c in graph for var in resolved.secrets(c)]
    what = {
        "database": "connection of `{}` (" + ", ".join(stores.CONNECTION_KEYS["database"]) + "), written by Terraform "
                    "with the database password it generates; neither is in the Terraform state or plan, and both "
                    "change together at the first apply of each calendar quarter (see above)",
        "cache": "connection of `{}` (" + ", ".join(stores.CONNECTION_KEYS["cache"]) + "); Terraform generates the "
                 "AUTH token once, at creation (ElastiCache has no write-only token, so the state holds it)",
        "bucket": "names of `{}` (bucket, arn) for Kubernetes ExternalSecrets; not secret",
        "queue": "names of `{}` (queue_url, queue_arn) for Kubernetes ExternalSecrets; not secret",
        "table": "names of `{}` (name, arn) for Kubernetes ExternalSecrets; not secret",
        "function": "names of `{}` (arn, name) for Kubernetes ExternalSecrets; not secret",
    }
    out += [(naming.connection_secret(ir.name, env, c.name), what[c.kind].format(c.name))
            for c in graph.components(*what) if decided.has_connection_secret(ir.targets, c)]
    for c in graph.components("secret"):
        spec = resolved.shared_secret(c)
        users = ", ".join(f"`{u.source.split('.', 1)[1]}`" for u in graph.users(c.id)) or "nothing"
        how = (f"generated once at creation ({spec.generate_length} hex characters, write-only: not in the Terraform "
               "state)" if spec.generated else "set by an operator after the first apply (see the tasks)")
        out.append((naming.shared_secret(ir.name, env, c.name),
                    f"shared secret `{c.name}` (JSON: value) as `{spec.variable}`, read by {users}; {how}"))
    return out


def function_env(ir: StackIR, env: EnvIR) -> dict[str, list[tuple[str, str, str]]]:
    """(variable, delivered as, value) per function: exactly the Lambda `environment` the
    Terraform backend writes (the same decision, `functions.function_environment`), then the
    `env` entries it does not set."""
    kinds = {c.name: c.kind for c in env.graph}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for comp in env.graph.components("function"):
        decided = functions.function_environment(ir, env, comp)
        rows = []
        for v in decided.variables:
            if v.store is not None:
                keys = ", ".join(stores.CONNECTION_KEYS[kinds[v.store]])
                rows.append((v.name, "secret ARN", f"ARN of `{v.secret}` (JSON: {keys}); read it at runtime"))
            elif v.declared is not None:
                rows.append((v.name, "secret ARN", f"ARN of `{v.secret}` (the value of `{v.declared}`); read it at runtime"))
            else:
                rows.append((v.name, "plain", "`" + "".join(str(s) for s in v.segments) + "`"))
        for var in decided.not_set:
            ref = next((r for r in var.references if r.output in ("password", "url")), var.references[0])
            rows.append((var.name, "not set", f"Lambda variables cannot hold secrets: read key `{ref.output}` of the "
                         f"secret in `{functions.secret_arn_variable(ref.component)}`"))
        out[comp.name] = rows
    return out


def infrastructure(ir: StackIR, env: EnvIR) -> list[str]:
    """Commands that bring one environment's infrastructure up: function packages first (their
    bucket is part of the stack, so a targeted apply creates it), the apply, then the sites."""
    e, out = env.name, []
    if env.graph.components("function"):
        out += t.terraform_commands(t.terraform_dir(e), t.ENV_VARIABLES, t.ARTIFACTS_ADDRESS, "artifacts.tfplan")
        out += [" && ".join(t.package_commands(ir, e, fn)) for fn in env.graph.components("function")]
    out += t.terraform_commands(t.terraform_dir(e), t.ENV_VARIABLES)
    for site in env.graph.components("site"):
        out += t.site_commands(e, site)
    return out


def deploy(ir: StackIR, env: EnvIR) -> list[str]:
    """Roll the release out to one environment, as the pipeline's deploy job does."""
    built = [c for c in env.graph.components("service") if resolved.service(c).built]
    if not built:
        return []
    e, cluster = env.name, naming.prefix(ir.name, env.name)
    if ir.platform == "eks":
        chart = f"out/helm/{ir.name}"
        volumes = "".join(f' --set-string persistentVolumes.{pv}.spec.csi.volumeHandle='
                          f'"$(terraform -chdir={t.terraform_dir(e)} output -raw {output})"'
                          for _, output, pv in efs_handles(ir, env))
        return [f"aws eks update-kubeconfig --name {cluster} --region {env.settings.region}",
                f"helm upgrade --install {ir.name} {chart} --namespace {naming.namespace(ir.name, e)} "
                f"-f {chart}/values-{e}.yaml --set-string image.registry={t.REGISTRY} "
                f"--set-string image.tag={t.RELEASE}{volumes} --atomic --wait --timeout 20m"]
    out = []
    for svc in built:
        if resolved.service(svc).migrate:
            out.append(f"{ECS_SCRIPT} migrate {cluster} {naming.resource(ir.name, e, svc.name)} "
                       f"{naming.resource(ir.name, e, svc.name, 'migrate')} "
                       f"{t.REGISTRY}/{naming.image_repository(ir.name, svc.name)} {t.RELEASE}")
    for svc in built:
        out.append(f"{ECS_SCRIPT} rollout {cluster} {naming.resource(ir.name, e, svc.name)} "
                   f"{t.REGISTRY}/{naming.image_repository(ir.name, svc.name)} {t.RELEASE}")
    return out


def alarms(ir: StackIR, env: EnvIR) -> list[tuple[str, str, str, str]]:
    """(component, alarm, CloudWatch name in `env`, what to do) per alarm."""
    return [(c.name, a, naming.resource(ir.name, env.name, c.name, a),
             ALARM_ACTIONS.get(a, "Investigate the component's logs and metrics."))
            for c in env.graph for a in (c.retention.alarms if c.retention else [])]


@dataclass(frozen=True)
class MountFact:
    filesystem: str
    workload: str
    path: str
    access: str
    identity: str


def mounts(env: EnvIR) -> list[MountFact]:
    """What is mounted where in one environment, with the access point's POSIX identity."""
    out = []
    for fs in env.graph.components("filesystem"):
        for conn in env.graph.users(fs.id):
            ap, workload = conn.access_point, env.graph.component(conn.source)
            mount = next(m for m in resolved.workload(workload).mounts if m.filesystem == fs.name)
            identity = f"{ap.uid}:{ap.gid}" + (f" (+ group {', '.join(map(str, ap.secondary_gids))})"
                                                if ap and ap.secondary_gids else "") if ap else "—"
            out.append(MountFact(fs.name, workload.name, mount.path, "read-only" if mount.read_only else "read-write",
                                 identity))
    return out


@dataclass(frozen=True)
class Traced:
    component: str
    kind: str
    collector: str
    sampling: str


COLLECTOR_TEXT = {"sidecar": f"`{naming.OTEL_COLLECTOR}` sidecar container in the task (its own log group "
                             f"`.../{naming.OTEL_COLLECTOR}`)",
                  "cluster": f"the namespace's `{naming.OTEL_COLLECTOR}` Deployment and Service",
                  "lambda": "Lambda active tracing"}


def tracing(env: EnvIR) -> list[Traced]:
    """What is traced in one environment, through what, at which sample rate (tracing pass)."""
    out = []
    for comp in env.graph.components("service", "job", "function"):
        d = comp.tracing
        if d is None or not d.enabled:
            continue
        rate = ("Lambda's own: the first request each second and 5% of the others" if d.sample_rate is None else
                f"{d.sample_rate:g} ({'as written' if d.sample_rate_source == 'spec' else 'the ' + env.settings.size + ' default'}), parent-based")
        out.append(Traced(comp.name, comp.kind, COLLECTOR_TEXT[d.collector], rate))
    return out


def trace_console(region: str) -> str:
    """Where the traces are: the X-Ray trace map and traces in the CloudWatch console of the region."""
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#xray:service-map/map"


def facts(ir: StackIR) -> dict[str, object]:
    envs = list(ir.envs.values())
    last = envs[-1]
    bucket, region = t.state_backend(ir)
    return {
        "state_bucket": bucket,
        "state_region": region,
        "state_commands": t.state_bucket_commands(bucket, region),
        "ci_commands": t.terraform_commands(t.CI_TERRAFORM, t.CI_VARIABLES),
        "image_commands": [t.registry_login(ir)] + [t.image_command(ir, c) for c in t.built_workloads(last)],
        "infrastructure": {env.name: infrastructure(ir, env) for env in envs},
        "deploy": {env.name: deploy(ir, env) for env in envs},
        "alarms": alarms(ir, last),
        "backups": {e: [b for c in ir.envs[e].graph if (b := backup(c, naming.resource(ir.name, e, "backups")))]
                    for e in ir.envs},
        "services": [(c.name, resolved.service(c)) for c in last.graph.components("service")],
        "entry_points": {env.name: entry_points(ir, env) for env in envs},
        "singletons": {env.name: singletons(ir, env) for env in envs},
        "secrets": {e: secrets(ir, e) for e in ir.envs},
        "function_env": {env.name: function_env(ir, env) for env in envs},
        "externals": externals(ir),
        "namespace": {e: naming.namespace(ir.name, e) for e in ir.envs},
        "prefix": {e: naming.prefix(ir.name, e) for e in ir.envs},
        "images": {c.name: naming.image_repository(ir.name, c.name) for c in t.built_workloads(last)},
        "pii": [(c, getattr(resolved.of(c), "description", None)) for c in last.graph if resolved.contains_pii(c)],
        "mounts": {env.name: mounts(env) for env in envs},
        "tracing": {env.name: tracing(env) for env in envs},
        "trace_console": {env.name: trace_console(env.settings.region) for env in envs},
        "aws_config": {env.name: env.aws_config for env in envs},
    }
