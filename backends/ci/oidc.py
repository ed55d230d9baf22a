"""`ci/terraform/github-oidc.tf.json`: the GitHub OIDC provider, the roles the workflow assumes,
and the ECR repositories (KMS-encrypted, immutable tags, scan on push) CI pushes images to.

Per environment a deploy role trusted only for `repo:<owner/repo>:environment:<env>` and a
read-only plan role trusted only for pull requests; one build role (ECR push to this stack's
repositories) trusted only for the `main` branch. Apply once per AWS account, selecting the
environments that live in it with `-var 'environments=["prod"]'`.
"""
from __future__ import annotations

import json
from typing import Any

from infracc.backends.ci import context as cx
from infracc.compiler import naming
from infracc.compiler.ir import StackIR

ISSUER = "token.actions.githubusercontent.com"
PROVIDER_ARN = "${aws_iam_openid_connect_provider.github.arn}"


def _trust(name: str, subject: str) -> dict[str, Any]:
    return {"statement": [{
        "sid": "GitHubOIDC", "effect": "Allow", "actions": ["sts:AssumeRoleWithWebIdentity"],
        "principals": [{"type": "Federated", "identifiers": [PROVIDER_ARN]}],
        "condition": [{"test": "StringEquals", "variable": f"{ISSUER}:aud", "values": ["sts.amazonaws.com"]},
                      {"test": "StringEquals", "variable": f"{ISSUER}:sub", "values": [subject]}],
    }]}


def _iam_scope(ir: StackIR) -> dict[str, Any]:
    """IAM rights the deploy role needs beyond PowerUserAccess, scoped to this stack's names."""
    previews = [env.name for env in ir.envs.values() if env.settings.preview]
    # A preview template's role deploys the copies `pr-<number>` (backends/ci/preview.py).
    prefix = f"${{contains({json.dumps(previews)}, each.key) ? \"pr\" : each.key}}" if previews else "${each.key}"
    arn = "arn:aws:iam::${data.aws_caller_identity.current.account_id}"
    return {"statement": [
        {"sid": "StackRolesAndPolicies", "effect": "Allow",
         "actions": ["iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole",
                     "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:DeleteRole", "iam:DeleteRolePolicy",
                     "iam:DetachRolePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole",
                     "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListPolicyVersions",
                     "iam:ListRolePolicies", "iam:PassRole", "iam:PutRolePolicy", "iam:TagPolicy", "iam:TagRole",
                     "iam:UntagRole", "iam:UpdateAssumeRolePolicy"],
         "resources": [f"{arn}:role/{ir.name}-{prefix}-*", f"{arn}:policy/{ir.name}-{prefix}-*"]},
        {"sid": "ServiceLinkedRoles", "effect": "Allow", "actions": ["iam:CreateServiceLinkedRole"],
         "resources": [f"{arn}:role/aws-service-role/*"]},
    ]}


def _build_policy(ir: StackIR) -> dict[str, Any]:
    repos = [f"${{aws_ecr_repository.{i.workload.replace('-', '_')}.arn}}" for i in cx.images(ir)]
    return {"statement": [
        {"sid": "EcrLogin", "effect": "Allow", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]},
        {"sid": "EcrPush", "effect": "Allow", "resources": repos or ["arn:aws:ecr:*:${data.aws_caller_identity.current.account_id}:repository/none"],
         "actions": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                     "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]},
    ]}


def _repositories(ir: StackIR, tags: dict[str, str]) -> dict[str, Any]:
    """One ECR repository per built workload, shared by every environment of the account."""
    account = "${data.aws_caller_identity.current.account_id}"
    key_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AccountAdministers", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    lifecycle = {"rules": [
        {"rulePriority": 1, "description": "drop untagged layers after 14 days", "action": {"type": "expire"},
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}},
        {"rulePriority": 2, "description": "keep the newest 200 images", "action": {"type": "expire"},
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200}}]}
    repos, policies = {}, {}
    for image in cx.images(ir):
        key = image.workload.replace("-", "_")
        repos[key] = {"name": naming.image_repository(ir.name, image.workload), "image_tag_mutability": "IMMUTABLE",
                      "image_scanning_configuration": {"scan_on_push": True}, "force_delete": False, "tags": tags,
                      "encryption_configuration": {"encryption_type": "KMS", "kms_key": "${aws_kms_key.ecr.arn}"}}
        policies[key] = {"repository": f"${{aws_ecr_repository.{key}.name}}",
                         "policy": json.dumps(lifecycle, sort_keys=True, separators=(",", ":"))}
    return {
        "aws_kms_key": {"ecr": {"description": f"{ir.name}: ECR image encryption", "enable_key_rotation": True,
                                "deletion_window_in_days": 30, "tags": tags,
                                "policy": json.dumps(key_policy, sort_keys=True, separators=(",", ":"))}},
        "aws_ecr_repository": repos,
        "aws_ecr_lifecycle_policy": policies,
    }


