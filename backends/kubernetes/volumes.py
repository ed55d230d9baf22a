"""EFS mounts on eks: per workload and file system, a static PersistentVolume (EFS CSI driver,
volume handle `<fs-id>::<access-point-id>`, TLS and IAM) bound to one claim in the namespace.

The file system and access point ids exist only once Terraform has applied, so the manifests
carry a placeholder `${EFS_<WORKLOAD>_<FILESYSTEM>}` (naming.efs_handle_variable) that CI fills
from the Terraform output (naming.efs_handle_output): `envsubst` for these manifests, as for
`${IMAGE_TAG}`, and `--set-string persistentVolumes.<pv>.spec.csi.volumeHandle=…` for the chart.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.kubernetes import meta
from infracc.backends.kubernetes.meta import Ctx
from infracc.compiler import naming, resolved
from infracc.compiler.ir import Component

# Kubernetes requires a capacity on a PersistentVolume and a request on its claim; EFS is elastic
# and enforces neither (EFS CSI driver, static provisioning example).
NOMINAL_CAPACITY = "1Gi"


def volume_name(mount: resolved.Mount) -> str:
    """The pod volume of one mount."""
    return f"efs-{mount.filesystem}"


def persistent_volume_name(ctx: Ctx, component: Component, mount: resolved.Mount) -> str:
    """Cluster-scoped; the cluster is the environment's own."""
    return naming.efs_persistent_volume(ctx.ir.name, ctx.env.name, component.name, mount.filesystem)


def handle_placeholder(component: Component, mount: resolved.Mount) -> str:
    return "${" + naming.efs_handle_variable(component.name, mount.filesystem) + "}"


def claims(ctx: Ctx, component: Component) -> list[dict[str, Any]]:
    out = []
    for mount in resolved.workload(component).mounts:
        pv, claim = persistent_volume_name(ctx, component, mount), naming.efs_volume(component.name, mount.filesystem)
        modes = ["ReadOnlyMany"] if mount.read_only else ["ReadWriteMany"]
        out.append(meta.obj(ctx, "v1", "PersistentVolume", pv, "storage", {"spec": {
            "capacity": {"storage": NOMINAL_CAPACITY}, "volumeMode": "Filesystem", "accessModes": modes,
            "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "", "mountOptions": ["tls", "iam"],
            "claimRef": {"namespace": ctx.namespace, "name": claim},
            "csi": {"driver": naming.EFS_CSI_DRIVER, "volumeHandle": handle_placeholder(component, mount),
                    "readOnly": mount.read_only}}}, namespaced=False))
        out.append(meta.obj(ctx, "v1", "PersistentVolumeClaim", claim, component.kind, {"spec": {
            "accessModes": modes, "storageClassName": "", "volumeName": pv,
            "resources": {"requests": {"storage": NOMINAL_CAPACITY}}}}))
    return out


def pod_volumes(component: Component) -> list[dict[str, Any]]:
    return [{"name": volume_name(m), "persistentVolumeClaim": {
        "claimName": naming.efs_volume(component.name, m.filesystem), "readOnly": m.read_only}}
        for m in resolved.workload(component).mounts]


def volume_mounts(component: Component) -> list[dict[str, Any]]:
    return [{"name": volume_name(m), "mountPath": m.path, "readOnly": m.read_only}
            for m in resolved.workload(component).mounts]
