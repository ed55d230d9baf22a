"""Reads `stack.yaml` into plain data and a tree of positions (`yaml12`: libyaml, YAML 1.2).

Every failure is a diagnostic with a position: unreadable file, file too large, YAML syntax,
duplicate keys, a root that is not a mapping, and alias expansion beyond a bound (so a
"billion laughs" file fails fast instead of exhausting memory later).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from infracc.compiler import yaml12
from infracc.compiler.diagnostics import Diagnostic, Severity, error
from infracc.compiler.sourcemap import SourceMap

MAX_BYTES = 1024 * 1024
# Nodes visited when expanding the tree into plain data; aliases count every time they are
# reached. A realistic 500-service stack stays far below this.
MAX_NODES = 200_000


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
    try:
        node = yaml12.compose(text)
    except yaml12.MarkedYAMLError as exc:
        return _syntax(name, text, exc)
    except (yaml12.YAMLError, RecursionError, ValueError) as exc:
        return _fail(name, text, "IC-YAML-001", f"invalid YAML: {exc}", None)
    if node is None:
        data: object = None
        tree: yaml12.Pos | None = None
    else:
        try:
            data, tree = yaml12.Reader(MAX_NODES).read(node)
        except yaml12.TooLarge as exc:
            return Loaded(None, SourceMap(name, text, yaml12.positions(node)), [error(
                "IC-YAML-005", f"alias expansion exceeds {MAX_NODES} nodes",
                exc.path, "anchors and aliases may only be used for small, shared fragments")])
        except yaml12.DuplicateKey as exc:
            return Loaded(None, SourceMap(name, text, None), [Diagnostic(
                "IC-YAML-002", f"duplicate key `{exc.key}`", (), Severity.ERROR,
                "each key may appear once in a mapping; merge the two entries", (exc.mark[0] + 1, exc.mark[1] + 1))])
        except RecursionError:
            return Loaded(None, SourceMap(name, text, None), [error("IC-YAML-005", "document nests too deeply", (), None)])
    source = SourceMap(name, text, tree)
    if not isinstance(data, dict):
        found = "an empty document" if data is None else f"a {_yaml_type(data)}"
        return Loaded(None, source, [error(
            "IC-YAML-003", f"the document root must be a mapping, found {found}",
            (), "start with `infracc: 1` and `name: <stack>`")])
    return Loaded(data, source, [])


def _yaml_type(value: object) -> str:
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _syntax(name: str, text: str, exc: yaml12.MarkedYAMLError) -> Loaded:
    mark = exc.problem_mark or exc.context_mark
    position = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or str(exc).splitlines()[0]
    hint = "check indentation, quotes and `key: value` spacing"
    diag = Diagnostic("IC-YAML-001", problem, (), Severity.ERROR, hint, position)
    return Loaded(None, SourceMap(name, text, None), [diag])


def _fail(name: str, text: str, code: str, message: str, hint: str | None) -> Loaded:
    diag = Diagnostic(code, message, (), Severity.ERROR, hint, (1, 1))
    return Loaded(None, SourceMap(name, text, None), [diag])
