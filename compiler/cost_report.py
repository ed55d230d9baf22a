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


WIDTH = 140
COLUMNS: tuple[tuple[str, Justify], ...] = (("component", "left"), ("item", "left"), ("quantity", "right"),
                                            ("unit price", "right"), ("monthly", "right"))
# Characters one terminal cell wide besides printable ASCII (what the estimate's labels use).
_NARROW = frozenset("—×→·≈≤≥−€£")


def rich_table(title: str, rows: list[tuple[str, ...]], width: int = WIDTH) -> str:
    """The estimate table as rich lays it out (heavy head box, title on the left)."""
    buf = io.StringIO()
    table = Table(title=title, title_justify="left")
    for col, just in COLUMNS:
        table.add_column(col, justify=just)
    for row in rows:
        table.add_row(*row)
    Console(file=buf, width=width, force_terminal=False, color_system=None).print(table)
    return buf.getvalue()


def plain_table(title: str, rows: list[tuple[str, ...]], width: int = WIDTH) -> str | None:
    """The same table without rich's layout engine, when no cell needs wrapping: rich measured
    and wrapped every cell of every row (a 500-service stack's 20,000 lines took ~6 s of an 8 s
    `cost`). None when the table does not fit the width or a cell has wide characters (then
    rich lays it out). tests/test_cost.py checks both give the same text."""
    cells = [title, *(h for h, _ in COLUMNS), *(c for row in rows for c in row)]
    if not rows or any(not (ch.isascii() and ch.isprintable()) and ch not in _NARROW for c in cells for ch in c):
        return None
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, (h, _) in enumerate(COLUMNS)]
    total = sum(widths) + 3 * len(widths) + 1
    if total > width or len(title) > total:
        return None

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells_of(values: tuple[str, ...], bar: str) -> str:
        return bar + bar.join(f" {v.ljust(w) if j == 'left' else v.rjust(w)} "
                              for v, w, (_, j) in zip(values, widths, COLUMNS, strict=True)) + bar

    out = [title.ljust(total), line("┏", "━", "┳", "┓"), cells_of(tuple(h for h, _ in COLUMNS), "┃"),
           line("┡", "━", "╇", "┩"), *(cells_of(row, "│") for row in rows), line("└", "─", "┴", "┘")]
    return "\n".join(out) + "\n"


def _rows(env: EnvIR) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for i in decided.cost(env).items:
        qty = "usage" if i.quantity is None else f"{i.quantity:,.1f}"
        price = "—" if i.unit_price is None else f"${i.unit_price:g}/{i.unit}"
        rows.append((i.component, i.item, qty, price, _money(i.monthly)))
    return rows


def _table(envs: list[EnvIR], stack: str) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=WIDTH, force_terminal=False, color_system=None)
    for env in envs:
        c = decided.cost(env)
        title, rows = f"{env.name} — {env.settings.region}, size {env.settings.size}", _rows(env)
        buf.write(plain_table(title, rows) or rich_table(title, rows))
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