def _role(name: str, policy: str, tags: dict[str, str], for_each: str | None = None) -> dict[str, Any]:
    """`policy`: the trust document's address after `data.aws_iam_policy_document.`, with its
    instance key when the document has for_each (`deploy_trust[each.key]`)."""
    role: dict[str, Any] = {"name": name, "assume_role_policy": f"${{data.aws_iam_policy_document.{policy}.json}}",
                            "max_session_duration": 3600, "tags": tags}
    if for_each:
        role["for_each"] = for_each
    return role


def _per_env_roles(ir: StackIR, tags: dict[str, str]) -> dict[str, Any]:
    each = "${toset(var.environments)}"
    return {
        "aws_iam_role": {
            "deploy": _role(f"{ir.name}-${{each.key}}-{cx.ROLE_DEPLOY}", "deploy_trust[each.key]", tags, each),
            "plan": _role(f"{ir.name}-${{each.key}}-{cx.ROLE_PLAN}", "plan_trust", tags, each),
        },
        "aws_iam_role_policy_attachment": {
            "deploy": {"for_each": each, "role": "${aws_iam_role.deploy[each.key].name}",
                       "policy_arn": "arn:aws:iam::aws:policy/PowerUserAccess"},
            "plan": {"for_each": each, "role": "${aws_iam_role.plan[each.key].name}",
                     "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        },
        "aws_iam_role_policy": {
            "deploy_iam": {"for_each": each, "name": "stack-iam", "role": "${aws_iam_role.deploy[each.key].id}",
                           "policy": "${data.aws_iam_policy_document.deploy_iam[each.key].json}"},
        },
    }


def document(ir: StackIR) -> dict[str, Any]:
    tags = {"stack": ir.name, "managed-by": "infracc", "purpose": "github-actions"}
    repo = "${var.github_repository}"
    resources = _per_env_roles(ir, tags)
    resources["aws_iam_openid_connect_provider"] = {"github": {
        "url": f"https://{ISSUER}", "client_id_list": ["sts.amazonaws.com"], "tags": tags,
        "thumbprint_list": ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]}}
    docs: dict[str, Any] = {
        "deploy_trust": {"for_each": "${toset(var.environments)}",
                         **_trust("deploy", f"repo:{repo}:environment:${{each.key}}")},
        "plan_trust": _trust("plan", f"repo:{repo}:pull_request"),
        "deploy_iam": {"for_each": "${toset(var.environments)}", **_iam_scope(ir)},
    }
    outputs = {"deploy_role_arns": {"value": "${{ for env, role in aws_iam_role.deploy : env => role.arn }}"},
               "plan_role_arns": {"value": "${{ for env, role in aws_iam_role.plan : env => role.arn }}"}}
    if cx.images(ir):
        docs["build_trust"] = _trust("build", f"repo:{repo}:ref:refs/heads/main")
        docs["build_push"] = _build_policy(ir)
        resources["aws_iam_role"]["build"] = _role(naming.resource(ir.name, "", cx.ROLE_BUILD), "build_trust", tags)
        resources["aws_iam_role_policy"]["build_push"] = {
            "name": "ecr-push", "role": "${aws_iam_role.build.id}", "policy": "${data.aws_iam_policy_document.build_push.json}"}
        outputs["build_role_arn"] = {"value": "${aws_iam_role.build.arn}"}
        resources.update(_repositories(ir, tags))
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.0, < 7.0"}}},
        "provider": {"aws": {"region": "${var.region}"}},
        "variable": {
            "github_repository": {"type": "string", "description": "owner/repo of the repository running the workflow"},
            "region": {"type": "string", "default": ir.region},
            "environments": {"type": "list(string)", "default": list(ir.envs),
                             "description": "environments whose roles live in this AWS account"},
        },
        "data": {"aws_caller_identity": {"current": {}}, "aws_iam_policy_document": docs},
        "resource": resources,
        "output": outputs,
    }
