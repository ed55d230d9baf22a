"""Security groups with exactly the rules the security pass derived (IC-SEC-006)."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.compiler import resolved
from infracc.compiler.ir import Component

CLUSTER_SG = "${aws_eks_cluster.cluster.vpc_config[0].cluster_security_group_id}"
# Components that live in the VPC and therefore get a security group.
IN_VPC = ("service", "job", "database", "cache", "filesystem")


def has_group(ctx: Env, comp: Component) -> bool:
    if comp.kind in ("service", "job") and ctx.ir.platform != "ecs":
        return False  # on eks, pods share the cluster security group; NetworkPolicies separate them
    if comp.kind == "function":
        return in_vpc(ctx, comp)
    return comp.kind in IN_VPC


def in_vpc(ctx: Env, comp: Component) -> bool:
    """A function joins the VPC when it uses a private store (database or cache)."""
    return any(c.target.split(".")[0] in ("database", "cache") for c in ctx.env.graph.uses(comp.id))


def groups(ctx: Env) -> None:
    for comp in ctx.env.graph:
        if has_group(ctx, comp):
            skip = ("IC-SKIP-005",) if comp.kind == "job" else ()
            ctx.parts[f"sg.{comp.id}"] = _group(ctx, comp.id, f"{comp.kind} {comp.name}", skip)
    if public_services(ctx):
        ctx.parts["sg.alb"] = _group(ctx, "alb", "application load balancer of the public services")
    if nlb_services(ctx):
        ctx.parts["sg.nlb"] = _group(ctx, "nlb", "network load balancer of the public tcp services")
    pods_in: set[tuple[str, int | None]] = set()  # eks: one rule per store and port admits every pod
    for conn in ctx.env.graph.connections():
        rule = conn.network
        if rule is None or rule.protocol != "tcp":
            continue
        source, target = ctx.parts.get(f"sg.{conn.source}"), ctx.parts.get(f"sg.{conn.target}")
        name = label(conn.source.split(".")[1], "to", conn.target.split(".")[1])
        if target is not None and source is None and ctx.ir.platform == "eks" and conn.source.split(".")[0] in ("service", "job"):
            # Pods (and the nodes, which make EFS mounts) share the cluster security group: a second
            # identical rule for another workload would be refused by EC2 (InvalidPermission.Duplicate).
            if (conn.target, rule.port) not in pods_in:
                pods_in.add((conn.target, rule.port))
                users = sorted(c.source for c in ctx.env.graph.users(conn.target)
                               if c.network is not None and c.network.port == rule.port)
                _rule(ctx, label("pods", "to", conn.target.split(".")[1], "in"), "ingress", target, rule.port,
                      f"{', '.join(users)} (cluster security group) to {conn.target}", cluster_sg=True)
            continue
        if source is None or target is None:
            continue
        _rule(ctx, f"{name}_in", "ingress", target, rule.port, rule.description, source_sg=source)
        _rule(ctx, f"{name}_out", "egress", source, rule.port, rule.description, source_sg=target)
    for comp in ctx.env.graph.components("service", "job", "function"):
        group = ctx.parts.get(f"sg.{comp.id}")
        if group is not None:
            _rule(ctx, label(comp.name, comp.kind, "https_out"), "egress", group, 443,
                  "AWS APIs, image registry and Secrets Manager over TLS", cidr="0.0.0.0/0")
            _external_rules(ctx, comp, group)


def external_ports(ctx: Env, comp: Component) -> dict[int, list[str]]:
    """Ports of the externals a workload uses → their names. A security group filters by address
    range and port, never by DNS name, so each becomes a rule to 0.0.0.0/0 on that port; 443 is
    already open to 0.0.0.0/0 for the AWS APIs (the rule above), so it adds nothing."""
    out: dict[int, list[str]] = {}
    for conn in ctx.env.graph.uses(comp.id):
        rule = conn.network
        if rule is not None and rule.protocol == "external" and rule.port is not None:
            out.setdefault(rule.port, []).append(conn.target.split(".", 1)[1])
    return dict(sorted(out.items()))


def _external_rules(ctx: Env, comp: Component, group: Block) -> None:
    for port, names in external_ports(ctx, comp).items():
        if port == 443:
            continue
        _rule(ctx, label(comp.name, comp.kind, "external", str(port), "out"), "egress", group, port,
              f"external {', '.join(names)} (any address: not filtered by name)", cidr="0.0.0.0/0")


def public_services(ctx: Env) -> list[Component]:
    """Public services behind the application load balancer (http and grpc)."""
    return [c for c in ctx.env.graph.components("service") if c.endpoint is not None and c.endpoint.balancer == "alb"]


def nlb_services(ctx: Env) -> list[Component]:
    """Public tcp services behind the network load balancer (the endpoints pass decides which)."""
    return [c for c in ctx.env.graph.components("service") if c.endpoint is not None and c.endpoint.balancer == "nlb"]


def _port(comp: Component) -> int:
    port = resolved.service(comp).port
    assert port is not None, f"{comp.id} has no port"
    return port


def _group(ctx: Env, id_: str, what: str, skip: tuple[str, ...] = ()) -> Block:
    name = id_.replace(".", "-")
    return ctx.doc.resource("aws_security_group", label("sg", name), {
        "name": ctx.aws_name(name), "description": f"{what} (default deny; rules follow `uses`)",
        "vpc_id": ctx.parts["vpc"].ref("id"), "revoke_rules_on_delete": True}, skip=skip)


def _rule(ctx: Env, name: str, direction: str, group: Block, port: int | None, description: str,
          source_sg: Block | None = None, cidr: str | None = None, skip: tuple[str, ...] = (),
          cluster_sg: bool = False) -> Block:
    # `port` is None for a `uses` of a service without a port (NetworkRule.port): the rule is then
    # written without from_port/to_port, which Terraform refuses. Known gap, kept as it is here.
    attrs: dict[str, Any] = {"type": direction, "security_group_id": group.ref("id"), "from_port": port, "to_port": port,
             "protocol": "tcp", "description": description}
    if source_sg is not None:
        attrs["source_security_group_id"] = source_sg.ref("id")
    if cluster_sg:  # pods on eks
        attrs["source_security_group_id"] = CLUSTER_SG
    if cidr is not None:
        attrs["cidr_blocks"] = [cidr]
    return ctx.doc.resource("aws_security_group_rule", label("rule", name), attrs, skip=skip)


VPC_ORIGIN_SG = "CloudFront-VPCOrigins-Service-SG"  # created by CloudFront, one per VPC with a VPC origin


def alb_rules(ctx: Env, internal: bool) -> None:
    alb = ctx.parts["sg.alb"]
    if internal:
        # Only CloudFront's VPC-origin network interfaces (their service-managed security group,
        # which exists once the VPC origin does) reach the internal load balancer.
        origin = ctx.doc.data("aws_security_group", "cloudfront_vpc_origin", {
            "name": VPC_ORIGIN_SG, "vpc_id": ctx.parts["vpc"].ref("id"), "depends_on": ["aws_cloudfront_vpc_origin.alb"]})
        ctx.doc.resource("aws_security_group_rule", "rule_alb_http_in", {
            "type": "ingress", "security_group_id": alb.ref("id"), "from_port": 80, "to_port": 80, "protocol": "tcp",
            "source_security_group_id": origin.ref("id"), "description": "CloudFront VPC origin to the internal load balancer"})
    else:
        _rule(ctx, "alb_https_in", "ingress", alb, 443, "HTTPS from the internet", cidr="0.0.0.0/0")
        _rule(ctx, "alb_http_in", "ingress", alb, 80, "HTTP from the internet, redirected to HTTPS", cidr="0.0.0.0/0",
              skip=("IC-SKIP-003",))
    for comp in public_services(ctx):
        port = _port(comp)
        if ctx.ir.platform == "eks":  # pods share the cluster security group
            _rule(ctx, label("alb_to", comp.name, "out"), "egress", alb, port, f"load balancer to {comp.name}", cluster_sg=True)
            ctx.doc.resource("aws_security_group_rule", label("rule", "alb_to", comp.name, "in"), {
                "type": "ingress", "security_group_id": CLUSTER_SG, "from_port": port, "to_port": port, "protocol": "tcp",
                "source_security_group_id": alb.ref("id"), "description": f"load balancer to {comp.name} pods"})
            continue
        target = ctx.parts[f"sg.{comp.id}"]
        _rule(ctx, label("alb_to", comp.name, "out"), "egress", alb, port,
              f"load balancer to {comp.name}", source_sg=target)
        _rule(ctx, label("alb_to", comp.name, "in"), "ingress", target, port,
              f"load balancer to {comp.name}", source_sg=alb)


def nlb_rules(ctx: Env) -> None:
    """The network load balancer admits each public tcp service's port from the internet and
    reaches only that service (its tasks' security group, or on eks the pods' cluster group)
    on that port, for traffic and health checks alike."""
    nlb = ctx.parts["sg.nlb"]
    for comp in nlb_services(ctx):
        port = _port(comp)
        _rule(ctx, label("nlb", comp.name, "in"), "ingress", nlb, port, f"{comp.name} (tcp) from the internet",
              cidr="0.0.0.0/0", skip=("IC-SKIP-020",))
        if ctx.ir.platform == "eks":
            _rule(ctx, label("nlb_to", comp.name, "out"), "egress", nlb, port, f"network load balancer to {comp.name}",
                  cluster_sg=True)
            ctx.doc.resource("aws_security_group_rule", label("rule", "nlb_to", comp.name, "in"), {
                "type": "ingress", "security_group_id": CLUSTER_SG, "from_port": port, "to_port": port, "protocol": "tcp",
                "source_security_group_id": nlb.ref("id"), "description": f"network load balancer to {comp.name} pods"})
            continue
        target = ctx.parts[f"sg.{comp.id}"]
        _rule(ctx, label("nlb_to", comp.name, "out"), "egress", nlb, port, f"network load balancer to {comp.name}",
              source_sg=target)
        _rule(ctx, label("nlb_to", comp.name, "in"), "ingress", target, port, f"network load balancer to {comp.name}",
              source_sg=nlb)
