"""Turns a spec path into ``file:line:col`` using the ruamel round-trip tree.

Scalars carry no position in ruamel; the parent container knows where each key and item
is, so every lookup asks the parent (``lc.value(key)``, ``lc.item(i)``). A path that runs
past the tree (a missing key) points at the deepest container that exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from infracc.compiler.diagnostics import Path


@dataclass
class SourceMap:
    file: str
    text: str
    tree: object = None
    _lines: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._lines = self.text.splitlines()

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `key` is true."""
        node = self.tree
        if not isinstance(node, CommentedMap | CommentedSeq):
            return (1, 1)
        pos = (node.lc.line, node.lc.col)
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, CommentedMap) and _has_key(node, part):
                name = _key(node, part)
                # A block mapping value starts on the next line; its key names it better.
                block = isinstance(node[name], CommentedMap) and node.lc.value(name)[0] != node.lc.key(name)[0]
                pos = node.lc.key(name) if (key and last) or (last and block) else node.lc.value(name)
                node = node[name]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                pos = node.lc.item(part)
                node = node[part]
            else:
                break
        return (pos[0] + 1, pos[1] + 1)

    def line(self, lineno: int) -> str:
        return self._lines[lineno - 1] if 0 < lineno <= len(self._lines) else ""


def _has_key(node: CommentedMap, part: object) -> bool:
    return part in node or (isinstance(part, str) and _coerced(node, part) is not None)


def _key(node: CommentedMap, part: object) -> object:
    return part if part in node else _coerced(node, part)


def _coerced(node: CommentedMap, part: object) -> object | None:
    # Non-string YAML keys (`1:`, `true:`) reach us stringified from pydantic locs.
    keys: list[object] = list(node)
    for k in keys:
        if str(k) == part:
            return k
    return None
