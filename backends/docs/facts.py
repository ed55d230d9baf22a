"""Operational facts the runbook states, derived from IR decisions and shared names."""
from __future__ import annotations

from dataclasses import dataclass

from infracc.compiler import naming, resolved
from infracc.compiler.ir import Component, StackIR

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
}


@dataclass(frozen=True)
class Backup:
    component: str
    kind: str
    how: str
    rpo: str
    rto: str
    restore: str


def backup(comp: Component) -> Backup | None:
    found = _backup(comp)
    days = comp.retention.backup_plan_days if comp.retention else None
    if found is None or not days:
        return found
    return Backup(found.component, found.kind, f"{found.how}; daily AWS Backup copy kept {days} days (vault `<stack>-<env>-backups`)",
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
        "database": "connection of `{}` (host, port, name, user, password, url), copied by Terraform from the "
                    "RDS-managed master secret: after RDS rotates the password, `terraform apply` refreshes it",
        "cache": "connection of `{}` (host, port, password, url); the AUTH token is generated in Secrets Manager",
        "bucket": "names of `{}` (bucket, arn) for Kubernetes ExternalSecrets; not secret",
        "queue": "names of `{}` (queue_url, queue_arn) for Kubernetes ExternalSecrets; not secret",
        "function": "names of `{}` (arn, name) for Kubernetes ExternalSecrets; not secret",
    }
    out += [(naming.connection_secret(ir.name, env, c.name), what[c.kind].format(c.name))
            for c in graph.components(*what)]
    return out


def facts(ir: StackIR) -> dict[str, object]:
    last = list(ir.envs.values())[-1]
    return {
        "state_bucket": naming.state_bucket(ir.name),
        "alarm_actions": ALARM_ACTIONS,
        "backups": {e: [b for c in ir.envs[e].graph if (b := backup(c))] for e in ir.envs},
        "secrets": {e: secrets(ir, e) for e in ir.envs},
        "namespace": {e: naming.namespace(ir.name, e) for e in ir.envs},
        "prefix": {e: naming.prefix(ir.name, e) for e in ir.envs},
        "images": {c.name: naming.image_repository(ir.name, c.name)
                   for c in last.graph.components("service", "job") if resolved.workload(c).built},
        "pii": [c for c in last.graph if resolved.contains_pii(c)],
    }
