"""The one place generated data becomes text: sorted keys, stable formatting, final newline.

YAML goes through PyYAML's safe dumper with libyaml's emitter. What that costs is Python:
PyYAML's representer (a node per value, looked up by type through the MRO, with alias
bookkeeping) and its resolver (regular expressions per scalar, twice, to decide whether a
string needs quotes). That was ~1 ms per manifest, 12 s of a 500-service compile (issue #14).
`dump_yaml` therefore builds the node tree itself for the plain data the backends produce
(dict with text keys, list, tuple, str, int, float, bool, None), exactly as SafeRepresenter
builds it (same tags, values and styles; no aliases, as `_sorted` copies every container), and
memoizes the resolver, a pure function of the scalar's text here (no path resolvers). The C
emitter then writes the same bytes (tests/test_serialize.py compares both ways on random data
and every generated file). Any other value takes PyYAML's own path, as before.
"""
from __future__ import annotations

import io
import json
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


try:  # libyaml's emitter: the same bytes as the pure-Python one, many times faster
    from yaml import CSafeDumper as _Base
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeDumper as _Base

_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


class _Dumper(_Base):  # type: ignore[misc]  # PyYAML ships no types for its dumpers
    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        found = _RESOLVED.get(key)
        if found is None:
            found = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return found


_OPTIONS: dict[str, Any] = {"default_flow_style": False, "sort_keys": True, "allow_unicode": True,
                            "width": 4096, "indent": 2}
_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_INF = yaml.SafeDumper.inf_value


class _Other(Exception):
    """A value the fast path does not build: PyYAML's representer handles the document."""


def dump_yaml(data: Any, header: str | None = None) -> str:
    """YAML with sorted keys (deterministic); `header` becomes a leading comment."""
    try:
        node = _node(data)
    except _Other:
        text: str = yaml.dump(_sorted(data), Dumper=_Dumper, **_OPTIONS)
    else:
        stream = io.StringIO()
        dumper = _Dumper(stream, **_OPTIONS)
        try:
            dumper.open()
            dumper.serialize(node)
            dumper.close()
        finally:
            dumper.dispose()
        text = stream.getvalue()
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text


def _node(data: Any) -> Node:
    """SafeRepresenter's node for `data` (with `default_flow_style=False`, keys sorted)."""
    kind = type(data)
    if kind is str:
        return ScalarNode(_STR, data)
    if kind is dict:
        if not all(type(k) is str for k in data):
            raise _Other  # other key types: sorted and represented as PyYAML does
        return MappingNode(_MAP, [(ScalarNode(_STR, k), _node(data[k])) for k in sorted(data)], flow_style=False)
    if kind is list or kind is tuple:
        return SequenceNode(_SEQ, [_node(v) for v in data], flow_style=False)
    if kind is bool:
        return ScalarNode(_BOOL, "true" if data else "false")
    if kind is int:
        return ScalarNode(_INT, str(data))
    if data is None:
        return ScalarNode(_NULL, "null")
    if kind is float:
        return ScalarNode(_FLOAT, _float(data))
    raise _Other


def _float(data: float) -> str:
    """SafeRepresenter.represent_float's text."""
    if data != data:
        return ".nan"
    if data == _INF:
        return ".inf"
    if data == -_INF:
        return "-.inf"
    value = repr(data).lower()
    if "." not in value and "e" in value:
        value = value.replace("e", ".0e", 1)
    return value


def _sorted(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _sorted(data[k]) for k in sorted(data)}
    if isinstance(data, list | tuple):
        return [_sorted(v) for v in data]
    return data
