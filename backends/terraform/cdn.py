"""Static sites: private S3 origin behind CloudFront (origin access control, SPA fallback),
TLS 1.2+, a us-east-1 certificate and web ACL, access logs, Route 53 aliases."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import edge, keys
from infracc.backends.terraform.context import Env, json_text
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.storage import bucket_core, tls_only
from infracc.compiler import decided, resolved
from infracc.compiler.ir import Component

EDGE = "aws.us_east_1"  # CloudFront certificates and web ACLs live in us-east-1
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed cache policy "CachingDisabled"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
USE_ORIGIN_CACHE_CONTROL = "83da9c7e-98b4-4e11-a168-04f0df8e2c65"  # AWS managed cache policy
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # AWS managed origin request policy


def cdn_services(ctx: Env) -> list[Component]:
    """Public services with `cdn: true` behind the internet-facing load balancer (with `domain`)."""
    if not ctx.ir.domain:
        return []
    return [c for c in ctx.env.graph.components("service")
            if (p := resolved.public(c)) is not None and p.cdn and f"tg.{c.id}" in ctx.parts]


def origin_host(host: str) -> str:
    return f"origin.{host}"


def sites(ctx: Env) -> None:
    """Every CloudFront distribution: sites, `cdn` services (with `domain`), and without `domain`
    the one in front of the internal load balancer."""
    comps = ctx.env.graph.components("site") + cdn_services(ctx)
    app = ctx.env.edge is not None and ctx.env.edge.app_distribution and "alb" in ctx.parts
    if not comps and not app:
        return
    key = ctx.doc.resource("aws_kms_key", "kms_edge", {
        "provider": EDGE, "description": f"{ctx.aws_name()}: edge logs (us-east-1)", "enable_key_rotation": True,
        "deletion_window_in_days": 30, "policy": json_text(keys.key_policy(False, "us-east-1"))})
    ctx.parts["kms.edge"] = key
    acl = edge.web_acl(ctx, "cdn", "CLOUDFRONT", None, provider=EDGE, key=key)
    logs = bucket_core(ctx, "cdn_logs", ctx.aws_name("cdn-logs"), None, versioning=True,
                       skip=("IC-SKIP-011:CKV_AWS_145", "IC-SKIP-011:CKV2_AWS_65"), ownership="BucketOwnerPreferred")
    arn = logs.ref("arn")
    policy = ctx.policy_document("bucket_cdn_logs_policy", [tls_only([arn, f"{arn}/*"])])
    ctx.doc.resource("aws_s3_bucket_policy", "bucket_cdn_logs_policy", {"bucket": logs.ref("id"), "policy": policy.ref("json")})
    days = max(c.retention.log_retention_days for c in ctx.env.graph if c.retention)
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", "bucket_cdn_logs_lifecycle", {"bucket": logs.ref("id"), "rule": [{
        "id": "expire-logs", "status": "Enabled", "filter": {}, "expiration": {"days": days},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7}, "noncurrent_version_expiration": {"noncurrent_days": 30}}]})
    cert = edge.certificate(ctx, sorted(_host(ctx, c) for c in comps), name="cdn", provider=EDGE) if ctx.ir.domain and comps else None
    ctx.parts["headers"] = ctx.doc.resource("aws_cloudfront_response_headers_policy", "cdn_headers", {
        "name": ctx.aws_name("security-headers"), "comment": "HSTS and browser hardening headers",
        "security_headers_config": {
            "strict_transport_security": {"access_control_max_age_sec": 31536000, "include_subdomains": True,
                                          "preload": True, "override": True},
            "content_type_options": {"override": True}, "frame_options": {"frame_option": "DENY", "override": True},
            "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
            "xss_protection": {"mode_block": True, "protection": True, "override": True}}})
    for comp in comps:
        if comp.kind == "site":
            site(ctx, comp, acl, cert, logs)
        else:
            service(ctx, comp, acl, cert, logs)
    if app:
        app_distribution(ctx, acl, logs)


def _host(ctx: Env, comp: Component) -> str:
    return edge.hostname(ctx, comp)


def _distribution(ctx: Env, name: str, comment: str, acl: Block, cert: Block | None, logs: Block, origin: dict[str, Any],
                  behavior: dict[str, Any], extra: dict[str, Any], aliases: list[str], skip: tuple[str, ...], log_prefix: str) -> Block:
    viewer: dict[str, Any]
    if cert is not None:
        viewer = {"acm_certificate_arn": cert.ref("certificate_arn"), "ssl_support_method": "sni-only",
                  "minimum_protocol_version": "TLSv1.2_2021"}
    else:  # no domain: CloudFront's own *.cloudfront.net certificate
        viewer = {"cloudfront_default_certificate": True}
        skip += ("IC-SKIP-019",)
    return ctx.doc.resource("aws_cloudfront_distribution", name, {
        "enabled": True, "comment": comment, "aliases": aliases,
        "http_version": "http2and3", "is_ipv6_enabled": True, "price_class": "PriceClass_100", "web_acl_id": acl.ref("arn"),
        "origin": [origin],
        "default_cache_behavior": {"target_origin_id": origin["origin_id"], "viewer_protocol_policy": "redirect-to-https",
                                   "compress": True, "response_headers_policy_id": ctx.parts["headers"].ref("id"), **behavior},
        "viewer_certificate": viewer,
        "logging_config": {"bucket": logs.ref("bucket_domain_name"), "prefix": f"{log_prefix}/", "include_cookies": False},
        "restrictions": {"geo_restriction": {"restriction_type": "none", "locations": []}}, **extra},
        skip=("IC-SKIP-016",) + skip)


def _component_distribution(ctx: Env, comp: Component, acl: Block, cert: Block | None, logs: Block, origin: dict[str, Any],
                            behavior: dict[str, Any], extra: dict[str, Any]) -> Block:
    return _distribution(ctx, label(comp.kind, comp.name), f"{comp.kind} {comp.name}", acl, cert, logs, origin,
                         behavior, extra, [_host(ctx, comp)] if cert is not None else [],
                         ("IC-SKIP-017",) if comp.kind == "service" else (), comp.name)


def _alias(ctx: Env, comp: Component, dist: Block) -> None:
    if not ctx.ir.domain:
        return
    ctx.doc.resource("aws_route53_record", label(comp.kind, comp.name, "dns"), {
        "zone_id": edge.zone(ctx).ref("zone_id"), "name": _host(ctx, comp), "type": "A",
        "alias": {"name": dist.ref("domain_name"), "zone_id": CLOUDFRONT_ZONE, "evaluate_target_health": False}})


def app_distribution(ctx: Env, acl: Block, logs: Block) -> None:
    """No domain: one distribution serves every public service over HTTPS on its `*.cloudfront.net`
    name and reaches the internal load balancer through a VPC origin (the ALB routes by path).
    Nothing is cached unless a service asks for `cdn`, then the origin's Cache-Control decides."""
    alb = ctx.parts["alb"]
    vpc_origin = ctx.doc.resource("aws_cloudfront_vpc_origin", "alb", {"vpc_origin_endpoint_config": {
        "name": ctx.aws_name("alb"), "arn": alb.ref("arn"), "http_port": 80, "https_port": 443,
        "origin_protocol_policy": "http-only", "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1}}})
    origin = {"origin_id": "load-balancer", "domain_name": alb.ref("dns_name"),
              "vpc_origin_config": {"vpc_origin_id": vpc_origin.ref("id")}}
    every = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]

    def behavior(cdn: bool) -> dict[str, Any]:
        return {"allowed_methods": every, "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": USE_ORIGIN_CACHE_CONTROL if cdn else CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER}

    public = [c for c in ctx.env.graph.components("service") if c.endpoint is not None]
    root = next((c for c in public if edge.exposure(c).path.rstrip("/") == ""), None)
    ordered = []
    for comp in sorted(public, key=lambda c: (-len(decided.endpoint(c).path), c.name)):
        path = decided.endpoint(comp).path.rstrip("/")
        if not path:
            continue
        for pattern in (path, f"{path}/*"):
            ordered.append({"path_pattern": pattern, "target_origin_id": "load-balancer",
                            "viewer_protocol_policy": "redirect-to-https", "compress": True,
                            "response_headers_policy_id": ctx.parts["headers"].ref("id"),
                            **behavior(edge.exposure(comp).cdn)})
    extra = {"ordered_cache_behavior": ordered} if ordered else {}
    dist = _distribution(ctx, "app", f"{ctx.aws_name()}: public services", acl, None, logs, origin,
                         behavior(bool(root and edge.exposure(root).cdn)), extra, [], ("IC-SKIP-017",), "app")
    ctx.parts["distribution.app"] = dist


def service(ctx: Env, comp: Component, acl: Block, cert: Block | None, logs: Block) -> None:
    """CloudFront in front of the load balancer, reaching it over TLS at `origin.<host>`."""
    origin = {"origin_id": "load-balancer", "domain_name": origin_host(_host(ctx, comp)),
              "custom_origin_config": {"http_port": 80, "https_port": 443, "origin_protocol_policy": "https-only",
                                       "origin_ssl_protocols": ["TLSv1.2"]}}
    behavior = {"allowed_methods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                "cached_methods": ["GET", "HEAD"], "cache_policy_id": USE_ORIGIN_CACHE_CONTROL,
                "origin_request_policy_id": ALL_VIEWER}
    dist = _component_distribution(ctx, comp, acl, cert, logs, origin, behavior, {})
    _alias(ctx, comp, dist)
    ctx.doc.output(f"service_{comp.name}_distribution".replace("-", "_"), dist.ref("id"), f"CloudFront distribution of {comp.name}")


def site(ctx: Env, comp: Component, acl: Block, cert: Block | None, logs: Block) -> None:
    n = label("site", comp.name)
    content = bucket_core(ctx, f"site_{comp.name}", ctx.aws_name("site", comp.name), ctx.parts["kms.env"], versioning=True)
    oac = ctx.doc.resource("aws_cloudfront_origin_access_control", label(n, "oac"), {
        "name": ctx.aws_name("site", comp.name), "origin_access_control_origin_type": "s3",
        "signing_behavior": "always", "signing_protocol": "sigv4"})
    errors = [{"error_code": code, "response_code": 200, "response_page_path": "/index.html", "error_caching_min_ttl": 0}
              for code in (403, 404)] if resolved.site(comp).spa else []
    origin = {"origin_id": "content", "domain_name": content.ref("bucket_regional_domain_name"),
              "origin_access_control_id": oac.ref("id")}
    behavior = {"allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"], "cache_policy_id": CACHING_OPTIMIZED}
    dist = _component_distribution(ctx, comp, acl, cert, logs, origin, behavior,
                                   {"custom_error_response": errors, "default_root_object": "index.html"})
    ctx.parts[f"distribution.{comp.id}"] = dist
    arn = content.ref("arn")
    policy = ctx.policy_document(f"bucket_site_{comp.name}_policy", [tls_only([arn, f"{arn}/*"]), {
        "sid": "CloudFrontRead", "effect": "Allow", "actions": ["s3:GetObject"], "resources": [f"{arn}/*"],
        "principals": [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}],
        "condition": [{"test": "StringEquals", "variable": "aws:SourceArn", "values": [dist.ref("arn")]}]}])
    ctx.doc.resource("aws_s3_bucket_policy", label(n, "policy"), {"bucket": content.ref("id"), "policy": policy.ref("json")})
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", label(n, "lifecycle"), {"bucket": content.ref("id"), "rule": [{
        "id": "old-versions", "status": "Enabled", "filter": {}, "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {"noncurrent_days": 30}}]})
    _alias(ctx, comp, dist)
    ctx.doc.output(f"site_{comp.name}_bucket".replace("-", "_"), content.ref("bucket"), f"bucket CI uploads site {comp.name} to")
    ctx.doc.output(f"site_{comp.name}_distribution".replace("-", "_"), dist.ref("id"), f"CloudFront distribution of {comp.name} (invalidate after upload)")
