"""Pydantic validation errors → diagnostics with spec paths and did-you-mean hints."""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from infracc.compiler.diagnostics import Diagnostic, Path, did_you_mean, error
from infracc.schema.components import KINDS
from infracc.schema.stack import Stack
from infracc.schema.types import ENV_RE


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


def _diagnostic(err: ErrorDetails, path: Path, data: Any, model: type[BaseModel], prefix: Path) -> Diagnostic:
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


def _value_hint(err: ErrorDetails) -> str | None:
    ctx = err.get("ctx") or {}
    if err["type"] == "literal_error" and "expected" in ctx:
        choices = re.findall(r"'([^']*)'", str(ctx["expected"]))
        given = err.get("input")
        close = did_you_mean(given, choices) if isinstance(given, str) else None
        return close or f"expected {ctx['expected']}"
    if err["type"] == "list_type":
        value = err.get("input")
        return f"write a list, e.g. `[{value}]`" if isinstance(value, str) else "write a list, e.g. `[a, b]`"
    if err["type"] == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    if err["type"] in ("model_type", "dict_type", "model_attributes_type"):
        return "write `key: value` entries under this key (see `infracc schema` for the keys it takes)"
    if err["type"].endswith(("_type", "_parsing")):
        return f"write {err['type'].split('_')[0]} here (see `infracc schema` for this field)"
    # A rule the field's own validator states in the message: the message says what to change.
    return "change the value as the message says (each field is described in `infracc schema`)"


