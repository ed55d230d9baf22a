"""Databases, caches and Secrets Manager secrets (declared and connection secrets)."""
from __future__ import annotations

import re
from typing import Any

from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.compiler import decided, naming, resolved
from infracc.compiler.decisions import Encryption, Retention, Sizing
from infracc.compiler.ir import Component

FAMILY = {"postgres": "postgres", "mysql": "mysql"}
PARAMETERS = {
    "postgres": {"rds.force_ssl": "1", "log_statement": "ddl", "log_min_duration_statement": "1000"},
    "mysql": {"require_secure_transport": "1", "slow_query_log": "1", "long_query_time": "1"},
}
LOG_EXPORTS = {"postgres": ["postgresql", "upgrade"], "mysql": ["audit", "error", "general", "slowquery"]}
SCHEME = {"postgres": "postgresql", "mysql": "mysql"}
ADMIN_USER = "app_admin"
# Keys of the connection secret's JSON (the outputs workloads read; the docs list them).
CONNECTION_KEYS = {"database": ("host", "port", "name", "user", "password", "url"),
                   "cache": ("host", "port", "password", "url"), "secret": ("value",)}


def db_name(comp: Component) -> str:
    return re.sub(r"[^a-zA-Z0-9]", "", comp.name)


def secret(ctx: Env, name: str, secret_name: str, description: str) -> Block:
    return ctx.doc.resource("aws_secretsmanager_secret", label("secret", name), {
        "name": secret_name, "description": description, "kms_key_id": ctx.parts["kms.env"].ref("arn"),
        "recovery_window_in_days": 7}, skip=("IC-SKIP-002",))


def declared_secrets(ctx: Env) -> None:
    """Every `secrets:` entry, created empty: people set the values, never infracc (IC-SEC-007)."""
    for comp in ctx.env.graph.components("service", "job", "function"):
        for var in resolved.secrets(comp):
            ctx.parts[f"secret.{comp.name}.{var}"] = secret(
                ctx, f"{comp.name}_{var}".lower(), naming.secret_name(ctx.ir.name, ctx.name, comp.name, var),
                f"{var} of {comp.name}; value set by an operator")


