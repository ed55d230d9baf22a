"""Account facts, the customer-managed KMS keys (IC-SEC-001, IC-GDPR-002) and their key policies."""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import ACCOUNT, PARTITION, REGION, Env, json_text
from infracc.backends.terraform.model import Block, label
from infracc.compiler import naming

# Services that encrypt with the environment key on our behalf (logs, topics, trails, queues).
KEY_USERS = ("budgets.amazonaws.com", "cloudfront.amazonaws.com", "cloudtrail.amazonaws.com", "cloudwatch.amazonaws.com",
             "delivery.logs.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com", "sqs.amazonaws.com", "s3.amazonaws.com")
KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def account_facts(ctx: Env) -> None:
    ctx.doc.data("aws_caller_identity", "current", {})
    ctx.doc.data("aws_partition", "current", {})
    ctx.doc.data("aws_region", "current", {})


def key_policy(dedicated: bool, region: str = REGION) -> dict[str, Any]:
    """Account administrators manage the key; AWS services use it only on behalf of this account.

    A dedicated (personal-data) key is usable only through IAM grants in this account and by
    CloudWatch Logs; no wildcard principal ever appears (checked by tests).
    """
    root = f"arn:{PARTITION}:iam::{ACCOUNT}:root"
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogs", "Effect": "Allow", "Principal": {"Service": f"logs.{region}.amazonaws.com"},
         "Action": KEY_ACTIONS, "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{PARTITION}:logs:{region}:{ACCOUNT}:*"}}},
    ]
    if not dedicated:
        statements.append({"Sid": "AwsServices", "Effect": "Allow", "Principal": {"Service": list(KEY_USERS)},
                           "Action": KEY_ACTIONS, "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    return {"Version": "2012-10-17", "Statement": statements}


def keys(ctx: Env) -> None:
    ctx.parts["kms.env"] = _key(ctx, "env", ctx.aws_name(), None, dedicated=False,
                                description=f"{ctx.ir.name} {ctx.name}: environment key")
    for comp in ctx.env.graph:
        enc = comp.encryption
        if enc is not None and enc.dedicated:
            ctx.parts[f"kms.{comp.name}"] = _key(ctx, f"{comp.kind}_{comp.name}", ctx.aws_name(comp.name), comp.name,
                                                 dedicated=True, description=enc.reason)


def _key(ctx: Env, name: str, alias_name: str, store: str | None, dedicated: bool, description: str) -> Block:
    key = ctx.doc.resource("aws_kms_key", label("kms", name), {
        "description": f"{alias_name}: {description}", "enable_key_rotation": True,
        "deletion_window_in_days": 30, "policy": json_text(key_policy(dedicated))})
    ctx.doc.resource("aws_kms_alias", label("kms", name, "alias"), {
        "name": naming.kms_alias(ctx.ir.name, ctx.name, store), "target_key_id": key.ref("key_id")})
    return key
