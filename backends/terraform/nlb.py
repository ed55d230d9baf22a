"""The Network Load Balancer of an environment's public tcp services (the endpoints pass's
`Edge.network_load_balancer`): internet-facing in the public subnets, cross-zone, one listener
per service port forwarding to the service's target group (target type ip: ECS tasks, or on eks
pods registered through a TargetGroupBinding). With a stack `domain` each listener terminates
TLS with the ACM certificate of the service's host and Route 53 aliases the host; without one it
forwards plain TCP on the load balancer's own AWS name (IC-SEC-002 then needs an allowance).
No CloudFront and no AWS WAF: neither carries raw TCP (IC-SEC-009 needs an allowance)."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import edge, firewall
from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.compiler import decided, naming, resolved
from infracc.compiler.ir import Component

# TLS 1.3 with TLS 1.2 fallback, the policy the ALB uses (edge.TLS_POLICY).
TLS_POLICY = edge.TLS_POLICY
NLB_LOG_PREFIX = "nlb"


def network_load_balancer(ctx: Env) -> None:
    services = firewall.nlb_services(ctx)
    if not services:
        return
    doc = ctx.doc
    protected = any(decided.retention(c).deletion_protection for c in services)
    tls = all(decided.endpoint(c).tls for c in services)
    firewall.nlb_rules(ctx)
    # Access logs record TLS connections only (an NLB writes none for plain TCP listeners).
    lb = doc.resource("aws_lb", "nlb", {
        "name": ctx.aws_name("nlb")[:32], "load_balancer_type": "network", "internal": False,
        "security_groups": [ctx.parts["sg.nlb"].ref("id")], "subnets": subnet_ids(ctx, "public"),
        "enable_cross_zone_load_balancing": True, "enable_deletion_protection": protected,
        "access_logs": {"bucket": ctx.parts["bucket.logs"].ref("id"), "prefix": NLB_LOG_PREFIX, "enabled": True},
        "depends_on": ["aws_s3_bucket_policy.logs_policy"]},
        skip=() if protected else ("IC-SKIP-008:CKV_AWS_150",))
    ctx.parts["nlb"] = lb
    cert = certificate(ctx, services) if tls and ctx.ir.domain else None
    for comp in sorted(services, key=lambda c: c.name):
        _listener(ctx, comp, lb, cert)
    ctx.doc.output("network_load_balancer_dns", lb.ref("dns_name"),
                   "public DNS name of the network load balancer (public tcp services)")


def certificate(ctx: Env, services: list[Component]) -> Block:
    """One ACM certificate for the hosts of the tcp services (DNS-validated in the stack's zone)."""
    hosts = sorted({edge.hostname(ctx, c) for c in services})
    return edge.certificate(ctx, hosts, name="nlb")


def target_group(ctx: Env, comp: Component) -> Block:
    """TCP to the tasks/pods on the service port; the health check is TCP (a connect), or HTTP on
    the same port when the service declares a health path."""
    spec = resolved.service(comp)
    probe = spec.probe
    check: dict[str, Any] = {"enabled": True, "protocol": "TCP", "interval": probe.interval_seconds,
                             "timeout": probe.timeout_seconds, "healthy_threshold": probe.healthy_threshold,
                             "unhealthy_threshold": probe.unhealthy_threshold}
    if probe.kind == "http":
        check.update({"protocol": "HTTP", "path": probe.path or "/", "matcher": "200-399"})
    tg = ctx.doc.resource("aws_lb_target_group", label("service", comp.name, "tg"), {
        "name": naming.target_group(ctx.ir.name, ctx.name, comp.name), "port": spec.port, "protocol": "TCP",
        "target_type": "ip", "vpc_id": ctx.parts["vpc"].ref("id"), "deregistration_delay": "30",
        # The targets see the load balancer's own address (the default for ip targets, said here):
        # their security group admits the NLB's group, and the pods' NetworkPolicy its subnets.
        "preserve_client_ip": "false", "connection_termination": True, "health_check": check})
    ctx.parts[f"tg.{comp.id}"] = tg
    return tg


def _listener(ctx: Env, comp: Component, lb: Block, cert: Block | None) -> None:
    ep = decided.endpoint(comp)
    assert ep.port is not None, f"{comp.id}: an nlb endpoint has a port"
    tg = target_group(ctx, comp)
    attrs: dict[str, Any] = {"load_balancer_arn": lb.ref("arn"), "port": ep.port,
                             "default_action": [{"type": "forward", "target_group_arn": tg.ref("arn")}]}
    if cert is not None:
        attrs.update({"protocol": "TLS", "ssl_policy": TLS_POLICY, "certificate_arn": cert.ref("certificate_arn")})
    else:
        attrs["protocol"] = "TCP"
    listener = ctx.doc.resource("aws_lb_listener", label("nlb", comp.name), attrs)
    ctx.parts[f"listener.{comp.id}"] = listener
    if ep.host is not None:
        ctx.doc.resource("aws_route53_record", label("dns", ep.host), {
            "zone_id": edge.zone(ctx).ref("zone_id"), "name": ep.host, "type": "A",
            "alias": {"name": lb.ref("dns_name"), "zone_id": lb.ref("zone_id"), "evaluate_target_health": True}})
