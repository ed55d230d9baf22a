"""The one place generated data becomes text: sorted keys, stable formatting, final newline."""
from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.sort_base_mapping_type_on_output = True
    return yaml


def dump_yaml(data: Any, header: str | None = None) -> str:
    """YAML with sorted keys (deterministic); `header` becomes a leading comment."""
    buf = io.StringIO()
    _yaml().dump(_sorted(data), buf)
    text = buf.getvalue()
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text


def dump_yaml_all(documents: list[Any]) -> str:
    buf = io.StringIO()
    _yaml().dump_all([_sorted(d) for d in documents], buf)
    return buf.getvalue()


def _sorted(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _sorted(data[k]) for k in sorted(data)}
    if isinstance(data, list | tuple):
        return [_sorted(v) for v in data]
    return data
