"""Reads `stack.yaml` into a round-trip tree (positions kept) and a plain-data copy.

Every failure is a diagnostic with a position: unreadable file, file too large, YAML syntax,
duplicate keys, a root that is not a mapping, and alias expansion beyond a bound (so a
"billion laughs" file fails fast instead of exhausting memory later).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from infracc.compiler.diagnostics import Diagnostic, Path, Severity, error
from infracc.compiler.sourcemap import SourceMap

MAX_BYTES = 1024 * 1024
# Nodes visited when expanding the tree into plain data; aliases count every time they are
# reached. A realistic 500-service stack stays far below this.
MAX_NODES = 200_000


class _TooLarge(Exception):
    def __init__(self, path: Path) -> None:
        self.path = path


@dataclass
class Loaded:
    data: dict[str, Any] | None  # the plain document (string keys are checked by the schema)
    source: SourceMap
    diagnostics: list[Diagnostic]


def load_file(file: str | FsPath) -> Loaded:
    file = FsPath(file)
    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            return _fail(name, "", "IC-YAML-004",
                         f"file is {size} bytes; the limit is {MAX_BYTES} bytes (1 MiB)",
                         "split the stack or remove generated content")
        raw = file.read_bytes()
    except OSError as exc:
        return _fail(name, "", "IC-YAML-006", f"cannot read file: {exc.strerror or exc}",
                     "check the path and permissions")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fail(name, "", "IC-YAML-006", f"file is not UTF-8 (byte {exc.start})",
                     "save the file as UTF-8")
    return load_text(text, name)


def load_text(text: str, name: str = "stack.yaml") -> Loaded:
    if len(text.encode("utf-8")) > MAX_BYTES:
        return _fail(name, "", "IC-YAML-004", "document is larger than 1 MiB", None)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        return _syntax(name, text, exc)
    except (YAMLError, RecursionError, ValueError) as exc:
        return _fail(name, text, "IC-YAML-001", f"invalid YAML: {exc}", None)
    source = SourceMap(name, text, tree)
    if not isinstance(tree, CommentedMap):
        found = "an empty document" if tree is None else f"a {_yaml_type(tree)}"
        return Loaded(None, source, [error(
            "IC-YAML-003", f"the document root must be a mapping, found {found}",
            (), "start with `infracc: 1` and `name: <stack>`")])
    try:
        data = _plain(tree, (), [0], set())
        assert isinstance(data, dict)  # `_plain` turns the root CommentedMap into a dict
    except _TooLarge as exc:
        return Loaded(None, source, [error(
            "IC-YAML-005", f"alias expansion exceeds {MAX_NODES} nodes",
            exc.path, "anchors and aliases may only be used for small, shared fragments")])
    except RecursionError:
        return Loaded(None, source, [error("IC-YAML-005", "document nests too deeply", (), None)])
    return Loaded(data, source, [])


def _plain(node: object, path: Path, budget: list[int], active: set[int]) -> object:
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise _TooLarge(path)
    if isinstance(node, CommentedMap):
        if id(node) in active:  # a recursive alias (`&a [*a]`)
            raise _TooLarge(path)
        active.add(id(node))
        out = {_scalar(k): _plain(v, (*path, _step(_scalar(k))), budget, active) for k, v in node.items()}
        active.discard(id(node))
        return out
    if isinstance(node, CommentedSeq):
        if id(node) in active:
            raise _TooLarge(path)
        active.add(id(node))
        out_list = [_plain(v, (*path, i), budget, active) for i, v in enumerate(node)]
        active.discard(id(node))
        return out_list
    return _scalar(node)


def _scalar(value: object) -> object:
    # ruamel returns subclasses (ScalarFloat, ScalarInt, …); hand plain types to pydantic.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _step(key: object) -> str | int:
    """A mapping key as a spec path step (a key that is neither text nor a number is shown as text)."""
    return key if isinstance(key, str | int) else str(key)


def _yaml_type(value: object) -> str:
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _syntax(name: str, text: str, exc: MarkedYAMLError) -> Loaded:
    mark = exc.problem_mark or exc.context_mark
    position = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or str(exc).splitlines()[0]
    code, hint = "IC-YAML-001", "check indentation, quotes and `key: value` spacing"
    if "duplicate key" in str(exc).lower() or type(exc).__name__ == "DuplicateKeyError":
        code, hint = "IC-YAML-002", "each key may appear once in a mapping; merge the two entries"
        key = re.search(r'duplicate key "([^"]*)"', str(exc))
        problem = f"duplicate key `{key[1]}`" if key else "duplicate key"
    diag = Diagnostic(code, problem, (), Severity.ERROR, hint, position)
    return Loaded(None, SourceMap(name, text, None), [diag])


def _fail(name: str, text: str, code: str, message: str, hint: str | None) -> Loaded:
    diag = Diagnostic(code, message, (), Severity.ERROR, hint, (1, 1))
    return Loaded(None, SourceMap(name, text, None), [diag])
