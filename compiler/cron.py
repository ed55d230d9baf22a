"""5-field cron (UTC) validation and conversion to the EventBridge 6-field form."""
from __future__ import annotations

import re

_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
)
_TERM = re.compile(r"^(\*|[0-9a-z]+(-[0-9a-z]+)?)(/([0-9]+))?$")


def cron_problem(expr: str) -> str | None:
    """None when `expr` is a valid 5-field cron, else what is wrong.

    >>> cron_problem("0 3 * * *") is None
    True
    >>> cron_problem("0 25 * * *")
    'hour: 25 is outside 0-23'
    """
    parts = expr.split()
    if len(parts) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(parts)}"
    for text, (label, low, high, names) in zip(parts, _FIELDS, strict=True):
        for term in text.lower().split(","):
            problem = _term_problem(term, low, high, names)
            if problem:
                return f"{label}: {problem}"
    return None


def _term_problem(term: str, low: int, high: int, names: dict[str, int]) -> str | None:
    match = _TERM.match(term)
    if not match:
        return f"`{term}` is not a value, range, list or step"
    if match[4] is not None and int(match[4]) == 0:
        return "a step of 0 never fires"
    if match[1] == "*":
        return None
    bounds = match[1].split("-")
    values = []
    for value in bounds:
        number = names.get(value) if not value.isdigit() else int(value)
        if number is None:
            return f"`{value}` is not a number or name"
        if not low <= number <= high:
            return f"{number} is outside {low}-{high}"
        values.append(number)
    if len(values) == 2 and values[0] > values[1]:
        return f"range {bounds[0]}-{bounds[1]} runs backwards"
    return None


def to_eventbridge(expr: str) -> str:
    """EventBridge wants 6 fields and `?` in one of day-of-month/day-of-week.

    >>> to_eventbridge("0 3 * * *")
    'cron(0 3 * * ? *)'
    >>> to_eventbridge("0 9 * * 1-5")
    'cron(0 9 ? * 2-6 *)'
    """
    minute, hour, dom, month, dow = expr.split()
    if dow == "*":
        dow = "?"
    else:
        dom = "?" if dom == "*" else dom
        dow = _shift_dow(dow)
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _shift_dow(field: str) -> str:
    # cron counts Sunday as 0 (or 7); EventBridge counts Sunday as 1.
    def shift(token: str) -> str:
        return str(int(token) % 7 + 1) if token.isdigit() else token.upper()

    out = []
    for term in field.split(","):
        base, _, step = term.partition("/")
        base = "-".join(shift(t) for t in base.split("-")) if base != "*" else base
        out.append(base + (f"/{step}" if step else ""))
    return ",".join(out)
