"""Public entry points: the ALB (HTTPS, redirect, access logs), ACM + Route 53, AWS WAF (IC-SEC-009)."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import firewall
from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.compiler import decided, naming, resolved
from infracc.compiler import library_data as lib
from infracc.compiler.ir import Component

MANAGED_RULES = lib.waf_rule_groups()  # library/inventory.json; the cost pass prices one rule each
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def hostname(ctx: Env, comp: Component) -> str:
    """The environment's host for a public service or site (endpoints pass; stacks with `domain`)."""
    assert comp.endpoint is not None and comp.endpoint.host is not None, f"{comp.id} has no host"
    return comp.endpoint.host


def load_balancer(ctx: Env) -> None:
    """The ALB of the environment's public services (ecs tasks or, on eks, pods bound through a
    TargetGroupBinding). With `domain`: internet-facing, HTTPS with an ACM certificate, a regional
    web ACL and DNS aliases. Without: internal, reached only by CloudFront through a VPC origin
    (cdn.py), which terminates TLS on its own `*.cloudfront.net` name."""
    public = firewall.public_services(ctx)
    if not public:
        return
    edge = ctx.env.edge
    assert edge is not None and edge.load_balancer != "none"
    internal = edge.load_balancer == "internal"
    firewall.alb_rules(ctx, internal)
    doc = ctx.doc
    protected = any(decided.retention(c).deletion_protection for c in public)
    lb = doc.resource("aws_lb", "alb", {
        "name": ctx.aws_name("alb")[:32], "load_balancer_type": "application", "internal": internal,
        "security_groups": [ctx.parts["sg.alb"].ref("id")], "subnets": subnet_ids(ctx, "private" if internal else "public"),
        "drop_invalid_header_fields": True, "desync_mitigation_mode": "strictest",
        "enable_deletion_protection": protected,
        "access_logs": {"bucket": ctx.parts["bucket.logs"].ref("id"), "prefix": "alb", "enabled": True}},
        skip=(() if protected else ("IC-SKIP-008:CKV_AWS_150",)) + (("IC-SKIP-018:CKV2_AWS_28", "IC-SKIP-018:CKV2_AWS_20")
                                                                  if internal else ()))
    ctx.parts["alb"] = lb
    if internal:
        listener = doc.resource("aws_lb_listener", "alb_http", {
            "load_balancer_arn": lb.ref("arn"), "port": 80, "protocol": "HTTP",
            "default_action": [_not_found()]}, skip=("IC-SKIP-018:CKV_AWS_2", "IC-SKIP-018:CKV_AWS_103"))
    else:
        cert = certificate(ctx, sorted({hostname(ctx, c) for c in public} | {f"origin.{h}" for h in cdn_hosts(public, ctx)}))
        listener = doc.resource("aws_lb_listener", "alb_https", {
            "load_balancer_arn": lb.ref("arn"), "port": 443, "protocol": "HTTPS", "ssl_policy": TLS_POLICY,
            "certificate_arn": cert.ref("certificate_arn"), "default_action": [_not_found()]})
        doc.resource("aws_lb_listener", "alb_http", {
            "load_balancer_arn": lb.ref("arn"), "port": 80, "protocol": "HTTP",
            "default_action": [{"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}}]})
    ctx.parts["listener.https"] = listener  # the routing listener: HTTPS, or HTTP behind CloudFront
    ordered = sorted(public, key=lambda c: (-len(exposure(c).path), c.name))
    for priority, comp in enumerate(ordered, start=1):
        _route(ctx, comp, listener, priority)
    if not internal:
        web_acl(ctx, "alb", "REGIONAL", lb.ref("arn"))
        for host in sorted({hostname(ctx, c) for c in public} - cdn_hosts(public, ctx) | {f"origin.{h}" for h in cdn_hosts(public, ctx)}):
            doc.resource("aws_route53_record", label("dns", host), {
                "zone_id": zone(ctx).ref("zone_id"), "name": host, "type": "A",
                "alias": {"name": lb.ref("dns_name"), "zone_id": lb.ref("zone_id"), "evaluate_target_health": True}})
    ctx.doc.output("load_balancer_dns", lb.ref("dns_name"),
                   "DNS name of the internal load balancer (reached through CloudFront)" if internal
                   else "public DNS name of the load balancer")


def _not_found() -> dict[str, Any]:
    return {"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "message_body": "not found", "status_code": "404"}}


def cdn_hosts(public: list[Component], ctx: Env) -> set[str]:
    """Hosts CloudFront answers for (their load-balancer origin is `origin.<host>`)."""
    return {hostname(ctx, c) for c in public if exposure(c).cdn}


def exposure(comp: Component) -> resolved.Exposure:
    """The exposure of a public service (the caller has found it public)."""
    public = resolved.public(comp)
    assert public is not None, f"{comp.id} is not public"
    return public


def traffic_shifting(ctx: Env, comp: Component) -> bool:
    """blue-green and canary shift traffic between two target groups (ECS native deployments;
    on eks, Argo Rollouts shifts pods behind the one target group instead)."""
    rollout = resolved.rollout(comp)
    return ctx.ir.platform == "ecs" and rollout is not None and rollout.shifts_traffic


def _target_group(ctx: Env, comp: Component, suffix: str) -> Block:
    spec = resolved.service(comp)
    probe = spec.probe
    # The load balancer checks HTTP; an exec probe (checked by ECS) leaves it at `/`.
    health = probe.path if probe.kind == "http" and probe.path else "/"
    name = naming.target_group(ctx.ir.name, ctx.name, comp.name, suffix)
    return ctx.doc.resource("aws_lb_target_group", label("service", comp.name, "tg", suffix.strip("-")), {
        "name": name, "port": spec.port, "protocol": "HTTP", "target_type": "ip",
        "vpc_id": ctx.parts["vpc"].ref("id"), "deregistration_delay": "30",
        "health_check": {"enabled": True, "path": health, "matcher": "200-399", "interval": probe.interval_seconds,
                         "timeout": probe.timeout_seconds, "healthy_threshold": probe.healthy_threshold,
                         "unhealthy_threshold": probe.unhealthy_threshold}},
        skip=("IC-SKIP-010",))


def _route(ctx: Env, comp: Component, https: Block, priority: int) -> None:
    n = label("service", comp.name)
    tg = _target_group(ctx, comp, "")
    ctx.parts[f"tg.{comp.id}"] = tg
    forward: dict[str, Any] = {"type": "forward", "target_group_arn": tg.ref("arn")}
    if traffic_shifting(ctx, comp):
        alt = _target_group(ctx, comp, "-g")
        ctx.parts[f"tg.alt.{comp.id}"] = alt
        forward = {"type": "forward", "forward": {"target_group": [{"arn": tg.ref("arn"), "weight": 100},
                                                                   {"arn": alt.ref("arn"), "weight": 0}]}}
    path = exposure(comp).path.rstrip("/")
    conditions = [{"host_header": {"values": [hostname(ctx, comp)]}}] if ctx.ir.domain else []
    if path:
        conditions.append({"path_pattern": {"values": [path, f"{path}/*"]}})
    elif not conditions:  # no host to match without a domain: the root service takes every path
        conditions.append({"path_pattern": {"values": ["/*"]}})
    rule = {"listener_arn": https.ref("arn"), "priority": priority, "action": [forward], "condition": conditions}
    if traffic_shifting(ctx, comp):
        rule["lifecycle"] = {"ignore_changes": ["action"]}  # ECS moves the weights during deployments
    ctx.parts[f"rule.{comp.id}"] = ctx.doc.resource("aws_lb_listener_rule", label(n, "rule"), rule)


def zone(ctx: Env) -> Block:
    if "zone" not in ctx.parts:
        ctx.parts["zone"] = ctx.doc.data("aws_route53_zone", "zone", {"name": ctx.ir.domain, "private_zone": False})
    return ctx.parts["zone"]


def certificate(ctx: Env, hosts: list[str], name: str = "alb", provider: str | None = None) -> Block:
    """An ACM certificate validated through Route 53 DNS records."""
    attrs = {"domain_name": hosts[0], "subject_alternative_names": hosts[1:], "validation_method": "DNS",
             "lifecycle": {"create_before_destroy": True}}
    if provider:
        attrs["provider"] = provider
    cert = ctx.doc.resource("aws_acm_certificate", label("cert", name), attrs)
    records = ctx.doc.resource("aws_route53_record", label("cert", name, "validation"), {
        "for_each": f"${{{{for o in {cert.address}.domain_validation_options : o.domain_name => o}}}}",
        "zone_id": zone(ctx).ref("zone_id"), "name": "${each.value.resource_record_name}",
        "type": "${each.value.resource_record_type}", "records": ["${each.value.resource_record_value}"],
        "ttl": 300, "allow_overwrite": True})
    valid = {"certificate_arn": cert.ref("arn"), "validation_record_fqdns": f"${{[for r in {records.address} : r.fqdn]}}"}
    if provider:
        valid["provider"] = provider
    return ctx.doc.resource("aws_acm_certificate_validation", label("cert", name, "valid"), valid)


def web_acl(ctx: Env, name: str, scope: str, target_arn: str | None, provider: str | None = None,
            key: Block | None = None) -> Block:
    """AWS managed rule groups + logging; associated with a regional resource when given."""
    rules = [{"name": group, "priority": i, "override_action": {"none": {}},
              "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
              "visibility_config": {"cloudwatch_metrics_enabled": True, "metric_name": group, "sampled_requests_enabled": True}}
             for i, group in enumerate(MANAGED_RULES)]
    extra = {"provider": provider} if provider else {}
    days = max(c.retention.log_retention_days for c in ctx.env.graph if c.retention)
    acl = ctx.doc.resource("aws_wafv2_web_acl", label("waf", name), {
        "name": ctx.aws_name(name), "scope": scope, "default_action": {"allow": {}}, "rule": rules,
        "visibility_config": {"cloudwatch_metrics_enabled": True, "metric_name": ctx.aws_name(name), "sampled_requests_enabled": True},
        **extra})
    logs = ctx.doc.resource("aws_cloudwatch_log_group", label("waf", name, "logs"), {
        "name": f"aws-waf-logs-{ctx.aws_name(name)}", "retention_in_days": days,
        "kms_key_id": (key or ctx.parts["kms.env"]).ref("arn"), **extra}, skip=("IC-SKIP-015",) if days < 365 else ())
    ctx.doc.resource("aws_wafv2_web_acl_logging_configuration", label("waf", name, "logging"), {
        "resource_arn": acl.ref("arn"), "log_destination_configs": [logs.ref("arn")], **extra})
    if target_arn:
        ctx.doc.resource("aws_wafv2_web_acl_association", label("waf", name, "association"), {
            "resource_arn": target_arn, "web_acl_arn": acl.ref("arn")})
    return acl
