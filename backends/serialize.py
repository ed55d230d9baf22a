"""The one place generated data becomes text: sorted keys, stable formatting, final newline."""
from __future__ import annotations

import json
from typing import Any

import yaml


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


try:  # libyaml's emitter: the same bytes as the pure-Python one, many times faster
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeDumper as _Dumper

_OPTIONS = {"Dumper": _Dumper, "default_flow_style": False, "sort_keys": True, "allow_unicode": True,
            "width": 4096, "indent": 2}


def dump_yaml(data: Any, header: str | None = None) -> str:
    """YAML with sorted keys (deterministic); `header` becomes a leading comment."""
    text: str = yaml.dump(_sorted(data), **_OPTIONS)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text


def _sorted(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _sorted(data[k]) for k in sorted(data)}
    if isinstance(data, list | tuple):
        return [_sorted(v) for v in data]
    return data
