"""S3 buckets (with the environment's log bucket) and SQS queues with dead-letter queues."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform import stores
from infracc.backends.terraform.context import ACCOUNT, PARTITION, REGION, Env, json_text
from infracc.backends.terraform.model import Block, label
from infracc.compiler import resolved
from infracc.compiler.ir import Component


def tls_only(resources: list[str]) -> dict[str, Any]:
    """Deny every request that does not use TLS (IC-SEC-002)."""
    return {"sid": "DenyInsecureTransport", "effect": "Deny", "actions": ["s3:*"], "resources": resources,
            "principals": [{"type": "*", "identifiers": ["*"]}],
            "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}


def log_bucket(ctx: Env) -> Block:
    """Access logs of buckets and the load balancer (ELB log delivery supports only SSE-S3)."""
    b = bucket_core(ctx, "logs", ctx.aws_name("logs"), None, versioning=True, skip=("IC-SKIP-001", "IC-SKIP-021"))
    arn = b.ref("arn")
    policy = ctx.policy_document("logs_bucket_policy", [
        tls_only([arn, f"{arn}/*"]),
        {"sid": "S3ServerAccessLogs", "effect": "Allow", "actions": ["s3:PutObject"], "resources": [f"{arn}/s3/*"],
         "principals": [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}],
         "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}]},
        {"sid": "LoadBalancerLogs", "effect": "Allow", "actions": ["s3:PutObject"], "resources": [f"{arn}/alb/*"],
         "principals": [{"type": "AWS", "identifiers": ["${data.aws_elb_service_account.main.arn}"]}]},
        *(_nlb_log_delivery(arn) if ctx.env.edge is not None and ctx.env.edge.network_load_balancer else []),
    ])
    ctx.doc.data("aws_elb_service_account", "main", {})
    ctx.doc.resource("aws_s3_bucket_policy", "logs_policy", {"bucket": b.ref("id"), "policy": policy.ref("json")})
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", "logs_lifecycle", {"bucket": b.ref("id"), "rule": [{
        "id": "expire-logs", "status": "Enabled", "filter": {},
        "expiration": {"days": max(c.retention.log_retention_days for c in ctx.env.graph if c.retention) if len(ctx.env.graph) else 365},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {"noncurrent_days": 30}}]})
    ctx.parts["bucket.logs"] = b
    return b


def _nlb_log_delivery(arn: str) -> list[dict[str, Any]]:
    """The network load balancer delivers its (TLS) access logs through the log delivery service,
    scoped to this account's log sources (Elastic Load Balancing user guide for Network Load
    Balancers, "Enable access logs": the example bucket policy)."""
    scope = [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]},
             {"test": "ArnLike", "variable": "aws:SourceArn", "values": [f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:*"]}]
    service = [{"type": "Service", "identifiers": ["delivery.logs.amazonaws.com"]}]
    return [
        {"sid": "NetworkLoadBalancerLogsAclCheck", "effect": "Allow", "actions": ["s3:GetBucketAcl"], "resources": [arn],
         "principals": service, "condition": scope},
        {"sid": "NetworkLoadBalancerLogs", "effect": "Allow", "actions": ["s3:PutObject"],
         "resources": [f"{arn}/nlb/AWSLogs/{ACCOUNT}/*"], "principals": service,
         "condition": [{"test": "StringEquals", "variable": "s3:x-amz-acl", "values": ["bucket-owner-full-control"]}, *scope]},
    ]


def bucket_core(ctx: Env, name: str, bucket_name: str, key: Block | None, versioning: bool,
                 skip: tuple[str, ...] = (), ownership: str = "BucketOwnerEnforced") -> Block:
    doc, n = ctx.doc, label("bucket", name)
    b = doc.resource("aws_s3_bucket", n, {"bucket": bucket_name, "force_destroy": False}, skip=("IC-SKIP-007", *(s for s in skip if not s.endswith(":CKV2_AWS_65"))))
    doc.resource("aws_s3_bucket_public_access_block", label(n, "pab"), {
        "bucket": b.ref("id"), "block_public_acls": True, "block_public_policy": True,
        "ignore_public_acls": True, "restrict_public_buckets": True})
    own_skip = tuple(s for s in skip if s.endswith(":CKV2_AWS_65"))
    doc.resource("aws_s3_bucket_ownership_controls", label(n, "ownership"), {
        "bucket": b.ref("id"), "rule": {"object_ownership": ownership}}, skip=own_skip)
    doc.resource("aws_s3_bucket_versioning", label(n, "versioning"), {
        "bucket": b.ref("id"), "versioning_configuration": {"status": "Enabled" if versioning else "Suspended"}})
    default = {"sse_algorithm": "aws:kms", "kms_master_key_id": key.ref("arn")} if key else {"sse_algorithm": "AES256"}
    doc.resource("aws_s3_bucket_server_side_encryption_configuration", label(n, "sse"), {
        "bucket": b.ref("id"), "rule": [{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": key is not None}]})
    ctx.parts[f"notify.{n}"] = doc.resource("aws_s3_bucket_notification", label(n, "events"), {"bucket": b.ref("id"), "eventbridge": True})
    if name != "logs":
        doc.resource("aws_s3_bucket_logging", label(n, "logging"), {
            "bucket": b.ref("id"), "target_bucket": ctx.parts["bucket.logs"].ref("id"), "target_prefix": f"s3/{name}/"})
    return b


def bucket(ctx: Env, comp: Component) -> None:
    spec = resolved.bucket(comp)
    skip = () if spec.versioning else ("IC-SKIP-004",)
    b = bucket_core(ctx, comp.name, ctx.aws_name(comp.name), ctx.key_for(comp), spec.versioning, skip=skip)
    ctx.parts[comp.id] = b
    stores.connection(ctx, comp, f"bucket = {b.address}.id, arn = {b.address}.arn")
    arn = b.ref("arn")
    policy = ctx.policy_document(f"bucket_{comp.name}_policy", [tls_only([arn, f"{arn}/*"])])
    ctx.parts[f"policy.{comp.id}"] = policy
    ctx.doc.resource("aws_s3_bucket_policy", label("bucket", comp.name, "policy"), {"bucket": b.ref("id"), "policy": policy.ref("json")})
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", label("bucket", comp.name, "lifecycle"), {
        "bucket": b.ref("id"), "rule": [_lifecycle(spec)]})
    if spec.cors:
        ctx.doc.resource("aws_s3_bucket_cors_configuration", label("bucket", comp.name, "cors"), {
            "bucket": b.ref("id"), "cors_rule": [{"allowed_methods": ["GET", "HEAD", "PUT"], "allowed_origins": list(spec.cors),
                                                   "allowed_headers": ["*"], "max_age_seconds": 3600}]})


def _lifecycle(spec: resolved.Bucket) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": "lifecycle", "status": "Enabled", "filter": {},
                            "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}
    if spec.archive_after_days:
        rule["transition"] = [{"days": spec.archive_after_days, "storage_class": "GLACIER_IR"}]
    if spec.expire_after_days:
        rule["expiration"] = {"days": spec.expire_after_days}
    if spec.versioning:
        rule["noncurrent_version_expiration"] = {"noncurrent_days": 30}
    return rule


def queue(ctx: Env, comp: Component) -> None:
    spec, key, n = resolved.queue(comp), ctx.key_for(comp), label("queue", comp.name)
    suffix = spec.aws_suffix
    common = {"kms_master_key_id": key.ref("arn"), "kms_data_key_reuse_period_seconds": 300}
    if spec.fifo:
        common["fifo_queue"] = True
    dlq = ctx.doc.resource("aws_sqs_queue", label(n, "dlq"), {
        "name": ctx.aws_name(comp.name, "dlq") + suffix, "message_retention_seconds": 1209600, **common})
    q = ctx.doc.resource("aws_sqs_queue", n, {
        "name": ctx.aws_name(comp.name) + suffix, **common,
        "visibility_timeout_seconds": spec.visibility_timeout_seconds,
        "message_retention_seconds": spec.retention_seconds,
        "redrive_policy": f'${{jsonencode({{deadLetterTargetArn = {dlq.address}.arn, maxReceiveCount = {spec.max_receives}}})}}'})
    ctx.doc.resource("aws_sqs_queue_redrive_allow_policy", label(n, "dlq_allow"), {
        "queue_url": dlq.ref("id"),
        "redrive_allow_policy": f'${{jsonencode({{redrivePermission = "byQueue", sourceQueueArns = [{q.address}.arn]}})}}'})
    for queue_block, suffix_name in ((q, "policy"), (dlq, "dlq_policy")):
        ctx.doc.resource("aws_sqs_queue_policy", label(n, suffix_name), {
            "queue_url": queue_block.ref("id"), "policy": json_text(queue_policy(queue_block.ref("arn")))})
    ctx.parts[comp.id] = q
    ctx.parts[f"dlq.{comp.id}"] = dlq
    stores.connection(ctx, comp, f"queue_url = {q.address}.url, queue_arn = {q.address}.arn")


def queue_policy(arn: str) -> dict[str, Any]:
    """Only TLS requests; access itself comes from the workloads' IAM grants."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sqs:*", "Resource": arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
