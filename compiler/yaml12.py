"""YAML 1.2 reading on libyaml: plain data and a position tree, in one pass over the nodes.

`stack.yaml` is read on every `validate` (a pre-commit hook, an editor, an agent's loop). The
pure-Python round-trip parser took ~80 ms of each cold process (its import and the parse of
an example); libyaml's C parser composes the same node tree in a few milliseconds (issue #14).

What is kept from the round-trip reader, and checked against it (tests/test_loader.py reads
every example, invalid case and generated spec both ways):

- YAML 1.2 core scalars: `yes`/`no`/`on`/`off` are text, `true`/`false` booleans, `0o17`
  octal, `0x1f` hex, `1_000` an int, `.inf`/`.nan` floats, `~`/`null`/empty null; timestamps
  become ISO text;
- merge keys (`<<: *anchor`, a list of them too), explicit keys winning over merged ones;
- duplicate keys refused with the position of the second one;
- positions: the 0-based (line, col) of every key and value, a merged key where its anchor
  wrote it.

Aliases are expanded with a node budget (a "billion laughs" document fails fast) and a
recursive alias is refused, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Mark = tuple[int, int]

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class _Loader(_BASE):  # type: ignore[misc]
    """libyaml's parser and composer with the YAML 1.2 core schema's implicit tags."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}


def _resolver(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern, re.X), list(first))


