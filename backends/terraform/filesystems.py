"""EFS file systems: KMS encryption (IC-SEC-001), mount targets in the private subnets (the
security group admits NFS only from the workloads that mount it, firewall.py), an access point
per mount edge (the security pass's POSIX identity and shared root), lifecycle to Infrequent
Access (sizing pass), automatic backups (security pass), and a file system policy that refuses
clients without TLS and admits only the mounting principals, through their access points."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.compiler import decided, naming, resolved
from infracc.compiler.ir import Component, Connection
from infracc.compiler.tasks import filesystem_output

THROUGHPUT = {"elastic": "elastic", "bursting": "bursting"}
CLIENT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientWrite"]


def access_point_part(conn: Connection) -> str:
    """`ctx.parts` key of a mount edge's access point."""
    return f"ap.{conn.source}.{conn.target}"


def filesystem(ctx: Env, comp: Component) -> None:
    spec, sz, ret = resolved.filesystem(comp), decided.sizing(comp), decided.retention(comp)
    n = label("filesystem", comp.name)
    attrs: dict[str, Any] = {
        "encrypted": decided.encryption(comp).at_rest,  # no creation_token: Terraform makes a unique one
        "kms_key_id": ctx.key_for(comp).ref("arn"), "performance_mode": "generalPurpose",
        "throughput_mode": THROUGHPUT[spec.throughput], "tags": {"Name": ctx.aws_name(comp.name)},
    }
    if sz.infrequent_access_after_days is not None:
        days = sz.infrequent_access_after_days
        attrs["lifecycle_policy"] = [
            {"transition_to_ia": f"AFTER_{days}_DAY{'S' if days > 1 else ''}"},
            {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}]
    subnets = [ctx.parts[f"subnet.private.{i}"] for i in range(decided.network(ctx.env).az_count)]
    if spec.one_zone:  # One Zone: the first private subnet's zone, one mount target
        attrs["availability_zone_name"] = subnets[0].ref("availability_zone")
        subnets = subnets[:1]
    fs = ctx.doc.resource("aws_efs_file_system", n, attrs, skip=("IC-SKIP-022",))
    ctx.parts[comp.id] = fs
    ctx.doc.resource("aws_efs_backup_policy", label(n, "backup"), {
        "file_system_id": fs.ref("id"),
        "backup_policy": {"status": "ENABLED" if ret.automatic_backups else "DISABLED"}})
    for i, subnet in enumerate(subnets):
        ctx.doc.resource("aws_efs_mount_target", label(n, "mount", str(i)), {
            "file_system_id": fs.ref("id"), "subnet_id": subnet.ref("id"),
            "security_groups": [ctx.parts[f"sg.{comp.id}"].ref("id")]})
    for conn in ctx.env.graph.users(comp.id):
        _access_point(ctx, comp, fs, conn)


def _access_point(ctx: Env, comp: Component, fs: Block, conn: Connection) -> None:
    ap = conn.access_point
    assert ap is not None, f"{conn.source} -> {conn.target}: the security pass decides the access point"
    workload = conn.source.split(".", 1)[1]
    user: dict[str, Any] = {"uid": ap.uid, "gid": ap.gid}
    if ap.secondary_gids:
        user["secondary_gids"] = list(ap.secondary_gids)
    ctx.parts[access_point_part(conn)] = ctx.doc.resource(
        "aws_efs_access_point", label("access_point", workload, comp.name), {
            "file_system_id": fs.ref("id"), "posix_user": user,
            "root_directory": {"path": ap.root_directory, "creation_info": {
                "owner_uid": ap.owner_uid, "owner_gid": ap.owner_gid, "permissions": ap.permissions}},
            "tags": {"Name": ctx.aws_name(comp.name, workload)}})


def mount_principal(ctx: Env, conn: Connection) -> str:
    """The IAM principal that makes the mount: the workload's task role, or the CSI driver's role."""
    if decided.grant(conn).mounted_by == "csi-driver":
        return ctx.parts["role.efs_csi"].ref("arn")
    return ctx.parts[f"role.task.{conn.source}"].ref("arn")


def policies(ctx: Env) -> None:
    """The file system policies, once every mounting principal exists (after the workloads)."""
    for comp in ctx.env.graph.components("filesystem"):
        fs = ctx.parts[comp.id]
        edges = ctx.env.graph.users(comp.id)
        points = [ctx.parts[access_point_part(c)].ref("arn") for c in edges]
        statements: list[dict[str, Any]] = [{
            "sid": "DenyWithoutTls", "effect": "Deny", "actions": ["*"], "resources": [fs.ref("arn")],
            "principals": [{"type": "AWS", "identifiers": ["*"]}],
            "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}]
        if points:
            statements.append({
                "sid": "DenyOutsideAccessPoints", "effect": "Deny", "actions": CLIENT_ACTIONS,
                "resources": [fs.ref("arn")], "principals": [{"type": "AWS", "identifiers": ["*"]}],
                "condition": [{"test": "StringNotEquals", "variable": "elasticfilesystem:AccessPointArn",
                               "values": points}]})
        for conn, point in zip(edges, points, strict=True):
            workload = conn.source.split(".", 1)[1]
            statements.append({
                "sid": label("mount", workload).replace("_", " ").title().replace(" ", "")[:60],
                "effect": "Allow", "actions": sorted(decided.grant(conn).actions), "resources": [fs.ref("arn")],
                "principals": [{"type": "AWS", "identifiers": [mount_principal(ctx, conn)]}],
                "condition": [{"test": "StringEquals", "variable": "elasticfilesystem:AccessPointArn",
                               "values": [point]}]})
        doc = ctx.policy_document(label("filesystem", comp.name, "policy"), statements)
        ctx.doc.resource("aws_efs_file_system_policy", label("filesystem", comp.name, "policy"), {
            "file_system_id": fs.ref("id"), "policy": doc.ref("json")})


def outputs(ctx: Env) -> None:
    """File system ids and, per mount, the CSI volume handle `<fs-id>::<access-point-id>` that CI
    passes to the Kubernetes PersistentVolumes (naming.efs_handle_output)."""
    for comp in ctx.env.graph.components("filesystem"):
        fs = ctx.parts[comp.id]
        ctx.doc.output(filesystem_output(comp.name), fs.ref("id"), f"EFS file system {comp.name}")
        for conn in ctx.env.graph.users(comp.id):
            workload = conn.source.split(".", 1)[1]
            ap = ctx.parts[access_point_part(conn)]
            ctx.doc.output(naming.efs_handle_output(workload, comp.name), f"{fs.ref('id')}::{ap.ref('id')}",
                           f"EFS volume handle of {workload}'s mount of {comp.name}")
