"""An input file of an importer: its text, the loader's position tree and plain data.

Positions come from the tree, as for stack.yaml, also through YAML merge keys (`<<: *anchor`,
common in compose files): the loader records a merged key where the anchor wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath

from infracc.compiler.diagnostics import Diagnostic, Path
from infracc.compiler.loader import load_file
from infracc.compiler.sourcemap import SourceMap, entry_of


@dataclass
class SourceFile:
    """One YAML input; `name` is how reports call it (relative to the imported folder)."""

    name: str
    source: SourceMap
    data: object

    def locate(self, path: Path) -> tuple[int, int]:
        """1-based (line, col) of the value at `path` (its key for mappings), else the deepest parent."""
        node = self.source.tree
        pos = node.mark if node is not None else (0, 0)
        for part in path:
            if node is None:
                break
            if node.is_map:
                entry = entry_of(node, part)
                if entry is None:
                    break
                key_mark, value_mark, node = entry
                pos = key_mark if node is not None else value_mark
            elif isinstance(part, int) and 0 <= part < len(node.items):
                pos, node = node.items[part]
            else:
                break
        return pos[0] + 1, pos[1] + 1


def read(file: FsPath, name: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Load a YAML file (`data` is None when it cannot be used); problems (unreadable, syntax, duplicate keys) are the loader's diagnostics."""
    loaded = load_file(file)
    loaded.source.file = name
    return SourceFile(name, loaded.source, loaded.data), loaded.diagnostics
