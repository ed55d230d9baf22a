"""Security pass: the baseline and the soc2/gdpr packs, decided per environment.

For every `uses` edge: the network rule and the least-privilege IAM grant; for every mount,
also the EFS access point (`filesystem_access`). For every
component: encryption, retention/protection, the workload hardening profile, and the
allowances the spec declared. A spec asking for something weaker than a rule is an error
unless the component (or environment) carries `allow` for that rule.
"""
from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from infracc.compiler import library_data as lib
from infracc.compiler import naming, resolved
from infracc.compiler.catalogue import registry
from infracc.compiler.decisions import (
    Allowance,
    ControlDecision,
    Encryption,
    Grant,
    NetworkRule,
    Retention,
    WorkloadSecurity,
)
from infracc.compiler.diagnostics import Diagnostic, Path, error, note, warning
from infracc.compiler.ir import Component, Connection, EnvIR, StackIR
from infracc.compiler.passes import filesystem_access
from infracc.compiler.passes.resolve import image_repository
from infracc.schema.models import Allow

REQUIRES = frozenset({"valid", "resolved"})  # workload_security reads the resolved model
PROVIDES = frozenset({"security"})

DATA_STORES = ("database", "cache", "bucket", "queue", "table", "filesystem")
ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "redis": 6379, "valkey": 6379}
ALARMS = {
    "service": ["cpu-high", "memory-high"],
    "job": ["failed-runs"],
    "database": ["cpu-high", "free-storage-low", "connections-high"],
    "cache": ["cpu-high", "memory-high"],
    "queue": ["oldest-message-age", "dead-letter-messages"],
    "table": ["read-throttles", "write-throttles"],
    "function": ["errors", "throttles"],
}
# Smallest action sets per kind and mode (IAM action names from the AWS Service
# Authorization Reference for S3, SQS and Lambda). A database edge gets no IAM grant: RDS IAM
# authentication (`rds-db:connect`) needs a database user created with the `rds_iam` role (or
# AWSAuthenticationPlugin) by SQL, which nothing generates; every workload authenticates with
# the password in the database's connection secret, and reading that secret is granted where it
# is read (ECS execution role, EKS pod role, Lambda function role: see backends/terraform/iam.py).
# DynamoDB item actions (Service Authorization Reference, Amazon DynamoDB): reads and writes of
# items; DescribeTable lets the SDKs' table helpers start; no table management, no PartiQL.
TABLE_READ = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
              "dynamodb:Query", "dynamodb:Scan"]
TABLE_WRITE = ["dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
               "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem"]
ACTIONS: dict[tuple[str, str | None], list[str]] = {
    ("bucket", "read"): ["s3:GetObject", "s3:ListBucket"],
    ("bucket", "write"): ["s3:AbortMultipartUpload", "s3:PutObject"],
    ("bucket", "read-write"): ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
    ("queue", "send"): ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
    ("queue", "consume"): ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                           "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
    ("queue", "send-consume"): ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"],
    ("table", "read"): TABLE_READ,
    ("table", "write"): TABLE_WRITE,
    ("table", "read-write"): sorted(set(TABLE_READ) | set(TABLE_WRITE)),
    ("function", "invoke"): ["lambda:InvokeFunction"],
}
# A table's global secondary indexes are read with Query and Scan only (`<table arn>/index/*`).
TABLE_INDEX_READ = ["dynamodb:Query", "dynamodb:Scan"]
# A table encrypted with a customer-managed key: DynamoDB decrypts the table key with the caller's
# permissions, so the caller needs kms:Decrypt and kms:DescribeKey, through DynamoDB only
# ("How Amazon DynamoDB uses AWS KMS", AWS KMS Developer Guide, services-dynamodb.html).
TABLE_KMS = ["kms:Decrypt", "kms:DescribeKey"]
# A function triggered by a table reads its stream (the permissions the Lambda event source mapping
# uses, "Using AWS Lambda with Amazon DynamoDB", Lambda Developer Guide), on `<table arn>/stream/*`
# only; the stream is encrypted with the table's key.
STREAM_READ = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
STREAM_KMS = ["kms:Decrypt"]
KMS_FOR_MODE = {"read": ["kms:Decrypt"], "write": ["kms:GenerateDataKey"], "send": ["kms:GenerateDataKey", "kms:Decrypt"]}


