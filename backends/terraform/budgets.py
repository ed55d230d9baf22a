"""AWS Budgets: one monthly cost budget per environment (IC-COST-031), from the cost pass's decision.

The limit is `EnvCost.budget_usd` (the estimate rounded up, or the spec's `budget.monthly_usd`);
the budget counts the costs tagged `env: <environment>` (every resource carries that provider
default tag; the tag must be activated once as a cost allocation tag, see the runbook) and
notifies the environment's alarm topic when the month's forecast passes 100% of the limit and
when the actual spend passes 120%.
"""
from __future__ import annotations

from typing import Any

from infracc.backends.terraform.context import Env
from infracc.compiler import decided

# (notification type, threshold in % of the limit)
NOTIFICATIONS = (("FORECASTED", 100), ("ACTUAL", 120))


def cost_filter(env: str) -> dict[str, Any]:
    """Costs of the resources with the provider's default tag `env = <env>` (a user-defined cost allocation tag)."""
    return {"name": "TagKeyValue", "values": [f"user:env${env}"]}


def budget(ctx: Env) -> None:
    limit = decided.cost(ctx.env).budget_usd
    if limit is None:  # `budget: false`
        return
    topic = ctx.parts["topic"].ref("arn")
    ctx.doc.resource("aws_budgets_budget", "monthly", {
        "name": ctx.aws_name("monthly-cost"), "budget_type": "COST", "time_unit": "MONTHLY",
        "limit_amount": str(limit), "limit_unit": "USD",
        "cost_filter": [cost_filter(ctx.name)],
        "notification": [{"notification_type": kind, "comparison_operator": "GREATER_THAN", "threshold": threshold,
                          "threshold_type": "PERCENTAGE", "subscriber_sns_topic_arns": [topic]}
                         for kind, threshold in NOTIFICATIONS]})
    ctx.doc.output("budget_name", ctx.aws_name("monthly-cost"), f"AWS Budgets cost budget of the environment (USD {limit}/month)")
