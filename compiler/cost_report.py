"""`infracc cost`: the cost pass's estimate as a table, Markdown or JSON."""
from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table

from infracc.compiler.ir import EnvIR, StackIR


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def render(ir: StackIR, envs: list[EnvIR], fmt: str) -> str:
    if fmt == "json":
        data = {env.name: env.cost.model_dump(mode="json") for env in envs}
        return json.dumps({"stack": ir.name, "environments": data}, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        return markdown(envs)
    return _table(envs)


def markdown(envs: list[EnvIR]) -> str:
    out = []
    for env in envs:
        c = env.cost
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
    return "\n".join(out) + "\n"


def _table(envs: list[EnvIR]) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    for env in envs:
        c = env.cost
        table = Table(title=f"{env.name} — {env.settings.region}, size {env.settings.size}", title_justify="left")
        for col, just in (("component", "left"), ("item", "left"), ("quantity", "right"),
                          ("unit price", "right"), ("monthly", "right")):
            table.add_column(col, justify=just)
        for i in c.items:
            qty = "usage" if i.quantity is None else f"{i.quantity:,.1f}"
            price = "—" if i.unit_price is None else f"${i.unit_price:g}/{i.unit}"
            table.add_row(i.component, i.item, qty, price, _money(i.monthly))
        console.print(table)
        console.print(f"total {_money(c.monthly)}/month · naive baseline {_money(c.baseline_monthly)} · "
                      f"savings {c.savings_percent:g}%   (usage-priced items are listed, not totalled)\n")
    return buf.getvalue()
