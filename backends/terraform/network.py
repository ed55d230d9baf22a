"""VPC per environment: subnet tiers (IC-SEC-004), NAT per the cost pass, flow logs, security groups."""
from __future__ import annotations

from infracc.backends.terraform.context import Env
from infracc.backends.terraform.model import label
from infracc.compiler import decided

TIERS = ("public", "private", "isolated")


def network(ctx: Env) -> None:
    net, doc = decided.network(ctx.env), ctx.doc
    vpc = doc.resource("aws_vpc", "vpc", {"cidr_block": net.cidr, "enable_dns_hostnames": True,
                                          "enable_dns_support": True, "tags": {"Name": ctx.aws_name()}})
    ctx.parts["vpc"] = vpc
    doc.resource("aws_default_security_group", "default_sg", {"vpc_id": vpc.ref("id")})
    zones = [f"{ctx.env.settings.region}{letter}" for letter in "abcdef"[:net.az_count]]
    azs = doc.data("aws_availability_zones", "available", {"state": "available", "filter": [{"name": "zone-name", "values": zones}]})
    cidrs = {"public": net.public_subnets, "private": net.private_subnets, "isolated": net.isolated_subnets}
    for tier in TIERS:
        for i, cidr in enumerate(cidrs[tier]):
            ctx.parts[f"subnet.{tier}.{i}"] = doc.resource("aws_subnet", label(tier, str(i)), {
                "vpc_id": vpc.ref("id"), "cidr_block": cidr, "map_public_ip_on_launch": False,
                "availability_zone": f"${{{azs.address}.names[{i}]}}",
                "tags": {"Name": ctx.aws_name(tier, str(i)), "tier": tier}})
    _routes(ctx)
    _flow_logs(ctx)


def subnet_ids(ctx: Env, tier: str) -> list[str]:
    return [ctx.parts[f"subnet.{tier}.{i}"].ref("id") for i in range(decided.network(ctx.env).az_count)]


def _routes(ctx: Env) -> None:
    net, doc, vpc = decided.network(ctx.env), ctx.doc, ctx.parts["vpc"]
    igw = doc.resource("aws_internet_gateway", "igw", {"vpc_id": vpc.ref("id")})
    public = doc.resource("aws_route_table", "public_rt", {"vpc_id": vpc.ref("id")})
    doc.resource("aws_route", "public_default", {"route_table_id": public.ref("id"), "destination_cidr_block": "0.0.0.0/0",
                                                 "gateway_id": igw.ref("id")})
    nats = []
    for i in range(net.nat_gateways):
        eip = doc.resource("aws_eip", label("nat", str(i), "eip"), {"domain": "vpc"})
        nats.append(doc.resource("aws_nat_gateway", label("nat", str(i)), {
            "allocation_id": eip.ref("id"), "subnet_id": ctx.parts[f"subnet.public.{i}"].ref("id"),
            "depends_on": [igw.address]}))
    tables = [public.ref("id")]
    for i in range(net.az_count):
        doc.resource("aws_route_table_association", label("public", str(i), "rta"), {
            "subnet_id": ctx.parts[f"subnet.public.{i}"].ref("id"), "route_table_id": public.ref("id")})
        private = doc.resource("aws_route_table", label("private", str(i), "rt"), {"vpc_id": vpc.ref("id")})
        if nats:
            doc.resource("aws_route", label("private", str(i), "default"), {
                "route_table_id": private.ref("id"), "destination_cidr_block": "0.0.0.0/0",
                "nat_gateway_id": nats[min(i, len(nats) - 1)].ref("id")})
        isolated = doc.resource("aws_route_table", label("isolated", str(i), "rt"), {"vpc_id": vpc.ref("id")})
        for tier, table in (("private", private), ("isolated", isolated)):
            doc.resource("aws_route_table_association", label(tier, str(i), "rta"), {
                "subnet_id": ctx.parts[f"subnet.{tier}.{i}"].ref("id"), "route_table_id": table.ref("id")})
        tables += [private.ref("id"), isolated.ref("id")]
    if net.s3_gateway_endpoint:
        doc.resource("aws_vpc_endpoint", "s3_endpoint", {
            "vpc_id": vpc.ref("id"), "service_name": "com.amazonaws.${data.aws_region.current.region}.s3",
            "vpc_endpoint_type": "Gateway", "route_table_ids": tables})
    if net.dynamodb_gateway_endpoint:  # table traffic from the private subnets skips NAT (free)
        doc.resource("aws_vpc_endpoint", "dynamodb_endpoint", {
            "vpc_id": vpc.ref("id"), "service_name": "com.amazonaws.${data.aws_region.current.region}.dynamodb",
            "vpc_endpoint_type": "Gateway", "route_table_ids": tables})
    _interface_endpoints(ctx)


def _interface_endpoints(ctx: Env) -> None:
    """Without NAT (`nat_gateway: false`), functions in the VPC reach the AWS APIs they call through
    interface endpoints in the private subnets (private DNS: the SDKs' default names resolve to
    them), admitted on 443 from inside the VPC only."""
    net, doc, vpc = decided.network(ctx.env), ctx.doc, ctx.parts["vpc"]
    if not net.interface_endpoints:
        return
    sg = doc.resource("aws_security_group", "sg_endpoints", {
        "name": ctx.aws_name("endpoints"), "description": "interface endpoints: HTTPS from inside the VPC",
        "vpc_id": vpc.ref("id"), "revoke_rules_on_delete": True})
    doc.resource("aws_security_group_rule", "endpoints_https_in", {
        "type": "ingress", "security_group_id": sg.ref("id"), "from_port": 443, "to_port": 443, "protocol": "tcp",
        "cidr_blocks": [net.cidr], "description": "HTTPS to the AWS API endpoints from the VPC"})
    for service in net.interface_endpoints:
        doc.resource("aws_vpc_endpoint", label("endpoint", service), {
            "vpc_id": vpc.ref("id"), "service_name": f"com.amazonaws.${{data.aws_region.current.region}}.{service}",
            "vpc_endpoint_type": "Interface", "private_dns_enabled": True,
            "subnet_ids": subnet_ids(ctx, "private"), "security_group_ids": [sg.ref("id")]})


def _flow_logs(ctx: Env) -> None:
    days = decided.network(ctx.env).flow_log_retention_days
    logs = ctx.log_group("flow", f"/aws/vpc/{ctx.aws_name()}/flow-logs", days,
                         skip=("IC-SKIP-009",) if days < 365 else ())
    policy = ctx.policy_document("flow_logs_write", [{
        "effect": "Allow", "actions": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "resources": [logs.ref("arn"), f"{logs.ref('arn')}:*"]}])
    role = ctx.role("flow_logs", "vpc-flow-logs.amazonaws.com", policy)
    ctx.doc.resource("aws_flow_log", "flow_log", {
        "vpc_id": ctx.parts["vpc"].ref("id"), "traffic_type": "ALL", "log_destination_type": "cloud-watch-logs",
        "log_destination": logs.ref("arn"), "iam_role_arn": role.ref("arn")})
