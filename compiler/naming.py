"""Stable names shared by every backend, derived only from names in the spec.

A name here is a contract between backends (Terraform creates a secret, Kubernetes'
ExternalSecret and ECS read it; CI pushes the image Terraform's ECR repository holds), so
backends call these functions instead of formatting names themselves. Changing one renames
real resources: treat it as a breaking change.

>>> secret_name("shop", "prod", "api", "STRIPE_KEY")
'shop/prod/api/STRIPE_KEY'
"""
from __future__ import annotations


def prefix(stack: str, env: str) -> str:
    """Resource name prefix for one environment: ``shop-prod``."""
    return f"{stack}-{env}"


def resource(stack: str, env: str, component: str, suffix: str = "") -> str:
    """AWS resource name: ``shop-prod-api`` (+ ``-suffix``)."""
    return "-".join(p for p in (stack, env, component, suffix) if p)


def namespace(stack: str, env: str) -> str:
    """Kubernetes namespace of an environment."""
    return f"{stack}-{env}"


def service_account(component: str) -> str:
    return component


def pod_role(stack: str, env: str, kind: str, component: str) -> str:
    """IAM role of a workload on eks: its Pod Identity role, also assumed by External Secrets
    to read that workload's secrets (SecretStore `role`)."""
    return resource(stack, env, f"{kind}-{component}", "pod")


def secrets_controller_role(stack: str, env: str) -> str:
    """IAM role of the External Secrets Operator controller (Pod Identity of
    `external-secrets/external-secrets`); it may only assume the workloads' pod roles."""
    return resource(stack, env, "external-secrets")


# Where the External Secrets Operator's controller runs (its Helm chart's defaults).
SECRETS_CONTROLLER = ("external-secrets", "external-secrets")
# eks: the namespace's OpenTelemetry collector (Deployment, Service, ServiceAccount, ConfigMap) and
# the ECS sidecar container: one name, so `OTEL_EXPORTER_OTLP_ENDPOINT` and the runbook agree.
OTEL_COLLECTOR = "otel-collector"
# Where the EBS CSI driver's controller runs (the `aws-ebs-csi-driver` EKS add-on's service account).
EBS_CSI_CONTROLLER = ("kube-system", "ebs-csi-controller-sa")
# The EFS CSI driver's service accounts (the `aws-efs-csi-driver` EKS add-on): the controller,
# and the node DaemonSet that makes the NFS mounts (add-on v3.0.0+ takes a Pod Identity for both).
EFS_CSI_NAMESPACE = "kube-system"
EFS_CSI_ACCOUNTS = ("efs-csi-controller-sa", "efs-csi-node-sa")
EFS_CSI_DRIVER = "efs.csi.aws.com"


def efs_handle_output(workload: str, filesystem: str) -> str:
    """Terraform output holding the CSI volume handle `<fs-id>::<access-point-id>` of one mount."""
    return f"efs_{workload}_{filesystem}_volume_handle".replace("-", "_")


def efs_volume(workload: str, filesystem: str) -> str:
    """Name of the PersistentVolume and of the claim of one workload's mount: at most 63
    characters (two component names of 31 and a dash), as the object's own name label must be.
    PersistentVolumes are cluster-scoped; every environment has a cluster of its own."""
    return f"{workload}-{filesystem}"


def efs_persistent_volume(stack: str, env: str, workload: str, filesystem: str) -> str:
    """The PersistentVolume of one mount (cluster-scoped; the cluster is the environment's)."""
    return efs_volume(workload, filesystem)


def efs_handle_variable(workload: str, filesystem: str) -> str:
    """Shell variable CI fills from the Terraform output and substitutes into plain manifests."""
    return f"EFS_{workload}_{filesystem}".upper().replace("-", "_")


# The StorageClass of stateful services' volumes on eks (EBS CSI driver, gp3, encrypted).
GP3_STORAGE_CLASS = "infracc-gp3"


def secret_name(stack: str, env: str, component: str, variable: str) -> str:
    """Secrets Manager name of a declared secret (`secrets:` entry) of one workload."""
    return f"{stack}/{env}/{component}/{variable}"


def connection_secret(stack: str, env: str, store: str) -> str:
    """Secrets Manager name holding a database/cache connection (JSON: host, port, username, password, url…)."""
    return f"{stack}/{env}/{store}/connection"


def shared_secret(stack: str, env: str, name: str) -> str:
    """Secrets Manager name of a stack-level shared secret (`secrets:`), JSON `{"value": ...}`."""
    return f"{stack}/{env}/_shared/{name}"  # `_`: never a component name


def stored_secret(stack: str, env: str, kind: str, name: str) -> str:
    """The Secrets Manager name of the JSON secret a used component's outputs are read from:
    a shared secret's own, or a store's connection secret."""
    return shared_secret(stack, env, name) if kind == "secret" else connection_secret(stack, env, name)


def image_repository(stack: str, workload: str) -> str:
    """ECR repository of a built workload (shared by all environments)."""
    return f"{stack}/{workload}"


def kms_alias(stack: str, env: str, store: str | None = None) -> str:
    return f"alias/{stack}-{env}" + (f"-{store}" if store else "")


def state_bucket(stack: str, account_hint: str = "") -> str:
    """Terraform state bucket (bootstrapped once per account)."""
    return f"{stack}-tfstate" + (f"-{account_hint}" if account_hint else "")


def target_group(stack: str, env: str, service: str, suffix: str = "") -> str:
    """Load-balancer target group of a public service (≤ 32 characters; `-g` for the green one).

    The Kubernetes TargetGroupBinding finds it by this name, so Terraform and the manifests agree.
    """
    return resource(stack, env, service)[: 32 - len(suffix)] + suffix


def config_rule(stack: str, env: str, identifier: str) -> str:
    """An AWS Config rule's name: unique per account and region (two environments may share one),
    at most 128 characters: `shop-prod-rds-storage-encrypted`."""
    return f"{stack}-{env}-{identifier.lower().replace('_', '-')}"[:128]
