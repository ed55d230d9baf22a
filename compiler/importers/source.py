"""An input file of an importer: its text, the ruamel tree (positions kept) and plain data.

Positions come from the tree, as for stack.yaml, but also through YAML merge keys
(`<<: *anchor`, common in compose files): a merged key is located where the anchor wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from infracc.compiler.diagnostics import Diagnostic, Path
from infracc.compiler.loader import load_file
from infracc.compiler.sourcemap import SourceMap


@dataclass
class SourceFile:
    """One YAML input; `name` is how reports call it (relative to the imported folder)."""

    name: str
    source: SourceMap
    data: object

    def locate(self, path: Path) -> tuple[int, int]:
        """1-based (line, col) of the value at `path` (its key for mappings), else the deepest parent."""
        node: object = self.source.tree
        pos = (0, 0)
        if isinstance(node, CommentedMap | CommentedSeq):
            pos = (node.lc.line, node.lc.col)
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            node, pos = found
        return pos[0] + 1, pos[1] + 1


def _child(node: object, part: str | int) -> tuple[object, tuple[int, int]] | None:
    if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
        line, col = node.lc.item(part)
        return node[part], (int(line), int(col))
    if not isinstance(node, CommentedMap):
        return None
    for key in list(node.keys()):
        if key == part or str(key) == str(part):
            if key in node.lc.data:
                value = node[key]
                line, col = node.lc.key(key) if isinstance(value, CommentedMap | CommentedSeq) else node.lc.value(key)
                return value, (int(line), int(col))
            for merged in getattr(node, "merge", []):  # a key that came in through `<<:`
                inner = _child(merged[1] if isinstance(merged, tuple) else merged, part)
                if inner is not None:
                    return inner
            return node[key], (node.lc.line, node.lc.col)
    return None


def read(file: FsPath, name: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Load a YAML file (`data` is None when it cannot be used); problems (unreadable, syntax, duplicate keys) are the loader's diagnostics."""
    loaded = load_file(file)
    loaded.source.file = name
    return SourceFile(name, loaded.source, loaded.data), loaded.diagnostics
