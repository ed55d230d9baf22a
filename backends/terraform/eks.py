"""platform: eks — private cluster (KMS secrets, control-plane logs), managed nodes, add-ons,
Pod Identity associations with each workload's least-privilege policy."""
from __future__ import annotations

from infracc.backends.terraform import iam
from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.compiler import decided, naming
from infracc.compiler.ir import Component
from infracc.compiler.passes.tracing import cluster_collector

CLUSTER_SG = "${aws_eks_cluster.cluster.vpc_config[0].cluster_security_group_id}"
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ADDONS = ("vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "amazon-cloudwatch-observability")


def cluster(ctx: Env) -> None:
    days = max(decided.retention(c).log_retention_days for c in ctx.env.graph.components("service", "job"))
    name = ctx.aws_name()
    logs = ctx.log_group("eks", f"/aws/eks/{name}/cluster", days)
    role = ctx.role("eks_cluster", "eks.amazonaws.com", managed=("AmazonEKSClusterPolicy",))
    # Private API endpoint only. CI reaches it from a self-hosted runner inside this VPC (labelled
    # with the cluster name: the `release-<env>` job, backends/ci/deploy.py and backends/ci/README.md);
    # Terraform itself needs only AWS APIs and runs on GitHub's runners. A public endpoint would have
    # to admit GitHub-hosted runners, which have no fixed addresses: `public_access_cidrs` would be
    # 0.0.0.0/0 (checkov CKV_AWS_38/39), for a cluster-admin credential path.
    eks = ctx.doc.resource("aws_eks_cluster", "cluster", {
        "name": name, "role_arn": role.ref("arn"),
        "vpc_config": {"subnet_ids": subnet_ids(ctx, "private"), "endpoint_private_access": True, "endpoint_public_access": False},
        "encryption_config": {"resources": ["secrets"], "provider": {"key_arn": ctx.parts["kms.env"].ref("arn")}},
        "enabled_cluster_log_types": LOG_TYPES, "access_config": {"authentication_mode": "API"},
        "depends_on": [logs.address]})
    ctx.parts["eks"] = eks
    nodes = _node_group(ctx, eks)
    for addon in ADDONS:
        ctx.doc.resource("aws_eks_addon", label("addon", addon), {
            "cluster_name": eks.ref("name"), "addon_name": addon, "resolve_conflicts_on_update": "OVERWRITE",
            **({"depends_on": [nodes.address]} if addon in ("coredns", "amazon-cloudwatch-observability") else {})})
    _ebs_csi_driver(ctx, eks, nodes)
    _efs_csi_driver(ctx, eks, nodes)
    controller = _secrets_controller(ctx, eks)
    roles = [_pod_identity(ctx, comp, eks, controller) for comp in ctx.env.graph.components("service", "job")]
    _collector_identity(ctx, eks)
    policy = ctx.policy_document("external_secrets_assume", [{
        "sid": "AssumeWorkloadRoles", "effect": "Allow", "actions": ["sts:AssumeRole"], "resources": roles}])
    ctx.doc.resource("aws_iam_role_policy", label("external_secrets", "policy"), {
        "name": "assume-workload-roles", "role": controller.ref("id"), "policy": policy.ref("json")})
    ctx.doc.output("eks_cluster_name", eks.ref("name"), "EKS cluster (CI deploys the Helm chart here)")


def _node_group(ctx: Env, eks: Block) -> Block:
    nodes = decided.nodes(ctx.env)
    role = ctx.role("eks_nodes", "ec2.amazonaws.com", managed=(
        "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"))
    # An off-hours schedule scales the group to 0 and back (backends/terraform/schedules.py).
    sched = ctx.env.levers.schedule if ctx.env.levers is not None else None
    ignored = ["scaling_config[0].desired_size"] + (["scaling_config[0].min_size"] if sched is not None and sched.nodes else [])
    ctx.parts["eks.nodes"] = ctx.doc.resource("aws_eks_node_group", "nodes", {
        "cluster_name": eks.ref("name"), "node_group_name": "default", "node_role_arn": role.ref("arn"),
        "subnet_ids": subnet_ids(ctx, "private"), "instance_types": [nodes.instance_type],
        "ami_type": "AL2023_ARM_64_STANDARD" if nodes.arch == "arm64" else "AL2023_x86_64_STANDARD",
        "capacity_type": "SPOT" if nodes.capacity == "spot" else "ON_DEMAND",
        "scaling_config": {"min_size": nodes.min_size, "max_size": nodes.max_size, "desired_size": nodes.min_size},
        "update_config": {"max_unavailable": 1}, "lifecycle": {"ignore_changes": ignored}})
    return ctx.parts["eks.nodes"]


def _ebs_csi_driver(ctx: Env, eks: Block, nodes: Block) -> None:
    """The EBS CSI driver add-on, for the StatefulSets' gp3 claims (the cost pass's decision): EKS
    clusters do not include it, and without it no claim is provisioned. Its controller's Pod
    Identity holds AWS's managed AmazonEBSCSIDriverPolicy."""
    if not any(decided.optimization(c).storage_type == "gp3" for c in ctx.env.graph.components("service")):
        return
    role = ctx.role("ebs_csi", "pods.eks.amazonaws.com", managed=("service-role/AmazonEBSCSIDriverPolicy",))
    namespace, account = naming.EBS_CSI_CONTROLLER
    identity = ctx.doc.resource("aws_eks_pod_identity_association", label("ebs_csi", "identity"), {
        "cluster_name": eks.ref("name"), "namespace": namespace, "service_account": account, "role_arn": role.ref("arn")})
    ctx.doc.resource("aws_eks_addon", label("addon", "aws-ebs-csi-driver"), {
        "cluster_name": eks.ref("name"), "addon_name": "aws-ebs-csi-driver", "resolve_conflicts_on_update": "OVERWRITE",
        "depends_on": [nodes.address, identity.address]})


def _efs_csi_driver(ctx: Env, eks: Block, nodes: Block) -> None:
    """The EFS CSI driver add-on, for the PersistentVolumes of the workloads' mounts: EKS clusters
    do not include it. Its node DaemonSet makes the NFS mounts with the `iam` option, so one Pod
    Identity role with AWS's managed AmazonEFSCSIDriverPolicy serves the controller and the node
    service accounts (add-on v3.0.0+; without it the node would mount as the EC2 instance role);
    the file system policies admit that role through the stack's access points only."""
    if not ctx.env.graph.components("filesystem"):
        return
    role = ctx.role("efs_csi", "pods.eks.amazonaws.com", managed=("service-role/AmazonEFSCSIDriverPolicy",))
    ctx.parts["role.efs_csi"] = role
    identities = [ctx.doc.resource("aws_eks_pod_identity_association", label("efs_csi", account.split("-")[2], "identity"), {
        "cluster_name": eks.ref("name"), "namespace": naming.EFS_CSI_NAMESPACE, "service_account": account,
        "role_arn": role.ref("arn")}) for account in naming.EFS_CSI_ACCOUNTS]
    ctx.doc.resource("aws_eks_addon", label("addon", "aws-efs-csi-driver"), {
        "cluster_name": eks.ref("name"), "addon_name": "aws-efs-csi-driver", "resolve_conflicts_on_update": "OVERWRITE",
        "depends_on": [nodes.address, *(i.address for i in identities)]})


def _secrets_controller(ctx: Env, eks: Block) -> Block:
    """External Secrets Operator's controller identity: it may only assume workload pod roles."""
    role = ctx.role("external_secrets", "pods.eks.amazonaws.com",
                    role_name=naming.secrets_controller_role(ctx.ir.name, ctx.name))
    namespace, account = naming.SECRETS_CONTROLLER
    ctx.doc.resource("aws_eks_pod_identity_association", label("external_secrets", "identity"), {
        "cluster_name": eks.ref("name"), "namespace": namespace, "service_account": account, "role_arn": role.ref("arn")})
    return role


def _pod_identity(ctx: Env, comp: Component, eks: Block, controller: Block) -> str:
    """The workload's Pod Identity role; External Secrets assumes it to read the workload's secrets."""
    n = label(comp.kind, comp.name)
    reads = iam.read_secrets_statements(ctx, comp, ("database", "cache", "bucket", "queue", "table", "function", "secret"))
    role = ctx.role(f"{n}_pod", "pods.eks.amazonaws.com", iam.workload_policy(ctx, comp, reads),
                    role_name=naming.pod_role(ctx.ir.name, ctx.name, comp.kind, comp.name),
                    assumed_by=(controller.ref("arn"),))
    ctx.parts[comp.id] = ctx.doc.resource("aws_eks_pod_identity_association", label(n, "identity"), {
        "cluster_name": eks.ref("name"), "namespace": naming.namespace(ctx.ir.name, ctx.name),
        "service_account": naming.service_account(comp.name), "role_arn": role.ref("arn")})
    return role.ref("arn")


def _collector_identity(ctx: Env, eks: Block) -> None:
    """The namespace's OpenTelemetry collector (tracing pass): its Pod Identity may only send
    traces, the X-Ray actions every traced workload shares (iam.tracing_statements)."""
    if not cluster_collector(ctx.env):
        return
    traced = next(c for c in ctx.env.graph.components("service", "job") if c.tracing and c.tracing.collector == "cluster")
    policy = ctx.policy_document("otel_collector_pod", iam.tracing_statements(traced))
    role = ctx.role("otel_collector_pod", "pods.eks.amazonaws.com", policy,
                    role_name=naming.pod_role(ctx.ir.name, ctx.name, "tracing", naming.OTEL_COLLECTOR))
    ctx.doc.resource("aws_eks_pod_identity_association", label("otel_collector", "identity"), {
        "cluster_name": eks.ref("name"), "namespace": naming.namespace(ctx.ir.name, ctx.name),
        "service_account": naming.service_account(naming.OTEL_COLLECTOR), "role_arn": role.ref("arn")})
