"""What every emitter of one environment shares: the IR, the document, names and references."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infracc.backends.terraform.model import Block, Document, label
from infracc.compiler import naming
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import Component, EnvIR, StackIR
from infracc.compiler.passes.targets import not_expressible

ACCOUNT = "${data.aws_caller_identity.current.account_id}"
PARTITION = "${data.aws_partition.current.partition}"
REGION = "${data.aws_region.current.region}"


@dataclass
class Env:
    ir: StackIR
    env: EnvIR
    doc: Document = field(default_factory=Document)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Blocks other emitters reference, by role ("vpc", "kms.env", "sg.api", "bucket.uploads" …).
    parts: dict[str, Block] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.env.name

    def aws_name(self, component: str = "", suffix: str = "") -> str:
        return naming.resource(self.ir.name, self.name, component, suffix)

    def key_for(self, comp: Component) -> Block:
        enc = comp.encryption
        if enc is not None and enc.dedicated:
            return self.parts[f"kms.{comp.name}"]
        return self.parts["kms.env"]

    def unsupported(self, comp: Component, what: str) -> None:
        self.diagnostics.append(not_expressible(comp, what))

    def log_group(self, name: str, log_name: str, days: int, skip: tuple[str, ...] = ()) -> Block:
        """A KMS-encrypted log group (IC-SEC-008)."""
        return self.doc.resource("aws_cloudwatch_log_group", label(name, "logs"), {
            "name": log_name, "retention_in_days": days, "kms_key_id": self.parts["kms.env"].ref("arn")},
            skip=skip or (("IC-SKIP-015",) if days < 365 else ()))

    def policy_document(self, name: str, statements: list[dict[str, Any]]) -> Block:
        return self.doc.data("aws_iam_policy_document", label(name), {"statement": statements})

    def role(self, name: str, service: str, policy: Block | None = None, managed: tuple[str, ...] = (),
             role_name: str | None = None, assumed_by: tuple[str, ...] = ()) -> Block:
        """An IAM role assumable by one AWS service of this account (and by the roles in
        `assumed_by`), with an inline policy document."""
        statements = [{
            "effect": "Allow", "actions": ["sts:AssumeRole"] + (["sts:TagSession"] if service == "pods.eks.amazonaws.com" else []),
            "principals": [{"type": "Service", "identifiers": [service]}],
            "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}]}]
        if assumed_by:
            statements.append({"sid": "AssumedByRoles", "effect": "Allow", "actions": ["sts:AssumeRole"],
                               "principals": [{"type": "AWS", "identifiers": list(assumed_by)}]})
        trust = self.policy_document(f"{name}_trust", statements)
        role = self.doc.resource("aws_iam_role", label(name, "role"), {
            "name": role_name or self.aws_name(name.replace("_", "-")), "assume_role_policy": trust.ref("json")})
        if policy is not None:
            self.doc.resource("aws_iam_role_policy", label(name, "policy"), {
                "name": "least-privilege", "role": role.ref("id"), "policy": policy.ref("json")})
        for i, arn in enumerate(managed):
            self.doc.resource("aws_iam_role_policy_attachment", label(name, f"managed{i}"), {
                "role": role.ref("name"), "policy_arn": f"arn:{PARTITION}:iam::aws:policy/{arn}"})
        return role


def literal(text: str) -> str:
    """Text from the spec as a Terraform string: `${` and `%{` start interpolation and template
    directives in Terraform, so a literal one is written `$${` / `%%{`.

    >>> literal("Hello, ${user}! 100%{done}")
    'Hello, $${user}! 100%%{done}'
    """
    return text.replace("${", "$${").replace("%{", "%%{")


def json_text(data: Any) -> str:
    """A JSON string attribute (key policies, container definitions): sorted, compact."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
