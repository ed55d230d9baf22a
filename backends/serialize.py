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
    """`json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)` and a newline.

    With `indent` set, the standard library encodes in Python (its C encoder is for compact
    output only), through a generator per container: ~1 s of a 200-service compile's
    Terraform JSON. `_json` writes the same text for plain data (str keys; dict, list, tuple,
    str, int, float, bool, None) with the C string escaper, in one recursive pass
    (tests/test_serialize.py compares both); anything else goes through `json.dumps`."""
    try:
        return _json(data, "\n") + "\n"
    except (_Other, RecursionError):
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_escape = json.encoder.encode_basestring  # the C function json.dumps uses with ensure_ascii=False


def _json(value: Any, newline: str) -> str:
    """`value` as json.dumps writes it at the indentation `newline` ("\n" + 2 spaces a level)."""
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + "  "
        if set(map(type, value)) != _ONLY_STR:
            raise _Other  # json.dumps turns other keys into text first
        return "{" + inner + ("," + inner).join(
            [_escape(k) + ": " + _json(value[k], inner) for k in sorted(value)]) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([_json(v, inner) for v in value]) + newline + "]"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is float:
        if value != value:
            return "NaN"
        if value == _INF_JSON:
            return "Infinity"
        if value == -_INF_JSON:
            return "-Infinity"
        return float.__repr__(value)
    raise _Other


_INF_JSON = float("inf")


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
_ONLY_STR = {str}


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
        if data and set(map(type, data)) != _ONLY_STR:  # in C: map(type) and set, no generator
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