_resolver("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("float", r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", "-+0123456789.")
_resolver("int", r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""", "-+0123456789")
_resolver("merge", r"^(?:<<)$", "<")
_resolver("null", r"^(?:~|null|Null|NULL|)$", "~nN")
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
_resolver("timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
    (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
    (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", "0123456789")

YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError


class TooLarge(Exception):
    """Alias expansion past the node budget, or a recursive alias; `path` is where."""

    def __init__(self, path: tuple[str | int, ...]) -> None:
        self.path = path


class DuplicateKey(Exception):
    def __init__(self, key: str, mark: Mark) -> None:
        self.key, self.mark = key, mark


@dataclass
class Pos:
    """Where a mapping or sequence is, and where each of its keys/items and values is."""

    mark: Mark
    keys: dict[object, tuple[Mark, Mark, Pos | None]] = field(default_factory=dict)
    """mapping key → (key mark, value mark, the value's own positions when it is a container)"""
    items: list[tuple[Mark, Pos | None]] = field(default_factory=list)
    is_map: bool = True


def compose(text: str) -> Node | None:
    """The document's node tree (None for an empty document); raises YAMLError."""
    return yaml.compose(text, Loader=_Loader)


class Reader:
    """Plain data and positions from a node tree, expanding aliases within `budget` nodes."""

    def __init__(self, budget: int) -> None:
        self.left = budget
        self._active: set[int] = set()

    def read(self, node: Node, path: tuple[str | int, ...] = ()) -> tuple[object, Pos | None]:
        self.left -= 1
        if self.left < 0:
            raise TooLarge(path)
        if isinstance(node, ScalarNode):
            return scalar(node), None
        if id(node) in self._active:  # a recursive alias (`&a [*a]`)
            raise TooLarge(path)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._seq(node, path)
            assert isinstance(node, MappingNode)
            return self._map(node, path)
        finally:
            self._active.discard(id(node))

    def _seq(self, node: SequenceNode, path: tuple[str | int, ...]) -> tuple[object, Pos]:
        pos = Pos(_mark(node), is_map=False)
        out = []
        for i, item in enumerate(node.value):
            value, inner = self.read(item, (*path, i))
            out.append(value)
            pos.items.append((_mark(item), inner))
        return out, pos

    def _map(self, node: MappingNode, path: tuple[str | int, ...]) -> tuple[object, Pos]:
        pos = Pos(_mark(node))
        out: dict[object, object] = {}
        merged: dict[object, object] = {}
        merged_pos: dict[object, tuple[Mark, Mark, Pos | None]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in _merge_sources(value_node):
                    data, inner = self.read(source, path)
                    if not isinstance(data, dict) or inner is None:
                        continue
                    for k, v in data.items():  # an earlier source wins over a later one
                        if k not in merged:
                            merged[k], merged_pos[k] = v, inner.keys[k]
                continue
            key = scalar(key_node) if isinstance(key_node, ScalarNode) else self.read(key_node, path)[0]
            if isinstance(key, list | dict):
                key = str(key)
            step = key if isinstance(key, str | int) else str(key)
            if key in out:
                raise DuplicateKey(str(key), _mark(key_node))
            value, inner = self.read(value_node, (*path, step))
            out[key] = value
            pos.keys[key] = (_mark(key_node), _mark(value_node), inner)
        for k, v in merged.items():
            if k not in out:
                out[k] = v
                pos.keys[k] = merged_pos[k]
        return out, pos


def positions(node: Node) -> Pos | None:
    """Positions only, each node visited once (aliases not expanded): where a document that
    cannot be expanded says what it says."""
    seen: dict[int, Pos | None] = {}

    def walk(n: Node) -> Pos | None:
        if isinstance(n, ScalarNode):
            return None
        if id(n) in seen:
            return seen[id(n)]
        pos = Pos(_mark(n), is_map=isinstance(n, MappingNode))
        seen[id(n)] = pos
        if isinstance(n, SequenceNode):
            pos.items = [(_mark(item), walk(item)) for item in n.value]
        else:
            for key_node, value_node in n.value:
                key = scalar(key_node) if isinstance(key_node, ScalarNode) else str(_mark(key_node))
                pos.keys.setdefault(key, (_mark(key_node), _mark(value_node), walk(value_node)))
        return pos

    return walk(node)


def _merge_sources(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [n for n in node.value if isinstance(n, MappingNode)]
    return []


def _mark(node: Node) -> Mark:
    return (node.start_mark.line, node.start_mark.column)


_TIMESTAMP = re.compile(r"""^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[\ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?(?:[\ \t]*(?P<tz>Z|(?P<sign>[-+])(?P<tzh>[0-9]{1,2})(?::(?P<tzm>[0-9]{2}))?))?)?$""",
                        re.X)


def scalar(node: ScalarNode) -> object:
    """A scalar's value under the YAML 1.2 core schema (explicit `!!` tags honoured)."""
    tag, text = node.tag, node.value
    kind = tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else "str"
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        return _int(text)
    if kind == "float":
        return _float(text)
    if kind == "timestamp":
        return _timestamp(text)
    return text


def _int(text: str) -> int | str:
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    try:
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if digits.startswith(prefix):
                return sign * int(digits[2:], base)
        return sign * int(digits)
    except ValueError:
        return text


def _float(text: str) -> float | str:
    digits = text.replace("_", "").lower()
    try:
        if digits.endswith(".inf"):
            return float("-inf") if digits.startswith("-") else float("inf")
        if digits == ".nan":
            return float("nan")
        return float(digits)
    except ValueError:
        return text


def _timestamp(text: str) -> str:
    match = _TIMESTAMP.match(text)
    if match is None:
        return text
    g = match.groupdict()
    try:
        day = date(int(g["year"]), int(g["month"]), int(g["day"]))
        if g["hour"] is None:
            return day.isoformat()
        fraction = int((g["fraction"] or "0")[:6].ljust(6, "0"))
        tz = None
        if g["tz"] == "Z":
            tz = UTC
        elif g["tz"]:
            offset = timedelta(hours=int(g["tzh"]), minutes=int(g["tzm"] or 0))
            tz = timezone(-offset if g["sign"] == "-" else offset)
        moment = datetime(day.year, day.month, day.day, int(g["hour"]), int(g["minute"]), int(g["second"]),
                          fraction, tz)
        return moment.isoformat()
    except ValueError:
        return text
