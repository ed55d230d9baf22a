"""Traffic: Services, TargetGroupBindings for public services, and NetworkPolicies that follow `uses`."""
from __future__ import annotations

import json
from typing import Any

from infracc.backends.kubernetes import collector, meta
from infracc.backends.kubernetes.meta import Ctx
from infracc.backends.kubernetes.pods import POD_IDENTITY_AGENT_CIDR
from infracc.backends.kubernetes.workloads import preview_service, strategy
from infracc.compiler import naming, resolved
from infracc.compiler.ir import Component, Connection

NP_API = "networking.k8s.io/v1"
TGB_API = "elbv2.k8s.aws/v1beta1"  # AWS Load Balancer Controller
POD_IDENTITY_AGENT = POD_IDENTITY_AGENT_CIDR
METADATA = "169.254.169.254/32"  # the EC2 instance metadata service
WORKLOADS = ("service", "job")


def services(ctx: Ctx, component: Component) -> list[dict[str, Any]]:
    svc = resolved.service(component)
    if svc.port is None:
        return []
    names = [component.name]
    if strategy(component) == "blue-green" and not svc.stateful:
        names.append(preview_service(component))
    port = {"name": meta.port_name(component), "port": svc.port,
            "targetPort": meta.port_name(component), "protocol": "TCP"}
    if svc.protocol == "grpc":
        port["appProtocol"] = "grpc"
    return [meta.obj(ctx, "v1", "Service", name, component.kind, {"spec": {
        "type": "ClusterIP", "selector": meta.selector(component.name), "ports": [dict(port)]}})
        for name in names]


def target_group_binding(ctx: Ctx, component: Component) -> dict[str, Any] | None:
    """Public services join the load balancer Terraform creates (HTTPS, certificate, WAF, DNS or
    CloudFront live there, one truth with the ecs platform): the AWS Load Balancer Controller
    registers the Service's pod IPs in the target group it finds by name (controller ≥ 2.11).
    A public tcp service's target group is the network load balancer's (TCP, same name rule):
    the Service stays ClusterIP, no controller-made load balancer."""
    svc = resolved.service(component)
    if svc.public is None or component.endpoint is None:
        return None
    return meta.obj(ctx, TGB_API, "TargetGroupBinding", component.name, component.kind, {"spec": {
        "serviceRef": {"name": component.name, "port": meta.port_name(component)},
        "targetGroupName": naming.target_group(ctx.ir.name, ctx.env.name, component.name),
        "targetType": "ip",
    }})


def _policy(ctx: Ctx, name: str, component: str, spec: dict[str, Any]) -> dict[str, Any]:
    return meta.obj(ctx, NP_API, "NetworkPolicy", name, component, {"spec": spec})


def baseline_policies(ctx: Ctx) -> list[dict[str, Any]]:
    """Default deny for every pod of the namespace, and DNS to kube-system."""
    deny = _policy(ctx, "default-deny", "network", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    dns_peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    dns = _policy(ctx, "allow-dns", "network", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [dns_peer], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
    })
    return [deny, dns]


def _tcp(port: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port}]


def _egress(ctx: Ctx, edge: Connection) -> dict[str, Any] | None:
    rule = edge.network
    target = ctx.env.graph.get(edge.target)
    if rule is None or rule.port is None or target is None or target.kind == "filesystem":
        return None  # NFS to a file system leaves from the node: the EFS CSI driver mounts it
    if target.kind in WORKLOADS:
        return {"to": [{"podSelector": {"matchLabels": meta.selector(target.name)}}], "ports": _tcp(rule.port)}
    if rule.protocol == "aws-api":
        return {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(rule.port)}
    if rule.protocol == "external":
        # Any address outside the VPC on the external's port: a NetworkPolicy has no DNS names (FQDN
        # rules need a CNI such as Cilium, or AWS Network Firewall); the VPC itself and the instance
        # metadata service stay closed on this port.
        net = ctx.env.network
        assert net is not None
        return {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [net.cidr, METADATA]}}], "ports": _tcp(rule.port)}
    net = ctx.env.network
    assert net is not None
    cidrs = sorted(net.private_subnets + net.isolated_subnets)
    return {"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": _tcp(rule.port)}


def _ingress_rules(ctx: Ctx, component: Component) -> list[dict[str, Any]]:
    rules = []
    for edge in ctx.env.graph.users(component.id):
        source = ctx.env.graph.get(edge.source)
        if source is None or source.kind not in WORKLOADS or edge.network is None or edge.network.port is None:
            continue
        rules.append({"from": [{"podSelector": {"matchLabels": meta.selector(source.name)}}],
                      "ports": _tcp(edge.network.port)})
    public = resolved.public(component)
    port = resolved.service(component).port if component.kind == "service" else None
    if public is not None and port is not None and component.endpoint is not None:
        net, front = ctx.env.network, ctx.env.edge
        assert net is not None and front is not None
        # The load balancer's own subnets: public when internet-facing (the NLB always is),
        # private when the ALB is internal. Targets of type ip see the load balancer's address.
        internal = component.endpoint.balancer == "alb" and front.load_balancer == "internal"
        subnets = net.private_subnets if internal else net.public_subnets
        rules.append({"from": [{"ipBlock": {"cidr": c}} for c in subnets], "ports": _tcp(port)})
    return rules


def workload_policy(ctx: Ctx, component: Component) -> dict[str, Any]:
    """Allow exactly this workload's `uses` edges (egress) and its users (ingress)."""
    egress = [e for e in (_egress(ctx, edge) for edge in ctx.env.graph.uses(component.id)) if e]
    egress += collector.egress(ctx, component.name)
    if any(edge.grant is not None and edge.grant.mounted_by is None for edge in ctx.env.graph.uses(component.id)):
        egress.append({"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": _tcp(80)})
    unique = {json.dumps(e, sort_keys=True): e for e in egress}
    egress = [unique[k] for k in sorted(unique)]
    spec: dict[str, Any] = {
        # By name only: also the workload's migration pods (instance `<name>-migrate`).
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": component.name}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": _ingress_rules(ctx, component),
        "egress": egress,
    }
    return _policy(ctx, component.name, component.kind, spec)
