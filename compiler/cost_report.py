"""`infracc cost`: the cost pass's estimate as a table, Markdown or JSON."""
from __future__ import annotations

import io
import json
from typing import Literal

from rich.console import Console
from rich.table import Table

from infracc.compiler import decided, naming
from infracc.compiler.ir import EnvIR, StackIR

Justify = Literal["default", "left", "center", "right", "full"]


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def render(ir: StackIR, envs: list[EnvIR], fmt: str) -> str:
    if fmt == "json":
        data = {env.name: decided.cost(env).model_dump(mode="json") for env in envs}
        return json.dumps({"stack": ir.name, "environments": data}, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        return markdown(envs, ir.name)
    return _table(envs, ir.name)


def budget_text(stack: str, env: EnvIR, markup: bool = True) -> str:
    """The environment's AWS Budgets alert (IC-COST-031), as the runbook and `cost` state it."""
    limit = decided.cost(env).budget_usd
    if limit is None:
        return "No budget alert (`budget: false`)." if markup else "no budget alert (budget: false)"
    name = naming.resource(stack, env.name, "monthly-cost")
    if not markup:
        return f"budget alert {name}: ${limit:,}/month, forecast > 100% or actual > 120% → alarm topic"
    return (f"**Budget alert:** AWS Budgets `{name}` at ${limit:,}/month on the costs tagged `env: {env.name}`; "
            "it notifies the alarm topic when the month's forecast passes 100% and when the actual spend passes 120% "
            "(`budget: {monthly_usd: N}` sets the limit, `budget: false` removes it).\n")


def markdown(envs: list[EnvIR], stack: str | None = None) -> str:
    out = []
    for env in envs:
        c = decided.cost(env)
        out.append(f"### {env.name} ({env.settings.region}, size {env.settings.size})\n")
        out.append("| component | item | quantity | unit price | monthly | note |")
        out.append("|---|---|---:|---:|---:|---|")
        for i in c.items:
            qty = "usage" if i.quantity is None else f"{i.quantity:,.2f}"
            price = "—" if i.unit_price is None else f"${i.unit_price:g}/{i.unit}"
            out.append(f"| {i.component} | {i.item} | {qty} | {price} | {_money(i.monthly)} | {i.assumption or ''} |")
        out.append(f"\n**Total: {_money(c.monthly)}/month** — naive baseline {_money(c.baseline_monthly)}, "
                   f"savings {c.savings_percent:g}%.\n")
        if c.missing_prices:
            out.append("Missing prices (not in the total): " + "; ".join(c.missing_prices) + "\n")
        if stack is not None:
            out.append(budget_text(stack, env))
        out.append(levers_markdown(env))
    return "\n".join(out) + "\n"


def _signed(value: float) -> str:
    """A saving: `$1.20`, or `−$0.10` where the lever costs more than the baseline."""
    return _money(value) if value >= 0 else f"−{_money(-value)}"


def levers_markdown(env: EnvIR) -> str:
    """The levers of one environment against the naive baseline, the off-hours schedule, egress,
    recommendations that are shown but never counted, and what to purchase (docs and runbook)."""
    from infracc.compiler.passes.levers import purchases

    c, lv, net = decided.cost(env), env.levers, env.network
    out = ["#### Savings by lever\n", "| lever | monthly saving | what |", "|---|---:|---|"]
    for lever in c.levers:
        out.append(f"| {lever.lever} | {_signed(lever.monthly_saving)} | {lever.detail} |")
    out.append(f"| **total** | **{_money(round(c.baseline_monthly - c.monthly, 2))}** | "
               f"naive baseline {_money(c.baseline_monthly)} − estimate {_money(c.monthly)} |\n")
    if lv is not None:
        s = lv.schedule
        if s is not None:
            what = ", ".join(filter(None, [
                f"ECS services {', '.join(f'`{n}`' for n in s.services)} scale to 0" if s.services else "",
                f"RDS {', '.join(f'`{n}`' for n in s.databases)} stop" if s.databases else "",
                "EKS nodes scale to 0" if s.nodes else ""]))
            out.append(f"**Off hours:** runs {s.active} ({s.timezone}; {s.active_hours_per_month:g} of 730 h/month); "
                       f"outside it {what} (start `{s.start_cron}`, stop `{s.stop_cron}`). Turn it off with "
                       "`off_hours: false` on the environment.\n")
        else:
            out.append(f"**Off hours:** {lv.schedule_reason}.\n")
    if net is not None:
        out.append(f"**Egress:** {net.egress}.\n")
    if c.recommendations:
        out.append("**Recommended, not counted** (no rate table):\n")
        out += [f"- {r.lever} ({r.applies_to}): {r.discount}. {r.action}. Source: {r.source}" for r in c.recommendations]
        out.append("")
    bought = purchases(env)
    if bought:
        out.append("**To purchase** (commitments are bought, not created by Terraform):\n")
        out += [f"- {b}" for b in bought]
        out.append("")
    return "\n".join(out)


def _table(envs: list[EnvIR], stack: str) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    columns: tuple[tuple[str, Justify], ...] = (("component", "left"), ("item", "left"), ("quantity", "right"),
                                                ("unit price", "right"), ("monthly", "right"))
    for env in envs:
        c = decided.cost(env)
        table = Table(title=f"{env.name} — {env.settings.region}, size {env.settings.size}", title_justify="left")
        for col, just in columns:
            table.add_column(col, justify=just)
        for i in c.items:
            qty = "usage" if i.quantity is None else f"{i.quantity:,.1f}"
            price = "—" if i.unit_price is None else f"${i.unit_price:g}/{i.unit}"
            table.add_row(i.component, i.item, qty, price, _money(i.monthly))
        console.print(table)
        console.print(f"total {_money(c.monthly)}/month · naive baseline {_money(c.baseline_monthly)} · "
                      f"savings {c.savings_percent:g}%   (usage-priced items are listed, not totalled)")
        if c.levers:
            console.print("savings by lever: " + " · ".join(f"{lv.lever} {_signed(lv.monthly_saving)}" for lv in c.levers))
        if env.levers is not None:
            sched = env.levers.schedule
            console.print("off hours: " + (f"runs {sched.active} {sched.timezone} ({sched.active_hours_per_month:g} of 730 h)"
                                           if sched else env.levers.schedule_reason))
        for r in c.recommendations:
            console.print(f"recommended, not counted: {r.lever} — {r.discount}")
        console.print(budget_text(stack, env, markup=False))
        console.print("")
    return buf.getvalue()
