"""Pydantic validation errors → diagnostics with spec paths and did-you-mean hints."""
from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from infracc.compiler.diagnostics import Diagnostic, Path, did_you_mean, error


def diagnostics_from(exc: ValidationError, data: Any, model: type[BaseModel],
                     prefix: Path = ()) -> list[Diagnostic]:
    """Convert `exc` (raised validating `data` against `model`) into diagnostics under `prefix`."""
    found: dict[Path, Diagnostic] = {}
    for err in exc.errors(include_url=False):
        path = _clean_loc(err["loc"], data)
        diag = _diagnostic(err, path, data, model, prefix)
        key = diag.origin
        if key in found and found[key].code == diag.code:
            continue
        found.setdefault(key, diag)
    return list(found.values())


def _diagnostic(err: dict, path: Path, data: Any, model: type[BaseModel], prefix: Path) -> Diagnostic:
    kind = err["type"]
    where = ".".join(str(p) for p in (*prefix, *path)) or "document"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, path[:-1], data)
        key = str(path[-1]) if path else "?"
        hint = did_you_mean(key, allowed) or (f"allowed keys: {', '.join(sorted(allowed))}" if allowed else None)
        return error("IC-SCHEMA-001", f"unknown key `{key}` in {'.'.join(map(str, (*prefix, *path[:-1]))) or 'the document root'}",
                     (*prefix, *path), hint)
    if kind == "missing":
        return error("IC-SCHEMA-002", f"missing required key `{path[-1]}` in {'.'.join(map(str, (*prefix, *path[:-1]))) or 'the document root'}",
                     (*prefix, *path), f"add `{path[-1]}:`")
    message = err["msg"].removeprefix("Value error, ")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"expected a mapping (`key: value` entries), found {_yaml_kind(err.get('input'))}"
    return error("IC-SCHEMA-003", f"{where}: {message}", (*prefix, *path), _value_hint(err))


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool | int | float):
        return f"the number/boolean `{value}`"
    return "a string" if isinstance(value, str) else "nothing" if value is None else type(value).__name__


def _value_hint(err: dict) -> str | None:
    ctx = err.get("ctx") or {}
    if err["type"] == "literal_error" and "expected" in ctx:
        choices = re.findall(r"'([^']*)'", str(ctx["expected"]))
        close = did_you_mean(err.get("input"), choices) if isinstance(err.get("input"), str) else None
        return close or f"expected {ctx['expected']}"
    if err["type"] == "list_type":
        value = err.get("input")
        return f"write a list, e.g. `[{value}]`" if isinstance(value, str) else "write a list, e.g. `[a, b]`"
    if err["type"] == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    return None


def _clean_loc(loc: tuple, data: Any) -> Path:
    """Drop union/discriminator tags pydantic inserts, keeping real keys and indexes."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part or part in ("str", "int", "bool", "float", "list", "dict")):
            continue  # a union tag such as 'Object', 'BucketTrigger' or 'function-after[...]'
        else:  # a missing key (the last part) or a path below a scalar
            out.append(part)
            node = None
    return tuple(out)


def _allowed_keys(model: type[BaseModel], path: Path, data: Any) -> set[str]:
    """Field names of the model reached by following `path` from `model`."""
    current: Any = model
    node = data
    for part in path:
        if isinstance(node, dict | list):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
        current = _step(current, part, node)
        if current is None:
            return set()
    if isinstance(current, type) and issubclass(current, BaseModel):
        return set(current.model_fields)
    return set()


def _step(tp: Any, part: str | int, node: Any) -> Any:
    tp = _unwrap(tp, node)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return _unwrap(field.annotation, node) if field else None
    origin = get_origin(tp)
    if origin in (dict, list):
        return _unwrap(get_args(tp)[-1], node)
    return None


def _unwrap(tp: Any, node: Any) -> Any:
    """Strip Optional/Annotated/unions, choosing the model branch when the data is a mapping."""
    for _ in range(8):
        args = get_args(tp)
        origin = get_origin(tp)
        if origin is None or origin in (dict, list):
            return tp
        candidates = [a for a in args if a is not type(None)]
        models = [a for a in candidates if _is_model(_strip(a))]
        if isinstance(node, dict) and models:
            if len(models) > 1:
                keyed = [m for m in models if set(_strip(m).model_fields) & set(node)]
                models = keyed or models
            tp = _strip(models[0])
        elif candidates:
            tp = candidates[0]
        else:
            return None
    return tp


def _strip(tp: Any) -> Any:
    while get_args(tp) and get_origin(tp) is not None and get_origin(tp) not in (dict, list) and hasattr(tp, "__metadata__"):
        tp = get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)
