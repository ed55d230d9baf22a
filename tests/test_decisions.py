"""Security and sizing decisions for representative specs."""
from __future__ import annotations

from infracc.compiler.pipeline import analyze


def build(yaml: str):
    result = analyze(text="infracc: 1\nname: shop\n" + yaml)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return result.ir


def test_grants_follow_modes_and_scope_one_resource() -> None:
    ir = build("services:\n  w:\n    image: ghcr.io/a/w:1\n    uses: [up:read, q:consume, db, fn]\n"
               "buckets:\n  up: {}\nqueues:\n  q: {}\ndatabases:\n  db: {}\n"
               "functions:\n  fn: {runtime: python3.12, source: ., handler: a.h}\n")
    edges = {c.target: c for c in ir.envs["dev"].graph.uses("service.w")}
    assert edges["bucket.up"].grant.actions == ["s3:GetObject", "s3:ListBucket"]
    assert "sqs:SendMessage" not in edges["queue.q"].grant.actions
    assert edges["queue.q"].grant.resource == "queue.q"
    # Databases are reached with the connection secret (no IAM database user is created): no grant.
    assert edges["database.db"].network.port == 5432 and edges["database.db"].grant is None
    assert edges["function.fn"].grant.actions == ["lambda:InvokeFunction"]


def test_pii_gets_dedicated_key_and_capped_logs_under_gdpr() -> None:
    ir = build("region: eu-west-1\ncompliance: [gdpr, soc2]\nservices:\n  w: {image: 'ghcr.io/a/w:1', uses: [db]}\n"
               "databases:\n  db: {contains_pii: true}\n  other: {}\n")
    prod = ir.envs["prod"].graph
    assert prod.component("database.db").encryption.dedicated
    assert prod.component("database.db").encryption.key_alias == "alias/shop-prod-db"
    assert not prod.component("database.other").encryption.dedicated
    assert 365 <= prod.component("service.w").retention.log_retention_days <= 400


def test_soc2_raises_backups_and_logs() -> None:
    ir = build("compliance: [soc2]\ndatabases:\n  db: {}\n")
    assert ir.envs["dev"].graph.component("database.db").retention.backup_retention_days == 7
    prod = ir.envs["prod"].graph.component("database.db").retention
    assert prod.backup_retention_days == 14 and prod.deletion_protection and prod.final_snapshot
    assert prod.log_retention_days >= 365
    assert any(c.rule == "IC-SOC2-003" for c in ir.envs["prod"].controls)


def test_no_compliance_uses_profile_values() -> None:
    ir = build("databases:\n  db: {}\n")
    dev = ir.envs["dev"].graph.component("database.db")
    assert dev.retention.backup_retention_days == 1 and dev.retention.log_retention_days == 14
    assert not any(c.pack == "soc2" for c in ir.envs["dev"].controls)


def test_ha_raises_public_services_to_two_replicas() -> None:
    ir = build("environments:\n  dev: {}\n  prod: {size: small, high_availability: true}\n"
               "services:\n  api: {image: 'ghcr.io/a/a:1', port: 80, replicas: 1}\n")
    assert ir.envs["dev"].graph.component("service.api").sizing.replicas_min == 1
    assert ir.envs["prod"].graph.component("service.api").sizing.replicas_min == 2


def test_cpu_only_request_gets_valid_memory() -> None:
    ir = build("services:\n  api: {image: 'ghcr.io/a/a:1', cpu: 2}\n")
    assert ir.envs["dev"].graph.component("service.api").sizing.memory_mib == 4096


def test_workload_hardening_profile() -> None:
    ir = build("services:\n  api: {image: 'ghcr.io/a/a:1'}\n")
    sec = ir.envs["dev"].graph.component("service.api").security
    assert sec.run_as_user >= 10000 and sec.read_only_root_filesystem and sec.drop_capabilities == ["ALL"]
    assert not sec.allow_privilege_escalation and sec.seccomp_profile == "RuntimeDefault"


def test_environment_defaults() -> None:
    ir = build("")
    s = {n: e.settings for n, e in ir.envs.items()}
    assert [s[n].size for n in s] == ["small", "medium", "large"]
    assert s["prod"].high_availability and s["prod"].approval and s["prod"].deletion_protection
    assert not s["dev"].approval and len({e.cidr for e in s.values()}) == 3


def test_soc2_adds_aws_backup_for_databases_and_versioned_buckets() -> None:
    ir = build("compliance: [soc2]\ndatabases:\n  db: {}\nbuckets:\n  kept: {}\n  scratch: {versioning: false}\n")
    prod, dev = ir.envs["prod"].graph, ir.envs["dev"].graph
    assert prod.component("database.db").retention.backup_plan_days == 14
    assert dev.component("bucket.kept").retention.backup_plan_days == 7
    assert prod.component("bucket.scratch").retention.backup_plan_days is None
    plain = build("databases:\n  db: {}\n")
    assert plain.envs["prod"].graph.component("database.db").retention.backup_plan_days is None
