"""AWS Config pass (soc2): the recorder and the managed rules that monitor the pack's controls.

Each soc2 control in the policy catalogue names the AWS Config managed rules that watch it,
per component kind (`config_rules`); an environment gets the rules of the kinds it has, once
each. `aws_config: create` (the default) also creates the configuration recorder, its delivery
channel and bucket; `existing` uses the recorder the account already has (one per account and
region is all AWS allows) and creates the rules only.
"""
from __future__ import annotations

from typing import Any

from infracc.compiler import naming
from infracc.compiler.catalogue import registry
from infracc.compiler.decisions import AwsConfig, ConfigRule
from infracc.compiler.diagnostics import Diagnostic, note
from infracc.compiler.ir import EnvIR, StackIR

REQUIRES = frozenset({"security"})
PROVIDES = frozenset({"aws_config"})
# Rule parameters where the control has a number: soc2 keeps logs a year (IC-SOC2-004).
PARAMETERS = {"CW_LOGGROUP_RETENTION_PERIOD_CHECK": {"MinRetentionTime": "365"}}


def aws_config(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        if "soc2" not in ir.compliance:
            if env.settings.aws_config != "create":
                diags.append(note("IC-ENV-006", f"`aws_config` in environment `{env.name}` has no effect without the "
                                  "soc2 pack", (*env.settings.origin, "aws_config"), "add soc2 to `compliance`, or "
                                  "remove `aws_config`"))
            continue
        if env.settings.preview:
            # A pull request's copy lives in its template's account and region, whose recorder and
            # rules (account-wide: they evaluate every resource of their types) already watch it.
            continue
        env.aws_config = decide(ir, env)
    return diags + shared_recorders(ir)


def shared_recorders(ir: StackIR) -> list[Diagnostic]:
    """IC-ENV-007: two environments that create a recorder in one region, in what may be one
    account (the same `account_id`, or neither pinned): the second apply would fail, since AWS
    allows one recorder per account and region. A note: infracc cannot know the accounts."""
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str | None], str] = {}
    for env in ir.envs.values():
        if env.aws_config is None or not env.aws_config.recorder:
            continue
        key = (env.settings.region, env.settings.account_id)
        first = seen.setdefault(key, env.name)
        if first != env.name:
            out.append(note("IC-ENV-007", f"environments `{first}` and `{env.name}` both create an AWS Config recorder "
                            f"in {env.settings.region}" + ("" if env.settings.account_id else
                                                           " and pin no `account_id`") +
                            ": AWS allows one recorder per account and region, so if they share an account the "
                            "second apply fails", env.settings.origin,
                            f"set `aws_config: existing` on `{env.name}` if it shares `{first}`'s account"))
    return out


def scopes(ir: StackIR, env: EnvIR) -> set[str]:
    """The `config_rules` keys that apply: the kinds the environment has, and the conditions."""
    kinds = {c.kind for c in env.graph}
    out = {"environment", *kinds}
    if "database" in kinds and env.settings.high_availability:
        out.add("database-high-availability")
    if "database" in kinds and env.settings.deletion_protection:
        out.add("database-deletion-protection")
    return out


def decide(ir: StackIR, env: EnvIR) -> AwsConfig:
    wanted = scopes(ir, env)
    found: dict[str, dict[str, Any]] = {}
    for rule in registry():
        if rule.pack not in ("baseline", "soc2"):
            continue
        for scope, identifiers in rule.config_rules.items():
            if scope not in wanted:
                continue
            for identifier in identifiers:
                row = found.setdefault(identifier, {"controls": [], "kinds": []})
                row["controls"].append(rule.id)
                row["kinds"].append(scope.split("-", 1)[0])
    rules = [ConfigRule(identifier=i, name=naming.config_rule(ir.name, env.name, i),
                        controls=sorted(set(row["controls"])), kinds=sorted(set(row["kinds"])),
                        parameters=PARAMETERS.get(i, {}))
             for i, row in sorted(found.items())]
    create = env.settings.aws_config == "create"
    global_resources = env.settings.region == ir.region
    reason = ("Terraform creates the recorder (all supported resource types"
              + (", global ones such as IAM too: this is the stack's own region" if global_resources else
                 "; global ones such as IAM are recorded only in the stack's own region")
              + "), its delivery channel and bucket" if create else
              "`aws_config: existing`: the account's recorder (one per account and region) records; only the rules "
              "are created")
    return AwsConfig(recorder=create, global_resources=global_resources, rules=rules, reason=reason)
