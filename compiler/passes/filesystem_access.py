"""File system decisions of the security pass: the NFS rule, the IAM grant and the EFS access
point of every mount edge (workload → filesystem), and whether a file system is backed up.

Sharing is the point of a file system, so every access point of one file system opens the same
root directory, `SHARED_ROOT`; what differs per workload is the POSIX identity EFS enforces (the
workload's `run_as` user and group, so the files it writes are its own) and whether it may
write. The file system's group is the group of its first read-write mounter in spec order (the
first mounter when all are read-only); EFS creates the root directory owned by that workload,
mode 2775 (setgid: everything created below keeps the group), and the other workloads get the
group as a secondary group, so they can read what the others wrote and write where the mode
lets them (a writer whose files others must change sets umask 002).
"""
from __future__ import annotations

from infracc.compiler import resolved
from infracc.compiler.decisions import AccessPoint, Grant
from infracc.compiler.ir import Component, Connection, EnvIR, StackIR

NFS_PORT = 2049  # EFS mount targets answer NFSv4.1 on TCP 2049 only
SHARED_ROOT = "/shared"
ROOT_PERMISSIONS = "2775"
# EFS client actions (Service Authorization Reference, Amazon Elastic File System): mounting,
# and writing; never ClientRootAccess (the access point's POSIX user is never root).
MOUNT_ACTIONS = {"read": ["elasticfilesystem:ClientMount"],
                 "read-write": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]}


def mount_grant(ir: StackIR, conn: Connection) -> Grant:
    """What the mount's principal may do on the file system (through its access point only)."""
    return Grant(actions=list(MOUNT_ACTIONS[conn.mode or "read-write"]), resource=conn.target,
                 resource_kind="filesystem", mounted_by="csi-driver" if ir.platform == "eks" else "workload")


def access_points(env: EnvIR) -> None:
    """Decide the access point of every mount edge of the environment."""
    for fs in env.graph.components("filesystem"):
        edges = env.graph.users(fs.id)
        if not edges:
            continue
        owner = next((e for e in edges if e.mode == "read-write"), edges[0])
        first = resolved.workload(env.graph.component(owner.source)).run_as
        for edge in edges:
            user = resolved.workload(env.graph.component(edge.source)).run_as
            edge.access_point = AccessPoint(
                uid=user.user, gid=user.group, secondary_gids=[first.group] if first.group != user.group else [],
                root_directory=SHARED_ROOT, owner_uid=first.user, owner_gid=first.group, permissions=ROOT_PERMISSIONS)


def automatic_backups(ir: StackIR, env: EnvIR, comp: Component) -> bool:
    """EFS automatic backups (AWS Backup's default EFS plan: daily, 35 days) under soc2
    (IC-SOC2-001) and wherever the environment protects its data from deletion (large by default)."""
    return comp.kind == "filesystem" and ("soc2" in ir.compliance or env.settings.deletion_protection)
