"""soc2 (IC-SOC2-006): AWS Config — the recorder, its delivery channel and bucket, the managed rules.

The aws_config pass decides what exists: with `aws_config: create` the recorder (all supported
resource types; global ones only in the stack's own region), a delivery channel to a dedicated
bucket (versioned, KMS-encrypted with the environment key, TLS only, access-logged, the bucket
policy AWS Config's service principal needs) and the recorder's status; with `existing` only the
rules, which the account's recorder evaluates. Each rule depends on the recorder's status, so
Terraform never creates a rule before there is something recording.
"""
from __future__ import annotations

from infracc.backends.terraform import storage
from infracc.backends.terraform.context import ACCOUNT, Env, json_text
from infracc.backends.terraform.model import Block, label

# The AWS managed policy of a customer-managed AWS Config role (read-only Describe/List/Get
# of the supported resource types); "Permissions for the IAM role assigned to AWS Config",
# https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
CONFIG_ROLE_POLICY = "service-role/AWS_ConfigRole"
SERVICE = [{"type": "Service", "identifiers": ["config.amazonaws.com"]}]


def aws_config(ctx: Env) -> None:
    decision = ctx.env.aws_config
    if decision is None:
        return
    status = _recorder(ctx, decision.global_resources) if decision.recorder else None
    for rule in decision.rules:
        attrs = {"name": rule.name, "description": f"soc2: {', '.join(rule.controls)} ({', '.join(rule.kinds)})",
                 "source": {"owner": "AWS", "source_identifier": rule.identifier}}
        if rule.parameters:
            attrs["input_parameters"] = json_text(rule.parameters)
        if status is not None:
            attrs["depends_on"] = [status.address]
        ctx.doc.resource("aws_config_config_rule", label("config", rule.identifier.lower()), attrs)


def _recorder(ctx: Env, global_resources: bool) -> Block:
    bucket = _bucket(ctx)
    key = ctx.parts["kms.env"]
    delivery = ctx.policy_document("config_delivery", [
        {"sid": "DeliverToBucket", "effect": "Allow", "actions": ["s3:PutObject", "s3:PutObjectAcl"],
         "resources": [f"{bucket.ref('arn')}/AWSLogs/{ACCOUNT}/Config/*"],
         "condition": [{"test": "StringLike", "variable": "s3:x-amz-acl", "values": ["bucket-owner-full-control"]}]},
        {"sid": "CheckBucket", "effect": "Allow", "actions": ["s3:GetBucketAcl", "s3:ListBucket"],
         "resources": [bucket.ref("arn")]},
        {"sid": "EncryptDeliveries", "effect": "Allow", "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
         "resources": [key.ref("arn")]}])
    role = ctx.role("config", "config.amazonaws.com", delivery, managed=(CONFIG_ROLE_POLICY,))
    recorder = ctx.doc.resource("aws_config_configuration_recorder", "config", {
        "name": ctx.aws_name(), "role_arn": role.ref("arn"),
        "recording_group": {"all_supported": True, "include_global_resource_types": global_resources}})
    channel = ctx.doc.resource("aws_config_delivery_channel", "config", {
        "name": ctx.aws_name(), "s3_bucket_name": bucket.ref("id"), "s3_kms_key_arn": key.ref("arn"),
        "sns_topic_arn": ctx.parts["topic"].ref("arn"),
        "snapshot_delivery_properties": {"delivery_frequency": "TwentyFour_Hours"},
        "depends_on": [recorder.address, ctx.parts["policy.bucket.config"].address]})
    return ctx.doc.resource("aws_config_configuration_recorder_status", "config", {
        "name": recorder.ref("name"), "is_enabled": True, "depends_on": [channel.address]})


def _bucket(ctx: Env) -> Block:
    """AWS Config's bucket, with the statements its service principal needs ("Permissions for
    the Amazon S3 Bucket for the AWS Config Delivery Channel",
    https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html): the ACL
    and existence checks on the bucket and writes under AWSLogs/<account>/Config/, only for this
    account's recorder (aws:SourceAccount), writes only with bucket-owner-full-control."""
    bucket = storage.bucket_core(ctx, "config", ctx.aws_name("config"), ctx.parts["kms.env"], versioning=True)
    arn = bucket.ref("arn")
    account = [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}]
    policy = ctx.policy_document("config_bucket_policy", [
        storage.tls_only([arn, f"{arn}/*"]),
        {"sid": "ConfigBucketPermissionsCheck", "effect": "Allow", "actions": ["s3:GetBucketAcl"], "resources": [arn],
         "principals": SERVICE, "condition": account},
        {"sid": "ConfigBucketExistenceCheck", "effect": "Allow", "actions": ["s3:ListBucket"], "resources": [arn],
         "principals": SERVICE, "condition": account},
        {"sid": "ConfigBucketDelivery", "effect": "Allow", "actions": ["s3:PutObject"],
         "resources": [f"{arn}/AWSLogs/{ACCOUNT}/Config/*"], "principals": SERVICE,
         "condition": [*account, {"test": "StringEquals", "variable": "s3:x-amz-acl",
                                  "values": ["bucket-owner-full-control"]}]}])
    ctx.parts["policy.bucket.config"] = ctx.doc.resource("aws_s3_bucket_policy", "config_policy", {
        "bucket": bucket.ref("id"), "policy": policy.ref("json")})
    days = max((c.retention.log_retention_days for c in ctx.env.graph if c.retention), default=365)
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", "config_lifecycle", {"bucket": bucket.ref("id"), "rule": [{
        "id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": max(days, 365)},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7}, "noncurrent_version_expiration": {"noncurrent_days": 30}}]})
    return bucket