def _clean_loc(loc: tuple[str | int, ...], data: Any) -> Path:
    """Drop union/discriminator tags pydantic inserts, keeping real keys and indexes."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 (dict and list index types differ)
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
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
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            node = node[part] if isinstance(part, int) and -len(node) <= part < len(node) else None
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


# ---------------------------------------------------------------------------------------
# Pruning: what is left of a spec once the parts with schema errors are taken out, so the
# semantic checks can still run over everything that did parse (see pipeline.analyze).

# Values that stand in for a required field that was missing or had to be removed. Every
# path filled with one of them is recorded as removed, so no check reports on it.
_FILL: dict[str, object] = {"image": "pruned:0", "runtime": "python3.12", "source": ".",
                            "handler": "pruned.handler", "infracc": 1, "name": "pruned"}
# The least a component of each section needs to validate: a stub that keeps its name and
# kind, so references to it still resolve (and are still checked for mode and outputs).
_STUB: dict[str, tuple[str, ...]] = {"services": ("image",), "jobs": ("image",),
                                     "functions": ("runtime", "source", "handler"), "sites": ("source",)}
_WORKLOAD = ("image", "build")  # the `exactly one of` pair of services and jobs
_MAX_ROUNDS = 12


@dataclass(frozen=True)
class Pruned:
    """A copy of the spec that validates, and the spec paths taken out or stood in for.

    A removed path of length 2 under a component section whose name is still in `data` is a
    stub; one whose name is gone had an invalid name. A removed section (length 1) means its
    component names are unknown.
    """

    data: dict[str, Any]
    stack: Stack
    removed: frozenset[Path]


def prune(exc: ValidationError, data: dict[str, Any]) -> Pruned | None:
    """Take out what `exc` (raised validating `data` as a Stack) found wrong, until it validates.

    Granularity: an unknown or invalid top-level key; one field of a component (one entry of
    its `env`, one field of one `overrides` entry); one field of an environment. A service or
    job that cannot stand without the removed field keeps its other fields with a stand-in
    image; any other component that cannot stand becomes a stub of its kind. None when
    nothing validates within a few rounds (a bug: every round removes something).
    """
    work = copy.deepcopy(data)
    removed: set[Path] = set()
    for _ in range(_MAX_ROUNDS):
        done: set[Path] = set()  # components and fields stubbed or removed in this round
        changed = False
        for err in exc.errors(include_url=False):
            changed |= _repair(work, err, removed, done)
        try:
            return Pruned(work, Stack.model_validate(work), frozenset(removed))
        except ValidationError as again:
            exc = again
        if not changed:
            return None
    return None


def _repair(work: dict[Any, Any], err: Mapping[str, Any], removed: set[Path], done: set[Path]) -> bool:
    path = _clean_loc(err["loc"], work)
    if not path:
        return False
    top = path[0]
    if top in KINDS:
        return _repair_component(work, path, err, removed, done)
    if top == "environments" and top in work:
        return _repair_environments(work, path, "[key]" in err["loc"], removed)
    if top in ("infracc", "name"):
        if work.get(top) == _FILL[top]:
            return False
        work[top] = _FILL[top]
    elif top in work:
        del work[top]
    else:
        return False
    removed.add((top,))
    return True


def _repair_component(work: dict[Any, Any], path: Path, err: Mapping[str, Any], removed: set[Path],
                      done: set[Path]) -> bool:
    section = path[0]
    entries = work.get(section)
    if len(path) == 1 or not isinstance(entries, dict):
        if (section,) in removed:
            return False
        work.pop(section, None)
        removed.add((section,))
        return True
    name = path[1]
    where = (section, name)
    if any(path[:n] in done for n in range(2, len(path) + 1)):
        return False  # this round already removed or stubbed it
    comp = entries.get(name)
    if "[key]" in err["loc"] or name not in entries:
        entries.pop(name, None)
        removed.add(where)
        done.add(where)
        return True
    if len(path) == 2 or not isinstance(comp, dict):
        done.add(where)
        return _stub(entries, section, name, comp, removed)
    field = path[2]
    missing = err["type"] == "missing" and len(path) == 3
    if field == "overrides" and len(path) >= 4 and isinstance(comp.get("overrides"), dict):
        done.add(_remove_override(comp["overrides"], path[3:], (*where, "overrides"), removed))
        return True
    if field == "env" and len(path) >= 4 and isinstance(comp.get("env"), dict) and path[3] in comp["env"]:
        del comp["env"][path[3]]
        gone: Path = (*where, "env", path[3])
    elif field in comp and not missing:
        del comp[field]
        gone = (*where, field)
    elif missing and field in _FILL and comp.get(field) != _FILL[field]:
        comp[field] = _FILL[field]
        gone = (*where, field)
    else:
        done.add(where)
        return _stub(entries, section, name, comp, removed)
    removed.add(gone)
    done.add(gone)
    return True


def _remove_override(overrides: dict[Any, Any], rest: Path, prefix: Path, removed: set[Path]) -> Path:
    """Remove one field of one environment's override, or one of its env entries; the whole
    entry when it is not a mapping. Returns the path removed."""
    env = rest[0]
    entry = overrides.get(env)
    if len(rest) >= 2 and isinstance(entry, dict) and rest[1] in entry:
        field = rest[1]
        if field == "env" and len(rest) >= 3 and isinstance(entry["env"], dict) and rest[2] in entry["env"]:
            del entry["env"][rest[2]]
            gone: Path = (*prefix, env, "env", rest[2])
        else:
            del entry[field]
            gone = (*prefix, env, field)
    else:
        overrides.pop(env, None)
        gone = (*prefix, env)
    removed.add(gone)
    return gone


def _stub(entries: dict[Any, Any], section: str | int, name: str | int, comp: Any, removed: set[Path]) -> bool:
    """A service or job first keeps its fields with a stand-in image (the `image`/`build`
    rule failed, or a required field is gone); then, or for any other kind, the component
    becomes a bare stub of its kind; a stub that still fails (a bug in `_STUB`) is removed."""
    where = (section, name)
    if where in removed:
        entries.pop(name, None)
        return True
    needs = _STUB.get(str(section), ())
    stand_in = isinstance(comp, dict) and comp.get("image") == _FILL["image"] and "build" not in comp
    if isinstance(comp, dict) and needs == ("image",) and not stand_in:
        for key in _WORKLOAD:
            comp.pop(key, None)
            removed.add((*where, key))
        comp["image"] = _FILL["image"]
        return True
    entries[name] = {key: _FILL[key] for key in needs}
    removed.add(where)
    return True


def _repair_environments(work: dict[Any, Any], path: Path, key_error: bool, removed: set[Path]) -> bool:
    envs = work["environments"]
    if len(path) == 1 or not isinstance(envs, dict):
        bad = [n for n in envs if not isinstance(n, str) or not re.match(ENV_RE, n)] if isinstance(envs, dict) else []
        for n in bad:
            del envs[n]
            removed.add(("environments", n))
        if not bad:  # not a mapping, or empty: the default environments stand in
            del work["environments"]
            removed.add(("environments",))
        return True
    env = path[1]
    if key_error:
        envs.pop(env, None)
    elif len(path) >= 3 and isinstance(envs.get(env), dict) and path[2] in envs[env]:
        del envs[env][path[2]]
        removed.add(("environments", env, path[2]))
        return True
    else:
        envs[env] = {}
    removed.add(("environments", env))
    return True