def shared_secrets(ctx: Env) -> None:
    """Every stack-level `secrets:` entry: one secret per environment, JSON `{"value": ...}` (the
    shape of a connection secret, so ECS, Lambda and ExternalSecrets read it as they read those).

    `generate`: a random value of `length` hex characters from Terraform's `uuid()` (128 bits of
    crypto/rand each, see `credential`), through the write-only `secret_string_wo` at version 1:
    written at creation, in neither state nor plan, never rewritten by a later apply (a new value
    is an operator's `put-secret-value`, the runbook says how). `value_from: external`: the secret
    is created empty; an operator writes the value before the users are deployed."""
    for comp in ctx.env.graph.components("secret"):
        spec = resolved.shared_secret(comp)
        users = ", ".join(sorted(c.source.split(".", 1)[1] for c in ctx.env.graph.users(comp.id))) or "nothing yet"
        sec = secret(ctx, f"{comp.name}_shared", naming.shared_secret(ctx.ir.name, ctx.name, comp.name),
                     (spec.description or f"shared secret {comp.name}").rstrip(".") + f"; read by {users}")
        ctx.parts[f"connection.{comp.name}"] = sec
        if spec.generate_length is None:
            continue
        uuids = -(-spec.generate_length // 32)
        value = f'substr(replace(join("", [{", ".join(["uuid()"] * uuids)}]), "-", ""), 0, {spec.generate_length})'
        ctx.doc.resource("aws_secretsmanager_secret_version", label(comp.name, "shared"), {
            "secret_id": sec.ref("id"), "secret_string_wo": f"${{jsonencode({{value = {value}}})}}",
            "secret_string_wo_version": 1})


def _sizing(comp: Component) -> Sizing:
    assert comp.sizing is not None, f"{comp.id}: the sizing pass sizes every store"
    return comp.sizing


def _retention(comp: Component) -> Retention:
    assert comp.retention is not None, f"{comp.id}: the retention pass decides every store"
    return comp.retention


def _encryption(comp: Component) -> Encryption:
    """The security pass's encryption decision for a data store (always made for stores)."""
    assert comp.encryption is not None, f"{comp.id}: the security pass decides encryption"
    return comp.encryption


def database(ctx: Env, comp: Component) -> None:
    doc, spec, sz, ret = ctx.doc, resolved.database(comp), _sizing(comp), _retention(comp)
    n = label(comp.name)
    key = ctx.key_for(comp)
    group = doc.resource("aws_db_subnet_group", label(n, "subnets"), {
        "name": ctx.aws_name(comp.name), "subnet_ids": subnet_ids(ctx, "isolated"), "description": f"{comp.name}: isolated subnets"})
    version = sz.engine_version
    assert version is not None, f"{comp.id}: the sizing pass picks the engine version"
    major = version.split(".")[0] if spec.engine == "postgres" else version
    params = doc.resource("aws_db_parameter_group", label(n, "params"), {
        "name": ctx.aws_name(comp.name), "family": f"{FAMILY[spec.engine]}{major}",
        "description": f"{comp.name}: TLS required, query logging",
        "parameter": [{"name": k, "value": v, "apply_method": "pending-reboot"} for k, v in sorted(PARAMETERS[spec.engine].items())]})
    monitoring = ctx.role(f"{n}_monitoring", "monitoring.rds.amazonaws.com",
                          managed=("service-role/AmazonRDSEnhancedMonitoringRole",))
    attrs = {
        "identifier": ctx.aws_name(comp.name), "engine": spec.engine, "engine_version": version,
        "engine_lifecycle_support": sz.engine_lifecycle_support,  # sizing pass: Extended Support only if pinned past standard
        "instance_class": sz.instance_class, "allocated_storage": sz.storage_gb,
        "storage_type": (comp.optimization.storage_type if comp.optimization else None) or "gp3", "storage_encrypted": _encryption(comp).at_rest, "kms_key_id": key.ref("arn"),
        "multi_az": bool(sz.multi_az), "db_subnet_group_name": group.ref("name"), "parameter_group_name": params.ref("name"),
        "vpc_security_group_ids": [ctx.parts[f"sg.{comp.id}"].ref("id")], "db_name": db_name(comp),
        # Write-only: RDS gets this run's credential, Terraform keeps neither it nor a copy (see credential()).
        "username": ADMIN_USER, "password_wo": credential(ctx, comp), "password_wo_version": rotation(ctx),
        "iam_database_authentication_enabled": True, "backup_retention_period": ret.backup_retention_days,
        "deletion_protection": ret.deletion_protection, "skip_final_snapshot": not ret.final_snapshot,
        "final_snapshot_identifier": ctx.aws_name(comp.name, "final") if ret.final_snapshot else None,
        # The sizing pass decides it: RDS for MySQL refuses it on micro/small burstable classes.
        "performance_insights_enabled": bool(sz.performance_insights),
        "performance_insights_kms_key_id": key.ref("arn") if sz.performance_insights else None,
        "monitoring_interval": 60, "monitoring_role_arn": monitoring.ref("arn"),
        "enabled_cloudwatch_logs_exports": LOG_EXPORTS[spec.engine], "copy_tags_to_snapshot": True,
        "auto_minor_version_upgrade": True, "publicly_accessible": False, "ca_cert_identifier": "rds-ca-rsa2048-g1"}
    skip = (() if sz.multi_az else ("IC-SKIP-006:CKV_AWS_157",)) + (() if ret.deletion_protection else ("IC-SKIP-008:CKV_AWS_293",))
    db = doc.resource("aws_db_instance", n, {k: v for k, v in attrs.items() if v is not None}, skip=skip)
    ctx.parts[comp.id] = db
    _db_connection(ctx, comp, db, str(db.attrs["password_wo"]))


def credential(ctx: Env, comp: Component) -> str:
    """A fresh random credential for one store, as `local.<store>_credential`.

    `uuid()` is Terraform core's, 128 bits from crypto/rand each (hashicorp/go-uuid), so the
    value is 160 random bits as 40 hex characters (RDS for MySQL allows at most 41, ElastiCache
    AUTH 16–128, no punctuation needed). Terraform returns impure functions as unknown during
    plan, so a plan never sees it, and a local is evaluated once per run: the two write-only
    arguments that take it in one apply get the same value. No provider call makes it (the
    ephemeral `aws_secretsmanager_random_password` would call GetRandomPassword at plan time,
    which the read-only plan role may not). Used only where nothing stores it (write-only
    arguments), except the ElastiCache AUTH token (see `cache`).
    """
    return ctx.doc.local(f"{label(comp.name)}_credential", '${substr(replace(join("", [uuid(), uuid()]), "-", ""), 0, 40)}')


# The credential schedule: a new database password at the first apply of every calendar quarter
# (90 days at most, as PCI DSS 8.3.9 asks of passwords), plus `rotate_credentials` for a rotation
# now (`-var rotate_credentials=1`; the next apply without it rotates once more, which is harmless:
# the database and its secret always get the same new value). `plantimestamp()` is known at plan
# time and fixed for the run, so the version both write-only arguments carry is one number.
ROTATION = ('${tonumber(formatdate("YYYY", plantimestamp())) * 4 + floor((tonumber(formatdate("M", plantimestamp())) - 1) / 3)'
            ' + var.rotate_credentials * 100000}')
ROTATE_VARIABLE = ("number", 0, "set to a new number to rotate the database passwords now (they also rotate "
                   "at the first apply of each calendar quarter)")


def rotation(ctx: Env) -> str:
    """`local.credential_rotation`: the quarter number (year × 4 + quarter − 1) of this run,
    offset by `var.rotate_credentials`."""
    if "credential_rotation" not in ctx.doc.locals:
        ctx.doc.local("credential_rotation", ROTATION)
        ctx.doc.variables["rotate_credentials"] = ROTATE_VARIABLE
    return "${local.credential_rotation}"


def _db_connection(ctx: Env, comp: Component, db: Block, password: str) -> None:
    a = db.address
    pw = password[2:-1]  # the expression inside `${...}`
    url = (f'"{SCHEME[resolved.database(comp).engine]}://${{{a}.username}}:${{urlencode({pw})}}@${{{a}.address}}:'
           f'${{{a}.port}}/${{{a}.db_name}}"')
    body = (f'host = {a}.address, port = tostring({a}.port), name = {a}.db_name, '
            f'user = {a}.username, password = {pw}, url = {url}')
    # A replaced instance is created with this run's credential: write it to the secret too.
    connection(ctx, comp, body, version=str(db.attrs["password_wo_version"]), replaced_with=(f"{a}.resource_id",))


def connection(ctx: Env, comp: Component, body: str, version: str | int | None = None,
               replaced_with: tuple[str, ...] = ()) -> None:
    """The connection secret (JSON keyed by output name) that workloads and other backends read.

    With `version` (databases and caches: it holds a password) the value goes through the
    write-only `secret_string_wo`: it is in neither state nor plan, and Terraform writes it again
    when `version` changes or a block in `replaced_with` is replaced or changed. Without it
    (buckets, queues, functions: names and ARNs only) it is a plain `secret_string`, which
    Terraform keeps in step with its sources on every apply.
    """
    if not decided.has_connection_secret(ctx.ir.targets, comp):
        return  # names and ARNs that only Kubernetes ExternalSecrets would read
    sec = secret(ctx, f"{comp.name}_connection", naming.connection_secret(ctx.ir.name, ctx.name, comp.name),
                 f"connection to {comp.kind} {comp.name}")
    ctx.parts[f"connection.{comp.name}"] = sec
    value = f"${{jsonencode({{{body}}})}}"
    attrs: dict[str, Any] = {"secret_id": sec.ref("id")}
    if version is None:
        attrs["secret_string"] = value
    else:
        attrs.update(secret_string_wo=value, secret_string_wo_version=version)
    if replaced_with:
        attrs["lifecycle"] = {"replace_triggered_by": list(replaced_with)}
    ctx.doc.resource("aws_secretsmanager_secret_version", label(comp.name, "connection"), attrs)


def cache(ctx: Env, comp: Component) -> None:
    doc, sz, n = ctx.doc, _sizing(comp), label(comp.name)
    key = ctx.key_for(comp)
    group = doc.resource("aws_elasticache_subnet_group", label(n, "subnets"), {
        "name": ctx.aws_name(comp.name), "subnet_ids": subnet_ids(ctx, "isolated"), "description": f"{comp.name}: isolated subnets"})
    nodes = sz.num_nodes or 1
    single = not (bool(sz.multi_az) and nodes > 1)
    rg = doc.resource("aws_elasticache_replication_group", n, skip=("IC-SKIP-006:CKV2_AWS_50",) if single else (), attrs={
        "replication_group_id": ctx.aws_name(comp.name), "description": f"{comp.name} ({resolved.cache(comp).engine})",
        "engine": resolved.cache(comp).engine, "engine_version": sz.engine_version, "node_type": sz.node_type,
        "num_cache_clusters": nodes, "automatic_failover_enabled": nodes > 1, "multi_az_enabled": bool(sz.multi_az) and nodes > 1,
        "port": 6379, "subnet_group_name": group.ref("name"), "security_group_ids": [ctx.parts[f"sg.{comp.id}"].ref("id")],
        "at_rest_encryption_enabled": str(_encryption(comp).at_rest).lower(), "kms_key_id": key.ref("arn"),
        "transit_encryption_enabled": _encryption(comp).in_transit,
        # No write-only AUTH token in provider 5.100 nor in the 6.x schema tf_semantics checks
        # (`auth_token_wo` came later): the token is in the state (sensitive) and set once, at
        # creation; a new run's credential is ignored after that.
        "auth_token": credential(ctx, comp), "lifecycle": {"ignore_changes": ["auth_token"]},
        "snapshot_retention_limit": 7, "auto_minor_version_upgrade": "true"})
    ctx.parts[comp.id] = rg
    a = rg.address
    body = (f'host = {a}.primary_endpoint_address, port = "6379", password = {a}.auth_token, '
            f'url = "rediss://:${{urlencode({a}.auth_token)}}@${{{a}.primary_endpoint_address}}:6379"')
    # The token as the replication group holds it; any change to the group (a replacement makes a
    # new token) writes the secret again.
    connection(ctx, comp, body, version=1, replaced_with=(a,))