def security(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        diags += _environment(ir, env, data)
        for conn in env.graph.connections():
            _edge(ir, env, conn)
        filesystem_access.access_points(env)
        for comp in env.graph:
            diags += _component(ir, env, comp)
        env.controls = controls(ir, env)
    return list(dict.fromkeys(diags))


def _allowed(rule: str, allow: Sequence[Allow], origin: Path) -> Allowance | None:
    known = registry().get(rule)
    for i, entry in enumerate(allow):
        if entry.rule == rule:
            return Allowance(rule=rule, reason=entry.reason, origin=(*origin, "allow", i),
                             checkov=list(known.checkov) if known else [])
    return None


def _violation(comp_or_env_allow: Sequence[Allow], origin: Path, rule: str, message: str, where: Path,
               hint: str, sink: list[Allowance]) -> list[Diagnostic]:
    allowance = _allowed(rule, comp_or_env_allow, origin)
    if allowance is not None:
        sink.append(allowance)
        return []
    return [error(rule, message, where, hint)]


def _environment(ir: StackIR, env: EnvIR, data: dict[str, Any]) -> list[Diagnostic]:
    s = env.settings
    sink: list[Allowance] = []
    out = []
    if "gdpr" in ir.compliance and not lib.in_eea(s.region):
        where = (*s.origin, "region") if s.region != ir.region else ("region",)
        out += _violation(s.allow, s.origin, "IC-GDPR-001",
                          f"environment `{s.name}` runs in {s.region}, outside the EU/EEA (gdpr)", where,
                          "use an EU region such as eu-west-1, or `allow` IC-GDPR-001 on the environment with the legal basis", sink)
    written = ((data.get("environments") or {}).get(s.name) or {}) if isinstance(data, dict) else {}
    # Only a written `false` is refused: a size whose default is off is raised by the pack itself
    # (Retention.deletion_protection is on in the last environment under soc2).
    if "soc2" in ir.compliance and s.is_last and isinstance(written, dict) and written.get("deletion_protection") is False:
        out += _violation(s.allow, s.origin, "IC-SOC2-002",
                          f"the last environment `{s.name}` must keep deletion protection (soc2)",
                          (*s.origin, "deletion_protection"), "remove `deletion_protection: false`", sink)
    out += _unused(s.allow, sink, s.origin)
    return out


def _edge(ir: StackIR, env: EnvIR, conn: Connection) -> None:
    target = env.graph.component(conn.target)
    if target.kind == "secret":
        # No rule of its own: ECS reads it when a task starts, the External Secrets Operator's
        # controller on eks, a function's SDK over the 443 egress every workload has; the read is
        # granted where it happens (backends/terraform/iam.read_secrets_statements).
        return
    port, protocol = _port(target)
    verb = "mounts" if target.kind == "filesystem" else "uses"
    conn.network = NetworkRule(source=conn.source, target=conn.target, port=port, protocol=protocol,
                               description=f"{conn.source} {verb} {conn.target}" + (f" ({conn.mode})" if conn.mode else ""))
    if target.kind == "filesystem":
        conn.grant = filesystem_access.mount_grant(ir, conn)
        return
    actions = ACTIONS.get((target.kind, conn.mode))
    if actions:
        indexes = (list(TABLE_INDEX_READ) if target.kind == "table" and conn.mode in ("read", "read-write")
                   and resolved.table(target).indexes else [])
        conn.grant = Grant(actions=list(actions), resource=conn.target, resource_kind=target.kind,
                           kms=target.kind in ("bucket", "queue", "table"), index_actions=indexes,
                           kms_via_service="dynamodb" if target.kind == "table" else None)


def _port(target: Component) -> tuple[int | None, str]:
    if target.kind in ("database", "cache"):
        return ENGINE_PORTS[target.spec.engine], "tcp"
    if target.kind == "service":
        return target.spec.port, "tcp"
    if target.kind == "external":  # anywhere on the internet: address ranges cannot name a DNS name
        return resolved.external(target).port, "external"
    if target.kind == "filesystem":
        return filesystem_access.NFS_PORT, "tcp"
    return 443, "aws-api"


def kms_actions(conn: Connection) -> list[str]:
    """KMS actions a grant needs on the store's key (encrypted buckets, queues and tables)."""
    if conn.grant is not None and conn.grant.resource_kind == "table":
        return list(TABLE_KMS)
    if conn.mode in ("read", "consume"):
        return ["kms:Decrypt"]
    if conn.mode in ("write", "send"):
        return ["kms:GenerateDataKey"]
    return ["kms:Decrypt", "kms:GenerateDataKey"]


def _component(ir: StackIR, env: EnvIR, comp: Component) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    sink: list[Allowance] = []
    spec = comp.spec
    if comp.kind in ("service", "job"):
        comp.security, found = workload_security(ir, comp, sink)
        out += found
    if comp.kind == "function":
        trigger = resolved.function(comp).trigger
        if isinstance(trigger, resolved.TableTrigger):
            comp.trigger_grant = Grant(actions=list(STREAM_READ), resource=f"table.{trigger.table}",
                                       resource_kind="table-stream", kms=True)
    if comp.kind in DATA_STORES:
        comp.encryption = _encryption(ir, env, comp)
    if comp.kind == "bucket" and spec.public_read:
        out += _violation(spec.allow, comp.origin, "IC-SEC-010", f"bucket `{comp.name}` is publicly readable",
                          comp.where("public_read"),
                          "serve public files through a `sites` entry, or `allow` IC-SEC-010 with a reason", sink)
    if comp.kind == "service" and spec.public and spec.protocol == "tcp" and spec.port is not None:
        out += _tcp_entry(ir, comp, sink)
    retention, found = _retention(ir, env, comp, sink)
    comp.retention = retention
    out += found
    comp.allowances = sink
    out += _unused(spec.allow, sink, comp.origin)
    return out


def _tcp_entry(ir: StackIR, comp: Component, sink: list[Allowance]) -> list[Diagnostic]:
    """A public tcp service is reached on the Network Load Balancer: AWS WAF cannot attach there
    (IC-SEC-009), and without a stack `domain` there is no certificate, so the listener forwards
    plain TCP (IC-SEC-002). Both are violations unless the service allows them with a reason."""
    spec = comp.spec
    out = _violation(spec.allow, comp.origin, "IC-SEC-009",
                     f"`{comp.name}` is a public tcp service: its Network Load Balancer cannot carry an AWS WAF web "
                     "ACL (WAF inspects HTTP only)", comp.where("protocol"),
                     "`allow` IC-SEC-009 on the service with the reason the port may face the internet unfiltered "
                     "(e.g. every client authenticates and the server limits connections), or serve it over http/grpc",
                     sink)
    if not ir.domain:
        out += _violation(spec.allow, comp.origin, "IC-SEC-002",
                          f"`{comp.name}` is a public tcp service in a stack without `domain`: the Network Load "
                          "Balancer has no certificate, so its listener forwards plain TCP", comp.where("public"),
                          "set `domain` on the stack (a TLS listener with an ACM certificate), or `allow` IC-SEC-002 "
                          "on the service with a reason (e.g. the protocol encrypts itself end to end)", sink)
    return out


# Kernel and device filesystems a workload never gets a writable volume over.
NEVER_WRITABLE = ("/proc", "/sys", "/dev")
ROOT_RULE = "IC-SEC-013"


def workload_security(ir: StackIR, comp: Component, sink: list[Allowance]) -> tuple[WorkloadSecurity, list[Diagnostic]]:
    """The hardening profile of a service or job (IC-SEC-005): a numeric non-root UID, a
    read-only root filesystem with only the resolved writable directories (/tmp, `writable`)
    as empty volumes, no capabilities, seccomp RuntimeDefault.

    The user and directories come from the resolved model: `run_as`/`writable` as written, or
    for a prebuilt image in library/prebuilt_images.json what that image needs (then reported
    with what was assumed). Root is refused (IC-SEC-013) unless allowed with a reason, and on
    eks always (its namespaces enforce Pod Security `restricted`). Images known not to start
    hardened, and ports a non-root process cannot bind, are reported with what works instead.
    """
    spec, work = comp.spec, resolved.workload(comp)
    out = _writable_problems(comp, list(spec.writable or []))
    user = work.run_as
    if user.user == 0:
        out += _root(ir, comp, sink)
    out += _image_problems(comp, work)
    return WorkloadSecurity(run_as_user=user.user, run_as_group=user.group, writable_paths=list(work.writable),
                            tls_required=True), out


def _root(ir: StackIR, comp: Component, sink: list[Allowance]) -> list[Diagnostic]:
    where = comp.where("run_as", "user")
    if ir.platform == "eks":
        return [error(ROOT_RULE, f"`{comp.name}` runs as root (`run_as.user: 0`), which the Pod Security `restricted` "
                      "namespaces on eks refuse", where,
                      "use the image's non-root user (e.g. `run_as: {user: 101}`), or an image that has one")]
    build = comp.spec.build
    if build is not None and build.language != "dockerfile":
        return [error(ROOT_RULE, f"`{comp.name}` runs as root (`run_as.user: 0`), but infracc's generated Dockerfile "
                      "runs its program as a non-root user", where, "remove `run_as`, or set a non-root UID")]
    return _violation(comp.spec.allow, comp.origin, ROOT_RULE, f"`{comp.name}` runs as root (`run_as.user: 0`)", where,
                      "use the image's non-root user (e.g. `run_as: {user: 101}`), or `allow` IC-SEC-013 with the "
                      "reason the image needs root", sink)


def _image_problems(comp: Component, work: resolved.Service | resolved.Job) -> list[Diagnostic]:
    """What a known prebuilt image was assumed to need, and what still stops it (its port)."""
    port = work.port if isinstance(work, resolved.Service) else None
    row = lib.prebuilt_images().get(image_repository(work.image)) if work.image else None
    assumed, out = _assumed(work), []
    # A stock server image's port is judged where it serves: a service with that port.
    if row is not None and row.port is not None and port == row.port:
        return [warning("IC-SEC-005", f"`{comp.name}` runs `{work.image}`, which cannot start hardened: it listens on "
                        f"port {row.port}, which a process running as UID {work.run_as.user} with every capability "
                        "dropped cannot bind" + (f" ({assumed})" if assumed else ""), comp.where("image"),
                        f"use {row.instead}" if row.instead else "use an image that runs unprivileged")]
    if port is not None and port < 1024:
        out.append(warning("IC-SEC-005", f"`{comp.name}` listens on port {port}: as UID {work.run_as.user} with every "
                           "capability dropped it cannot bind a port below 1024 unless the container runtime allows "
                           "unprivileged ports", comp.where("port"), "listen on a port of 1024 or above"))
    if assumed:
        volumes = ("; each writable directory is an empty volume, emptied when the container restarts"
                   if "writable" in work.assumed else "")
        out.append(note("IC-SEC-005", f"`{comp.name}` runs `{work.image}`: {assumed}{volumes}", comp.where("image"),
                        "write `writable: [...]` and `run_as: {user, group}` to confirm or correct it; keep data that "
                        "must survive in a database or bucket"))
    return out


def _assumed(work: resolved.Service | resolved.Job) -> str:
    """'assumed from library/prebuilt_images.json (nginx): writable /var/cache/nginx, /var/run; run_as 101:101'."""
    if not work.assumed:
        return ""
    parts = []
    if "writable" in work.assumed:
        parts.append("writable " + ", ".join(p for p in work.writable if p != resolved.ALWAYS_WRITABLE))
    if "run_as" in work.assumed:
        parts.append(f"run_as {work.run_as.user}:{work.run_as.group}")
    return f"assumed from library/prebuilt_images.json ({work.assumed_from}): " + "; ".join(parts)


def _writable_problems(comp: Component, paths: list[str]) -> list[Diagnostic]:
    """Each written path once; not relative, `..`, `/` or a kernel filesystem."""
    diags, seen = [], set()
    for i, raw in enumerate(paths):
        path = posixpath.normpath(raw)
        if (not path.startswith("/") or path == "/" or ".." in PurePosixPath(raw).parts
                or any(path == p or path.startswith(p + "/") for p in NEVER_WRITABLE)):
            diags.append(error("IC-SEC-005", f"writable path `{raw}` of `{comp.name}` is not allowed",
                               comp.where("writable", i), "name an absolute directory the image writes, e.g. "
                               "/var/cache/nginx (not /, not under /proc, /sys or /dev, no `..`)"))
        elif path in seen:
            diags.append(error("IC-SEC-005", f"writable path `{raw}` of `{comp.name}` is listed twice",
                               comp.where("writable", i), "list each directory once"))
        seen.add(path)
    return diags


def _encryption(ir: StackIR, env: EnvIR, comp: Component) -> Encryption:
    pii = bool(getattr(comp.spec, "contains_pii", False))
    if pii:
        return Encryption(key_alias=naming.kms_alias(ir.name, env.name, comp.name), dedicated=True,
                          tags={"data-classification": "pii"},
                          reason="contains_pii: a dedicated customer-managed key, tagged (IC-GDPR-002)")
    return Encryption(key_alias=naming.kms_alias(ir.name, env.name), dedicated=False,
                      reason="environment key, customer-managed and rotated (IC-SEC-001)")


def log_retention(ir: StackIR, env: EnvIR, comp: Component) -> int:
    days = lib.profiles()[env.settings.size].log_retention_days
    if "soc2" in ir.compliance:
        days = max(days, 365)
    if "gdpr" in ir.compliance and _touches_pii(env, comp):
        days = min(days, 400)
    steps = lib.log_retention_steps()
    return next(s for s in steps if s >= days) if days <= steps[-1] else steps[-1]


def _touches_pii(env: EnvIR, comp: Component) -> bool:
    if getattr(comp.spec, "contains_pii", False):
        return True
    return any(getattr(env.graph.component(c.target).spec, "contains_pii", False) for c in env.graph.uses(comp.id))


def _retention(ir: StackIR, env: EnvIR, comp: Component, sink: list[Allowance]) -> tuple[Retention, list[Diagnostic]]:
    s = env.settings
    out: list[Diagnostic] = []
    backup = None
    if comp.kind == "database":
        backup, out = _backup_days(ir, env, comp, sink)
    protect = s.deletion_protection or ("soc2" in ir.compliance and s.is_last)
    return Retention(
        log_retention_days=log_retention(ir, env, comp),
        backup_retention_days=backup,
        deletion_protection=protect and comp.kind in ("database", "bucket", "service", "table"),
        final_snapshot=protect and comp.kind == "database",
        access_logging=comp.kind in ("bucket", "site", "service"),
        alarms=external_alarms(ir, env, comp) if comp.kind == "external" else alarms(comp, ir.platform),
        backup_plan_days=_backup_plan_days(ir, env, comp, backup),
        point_in_time_recovery=comp.kind == "table",
        automatic_backups=filesystem_access.automatic_backups(ir, env, comp),
    ), out


def _backup_plan_days(ir: StackIR, env: EnvIR, comp: Component, backup: int | None) -> int | None:
    """soc2: an independent daily AWS Backup copy of databases and versioned buckets (IC-SOC2-001),
    kept as long as the environment's backups (the database's own retention, else 7, or 14 last)."""
    if "soc2" not in ir.compliance:
        return None
    if comp.kind == "database":
        return backup
    if comp.kind == "bucket" and comp.spec.versioning:  # AWS Backup for S3 needs versioning
        return 14 if env.settings.is_last else 7
    if comp.kind == "table":  # beside point-in-time recovery: copies outside the table's own backups
        return 14 if env.settings.is_last else 7
    return None


# An external dependency's alarm counts the failed calls its users log (README: the log contract).
EXTERNAL_ALARM = "dependency-errors"


def external_alarms(ir: StackIR, env: EnvIR, comp: Component) -> list[str]:
    """`dependency-errors` where Terraform can read the users' logs: ECS tasks and Lambda functions
    write to a log group of their own, which gets a metric filter. On eks the container logs go
    wherever the cluster's log agent sends them (the CloudWatch Observability add-on wraps each line
    in its own JSON), so no filter is claimed there; the runbook says where to look instead."""
    readable = [u for u in env.graph.users(comp.id)
                if u.source.startswith("function.") or (ir.platform == "ecs" and u.source.split(".")[0] in ("service", "job"))]
    return [EXTERNAL_ALARM] if readable else []


def alarms(comp: Component, platform: str = "ecs") -> list[str]:
    """Alarm names for a component; load-balancer alarms only where there is a load balancer.

    A job's `failed-runs` alarm watches ECS task-state events (EventBridge); Kubernetes Jobs emit
    no such AWS event, so on eks a failed run is visible in the CronJob's failed-job history
    (`kubectl get jobs`) and no alarm is claimed that Terraform could not create."""
    names = [a for a in ALARMS.get(comp.kind, []) if not (platform == "eks" and a == "failed-runs")]
    if comp.kind == "service" and comp.spec.public and comp.spec.port is not None:
        # The Network Load Balancer sees connections, not HTTP answers: it reports unhealthy targets.
        names += ["unhealthy-targets"] if comp.spec.protocol == "tcp" else ["5xx-errors", "latency-p99"]
    return names


def _backup_days(ir: StackIR, env: EnvIR, comp: Component, sink: list[Allowance]) -> tuple[int, list[Diagnostic]]:
    s, spec = env.settings, comp.spec
    floor = lib.profiles()[s.size].backup_retention_days
    required = 0
    if "soc2" in ir.compliance:
        required = 14 if s.is_last else 7
    where = comp.where("backup_retention_days")
    if spec.backup_retention_days is None:
        return max(floor, required, 1), []
    days = spec.backup_retention_days
    out = []
    if days < 1:
        out += _violation(spec.allow, comp.origin, "IC-SEC-011", f"database `{comp.name}` has automated backups off in `{s.name}`",
                          where, "set backup_retention_days ≥ 1", sink)
    if days < required:
        out += _violation(spec.allow, comp.origin, "IC-SOC2-001",
                          f"database `{comp.name}` keeps backups {days} days in `{s.name}`; soc2 needs {required}",
                          where, f"set backup_retention_days ≥ {required}, or omit it", sink)
    return days, out


def _unused(allow: Sequence[Allow], used: list[Allowance], origin: Path) -> list[Diagnostic]:
    taken = {a.rule for a in used}
    return [warning("IC-ALLOW-002", f"allowance for {entry.rule} is not needed here", (*origin, "allow", i),
                    "remove it")
            for i, entry in enumerate(allow) if entry.rule not in taken and _allowable(entry.rule)]


def _allowable(rule_id: str) -> bool:
    rule = registry().get(rule_id)
    return rule is not None and rule.allowable


def controls(ir: StackIR, env: EnvIR) -> list[ControlDecision]:
    """Which rules apply in this environment and where each is implemented (for the docs)."""
    packs = {"baseline", *ir.compliance}
    return [ControlDecision(rule=r.id, title=r.title, pack=r.pack, controls=list(r.controls),
                            implemented_by=IMPLEMENTED_BY.get(r.id, r.fix))
            for r in registry() if r.pack in packs]


IMPLEMENTED_BY = {
    "IC-SEC-001": "KMS keys (terraform); RDS/ElastiCache/S3/SQS/DynamoDB/EFS/log-group encryption settings",
    "IC-SEC-002": "ALB HTTPS listener + redirect; NLB TLS listener (ACM) for public tcp services with a domain; RDS parameter group (force TLS); ElastiCache transit encryption; S3 TLS-only bucket policy; EFS file system policy denying non-TLS clients, ECS/CSI mounts with TLS",
    "IC-SEC-003": "IAM policy documents per workload role (terraform); Pod Identity associations on eks",
    "IC-SEC-004": "VPC subnet tiers: public (load balancers), private (workloads), isolated (data stores)",
    "IC-SEC-005": "ECS container definitions; Kubernetes securityContext; Dockerfile USER",
    "IC-SEC-006": "security groups per workload; Kubernetes NetworkPolicies",
    "IC-SEC-007": "Secrets Manager; ECS task secrets; ExternalSecret; compose .env (git-ignored)",
    "IC-SEC-008": "CloudWatch log groups with retention and KMS",
    "IC-SEC-009": "AWS WAF web ACLs on ALB and CloudFront (none can attach to the NLB of public tcp services: each needs an allowance)",
    "IC-SOC2-003": "CloudTrail trail (terraform)",
    "IC-SOC2-001": "RDS backup_retention_period per environment (raised, never lowered), plus a daily AWS Backup plan "
                   "(KMS-encrypted vault) for databases, versioned buckets and tables; EFS automatic backups (daily, 35 days) "
                   "for file systems",
    "IC-SOC2-002": "RDS/ALB/NLB/DynamoDB deletion protection, final snapshots, S3 and load-balancer access logs in the last environment",
    "IC-SOC2-004": "CloudWatch log group retention ≥ 365 days",
    "IC-SEC-010": "S3 public access block on every bucket; public content only through CloudFront with origin access control",
    "IC-SEC-011": "RDS automated backups (backup_retention_period ≥ 1); DynamoDB point-in-time recovery on every table",
    "IC-SEC-013": "ECS container `user`, Kubernetes runAsNonRoot/runAsUser, compose `user` (security pass: "
                  "`run_as` or a known image's own user, else 10001; root only on ecs with an allowance)",
    "IC-SEC-012": "RDS deletion_protection + final snapshot, ALB, NLB and DynamoDB table deletion protection where the environment asks for it",
    "IC-GDPR-001": "validate: every environment region checked against the EU/EEA list in library/regions.json",
    "IC-GDPR-002": "dedicated KMS key per contains_pii store; `data-classification=pii` tag on the store and its key",
    "IC-GDPR-003": "CloudWatch log group retention capped at 400 days for workloads using PII stores",
    "IC-SOC2-005": "SNS alarm topic (KMS) and CloudWatch alarms",
    "IC-SOC2-006": "AWS Config recorder, delivery channel and KMS-encrypted bucket (`aws_config: create`), and the "
                   "managed Config rules of the controls (terraform)",
    "IC-GDPR-004": "docs: data inventory section",
}
