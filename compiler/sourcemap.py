"""Turns a spec path into ``file:line:col`` using the loader's position tree (`yaml12.Pos`).

Scalars carry no position of their own; the parent container knows where each key and item
is, so every lookup asks the parent. A path that runs past the tree (a missing key) points at
the deepest container that exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from infracc.compiler.diagnostics import Path
from infracc.compiler.yaml12 import Mark, Pos


@dataclass
class SourceMap:
    file: str
    text: str
    tree: Pos | None = None
    _lines: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._lines = self.text.splitlines()

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `key` is true."""
        node = self.tree
        if node is None:
            return (1, 1)
        pos = node.mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            entry = entry_of(node, part) if node is not None and node.is_map else None
            if entry is not None:
                key_mark, value_mark, inner = entry
                # A block mapping value starts on the next line; its key names it better.
                block = inner is not None and inner.is_map and value_mark[0] != key_mark[0]
                pos = key_mark if (key and last) or (last and block) else value_mark
                node = inner
            elif node is not None and not node.is_map and isinstance(part, int) and 0 <= part < len(node.items):
                pos, node = node.items[part]
            else:
                break
        return (pos[0] + 1, pos[1] + 1)

    def line(self, lineno: int) -> str:
        return self._lines[lineno - 1] if 0 < lineno <= len(self._lines) else ""


def entry_of(node: Pos, part: object) -> tuple[Mark, Mark, Pos | None] | None:
    """The (key, value, inner) positions of a mapping's key; non-string YAML keys (`1:`,
    `true:`) reach us stringified from pydantic locations."""
    if part in node.keys:
        return node.keys[part]
    for k, entry in node.keys.items():
        if str(k) == part:
            return entry
    return None
