"""Pydantic's validators without pydantic's schema generation on every run (issue #14).

Defining ~140 pydantic models cost every `infracc` process ~0.2 s of CPU, nearly all of it in
pydantic's Python code that turns each class into a *core schema* (the Rust validator built from
that schema takes a fraction of it). The core schemas are a function of the model sources only,
so they are generated once, here, into a Python module (`compiler/prebuilt_schemas.py`, written
by `python -m infracc.compiler.corecache`, run by `make schema`), and at run time each model's
validator and serializer are built straight from its stored schema:

- every model class derives from `PrebuiltModel`: declared with ``defer_build=True`` (the class
  is cheap to define), and given by `attach` a validator and a serializer that build `SchemaValidator` / `SchemaSerializer` from the stored schema the first time a
  model is validated or dumped: exactly what pydantic would have built, so validation, coercion
  and error messages are unchanged;
- the stored module records the versions of pydantic and pydantic-core that generated it and
  the SHA-256 of every source file its schemas depend on; when one differs (another pydantic
  installed, or a model edited without `make schema`), nothing is attached and pydantic builds
  its schemas itself: a stale file is slow, never wrong. `tests/test_corecache.py` fails when the
  committed file is not what this generator writes, and checks that stored and freshly built
  validators agree on valid and invalid stacks. `INFRACC_PREBUILT=0` turns the stored schemas
  off (pydantic builds every schema, as before).

What the stored schemas leave out: `metadata` (pydantic's JSON Schema hooks; the validator does
not read it: `model_json_schema()` still builds the full schema when asked). Functions and
classes are stored by import path and resolved on load.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

# Every module that defines models used at run time, in import order.
MODEL_MODULES: tuple[str, ...] = (
    "infracc.schema.models",
    "infracc.schema.components",
    "infracc.schema.stack",
    "infracc.compiler.decisions",
    "infracc.compiler.resolved",
    "infracc.compiler.ir",
    "infracc.compiler.library_data",
    "infracc.backends.ci.pins",
)
GENERATED = "infracc.compiler.prebuilt_schemas"
_REF_ID = re.compile(r":\d+$")
_WRAP_QUALNAME = "apply_known_metadata.<locals>._apply_constraint_with_incompatibility_info"


def constraint_wrap(value: Any, handler: Callable[[Any], Any]) -> Any:
    """Stands in for pydantic's local wrapper that applies a string constraint (a `pattern` after a
    before-validator) to an inner schema: the inner schema does the checking; a *type* error there
    means the constraint does not fit the field's type, which pydantic reports as a TypeError."""
    from pydantic_core import ValidationError

    try:
        return handler(value)
    except ValidationError as exc:
        if "type" in exc.errors()[0]["type"]:
            raise TypeError(f"a string constraint does not apply to {value!r}") from exc
        raise


# ---------------------------------------------------------------------------------------------
# Run time


class _Lazy:
    """`__pydantic_validator__` of a model until first used; then the model's validator is built
    from its stored schema (only this model's: a model nested in it is validated by the outer
    schema, which holds the nested one's, so its own validator is built only if it is used)."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type[BaseModel]) -> None:
        self._cls = cls

    def __getattr__(self, item: str) -> Any:
        _build_validator(self._cls)
        return getattr(self._cls.__dict__["__pydantic_validator__"], item)


class _LazySerializer(_Lazy):
    """`__pydantic_serializer__` of a model until the first dump of any model; then every model
    with a stored schema gets its serializer. All at once, because pydantic-core asks an
    instance's own class for its serializer when it sits in a field typed `Any`, so the
    serializer of any model that may have instances must be real before anything is dumped."""

    __slots__ = ()

    def __getattr__(self, item: str) -> Any:
        _build_serializers()
        return getattr(self._cls.__dict__["__pydantic_serializer__"], item)


def _build_validator(cls: type[BaseModel]) -> None:
    from pydantic_core import SchemaValidator

    mod = _prebuilt()
    assert mod is not None  # a _Lazy is attached only when the stored module is in use
    if isinstance(cls.__dict__.get("__pydantic_validator__"), _Lazy):
        schema, config = mod.SCHEMAS[_path(cls)](resolve, _model)
        type.__setattr__(cls, "__pydantic_validator__", SchemaValidator(schema, config))
        if _SERIALIZING:  # instances of it and of the models nested in it may appear now
            _build_serializers()


_SERIALIZING = False  # set by the first dump
_BUILDING: list[bool] = []  # non-empty while `_build_serializers` runs


def _build_serializers() -> None:
    """Serializers for every model defined so far. A model whose module is not imported yet has
    no instances; once something was dumped, this runs again whenever instances of a model
    defined since can appear: a validator is built (it creates its own model and those nested in
    it), or a stored schema constructs a default (`_model`)."""
    global _SERIALIZING
    if _BUILDING:  # called from a stored schema (`_model`) while serializers are being built
        return
    _SERIALIZING = True
    _BUILDING.append(True)
    try:
        mod = _prebuilt()
        assert mod is not None
        for path in mod.SCHEMAS:
            if path.partition(":")[0] in sys.modules:
                try:
                    cls = resolve(path)
                except AttributeError:  # its module is still being imported: not defined yet
                    continue
                _build_serializer(cls)
    finally:
        _BUILDING.clear()


def _build_serializer(cls: type[BaseModel]) -> None:
    from pydantic_core import SchemaSerializer

    mod = _prebuilt()
    if mod is not None and isinstance(cls.__dict__.get("__pydantic_serializer__"), _LazySerializer):
        schema, config = mod.SCHEMAS[_path(cls)](resolve, _model)
        type.__setattr__(cls, "__pydantic_serializer__", SchemaSerializer(schema, config))


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def resolve(path: str) -> Any:
    """`module:Qual.name` → the object."""
    module, _, qual = path.partition(":")
    obj: Any = sys.modules.get(module) or importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _model(path: str, fields: dict[str, Any], fields_set: Iterable[str]) -> BaseModel:
    cls: type[BaseModel] = resolve(path)
    if _SERIALIZING:
        _build_serializers()
    return cls.model_construct(_fields_set=set(fields_set), **fields)


_PREBUILT: Any = None


def _prebuilt() -> Any:
    """The stored module if it matches the sources, else None."""
    global _PREBUILT
    if _PREBUILT is None:
        found: Any = False
        if os.environ.get("INFRACC_PREBUILT") == "0":  # off: pydantic builds (tests, benchmarks)
            _PREBUILT = False
            return None
        try:
            found = importlib.import_module(GENERATED)
        except Exception:  # noqa: BLE001 - missing or unreadable: pydantic builds, as without it
            found = False
        else:
            if (getattr(found, "VERSIONS", None) != _versions()
                    or any(_sha(f) != digest for f, digest in getattr(found, "SOURCES", {"": ""}).items())):
                found = False
        _PREBUILT = found
    return _PREBUILT or None


def _versions() -> tuple[str, str]:
    """pydantic's and pydantic-core's versions: a schema generated by one is not for another."""
    import pydantic
    import pydantic_core

    return pydantic.VERSION, pydantic_core.__version__


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


def _sha(relative: str) -> str:
    try:
        return hashlib.sha256((_root() / relative).read_bytes()).hexdigest()
    except OSError:
        return ""


def attach(cls: type[BaseModel]) -> None:
    """Give a model class its stored validator and serializer (built on first use). Nothing
    happens when the stored file is missing or stale, or holds no schema for the class."""
    mod = _prebuilt()
    if mod is None or cls.__dict__.get("__pydantic_complete__") or _path(cls) not in mod.SCHEMAS:
        return
    type.__setattr__(cls, "__pydantic_validator__", _Lazy(cls))
    type.__setattr__(cls, "__pydantic_serializer__", _LazySerializer(cls))


class PrebuiltModel(BaseModel):
    """Base of infracc's models: defined without building a schema (``defer_build``), validated
    with the stored one (`attach`) or, without it, with the one pydantic builds on first use."""

    model_config = ConfigDict(defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        attach(cls)


# ---------------------------------------------------------------------------------------------
# Build time


def model_classes(module: str) -> list[type[BaseModel]]:
    """The models defined in `module`, in definition order."""
    mod = importlib.import_module(module)
    return [obj for obj in vars(mod).values()
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module]


class _Emitter:
    """Python source for the core schemas: literals as written, functions and classes by import
    path, pydantic's per-process ref ids replaced by a counter, and every large subtree made a
    function of its own, evaluated once per process and shared by all the schemas holding it."""

    SHARE = 300  # characters: a subtree at least this long becomes a shared function

    def __init__(self) -> None:
        self.refs: dict[str, str] = {}
        self.shared: dict[str, str] = {}  # source → function name
        self.functions: list[str] = []
        self.modules: set[str] = set()

    def ref(self, value: str) -> str:
        if value not in self.refs:
            self.refs[value] = f"{_REF_ID.sub('', value)}:{len(self.refs)}"
        return self.refs[value]

    def obj(self, value: Any, key: str) -> str:
        if isinstance(value, BaseModel):
            fields = {k: getattr(value, k) for k in type(value).model_fields}
            return (f"M({self.path(type(value))!r}, {self.emit(fields)}, "
                    f"{sorted(value.model_fields_set)!r})")
        return f"R({self.path(value)!r})"

    def path(self, value: Any) -> str:
        func = getattr(value, "__func__", None)
        owner = getattr(value, "__self__", None)
        if func is not None and isinstance(owner, type):  # a classmethod bound to its class
            path = f"{_path(owner)}.{func.__name__}"
        elif getattr(value, "__qualname__", None) == _WRAP_QUALNAME:
            path = "infracc.compiler.corecache:constraint_wrap"
        else:
            path = _path(value)
        if "<" in path:
            raise ValueError(f"{value!r} has no import path; define it at module level")
        found = resolve(path)
        if not (found is value or found == value or path.endswith(":constraint_wrap")):
            raise ValueError(f"{path} does not resolve to {value!r}")
        self.modules.add(path.partition(":")[0])
        return path

    def emit(self, node: Any, key: str = "") -> str:
        if node is None or isinstance(node, bool | int | str):
            return repr(node)
        if isinstance(node, float):
            return repr(node) if node == node and node not in (float("inf"), float("-inf")) \
                else f"float({str(node)!r})"
        if isinstance(node, dict):
            parts = []
            for k, value in node.items():
                if k == "metadata":
                    continue
                if k in ("ref", "schema_ref") and isinstance(value, str):
                    parts.append(f"{k!r}: {self.ref(value)!r}")
                else:
                    parts.append(f"{k!r}: {self.emit(value, k)}")
            return self.share("{" + ", ".join(parts) + "}")
        if isinstance(node, list):
            return self.share("[" + ", ".join(self.emit(v) for v in node) + "]")
        if isinstance(node, tuple):
            return "(" + "".join(self.emit(v) + ", " for v in node) + ")"
        if isinstance(node, frozenset | set):
            kind = "frozenset" if isinstance(node, frozenset) else "set"
            return f"{kind}([{', '.join(sorted(self.emit(v) for v in node))}])"
        return self.obj(node, key)

    def share(self, text: str) -> str:
        if len(text) < self.SHARE:
            return text
        name = self.shared.get(text)
        if name is None:
            name = f"_s{len(self.shared)}"
            self.shared[text] = name
            self.functions += ["", "", "@cache", f"def {name}(R: Any, M: Any) -> Any:",
                               f"    return {text}"]
        return f"{name}(R, M)"


def generate() -> str:
    from pydantic._internal._config import ConfigWrapper

    em = _Emitter()
    schemas: dict[str, str] = {}
    for module in MODEL_MODULES:
        em.modules.add(module)
        for cls in model_classes(module):
            if not cls.__pydantic_complete__:
                cls.model_rebuild(force=True)
            schema = em.emit(cls.__pydantic_core_schema__)
            config = em.emit(ConfigWrapper(cls.model_config).core_config(title=cls.__name__))
            schemas[_path(cls)] = f"({schema}, {config})"
    files = sorted({_source_file(m) for m in em.modules if m.startswith("infracc.")})
    root = _root()
    out = ['"""Stored pydantic core schemas of infracc\'s models (generated by',
           "`python -m infracc.compiler.corecache`, run by `make schema`; do not edit).",
           "",
           "See `infracc/compiler/corecache.py`: the schemas are used only while every file in",
           "SOURCES has the recorded SHA-256.",
           '"""',
           "# ruff: noqa: E501",
           "from __future__ import annotations",
           "",
           "from functools import cache",
           "from typing import Any",
           "",
           f"VERSIONS = {_versions()!r}  # pydantic, pydantic-core",
           "",
           "SOURCES = {",
           *(f"    {f!r}: {hashlib.sha256((root / f).read_bytes()).hexdigest()!r}," for f in files),
           "}",
           *em.functions,
           "",
           "",
           "# Each model's (core schema, core config).",
           "SCHEMAS = {"]
    out += [f"    {path!r}: lambda R, M: {text}," for path, text in schemas.items()]
    out.append("}")
    return "\n".join(out) + "\n"


def _source_file(module: str) -> str:
    """`infracc.schema.models` → `schema/models.py` (relative to the package root)."""
    file = Path(importlib.import_module(module).__file__ or "").resolve()
    return file.relative_to(_root()).as_posix()


def target() -> Path:
    return _root() / "compiler" / "prebuilt_schemas.py"


def main() -> None:
    text = generate()
    target().write_text(text, encoding="utf-8")
    print(f"wrote {target()} ({len(text)} bytes)")


if __name__ == "__main__":  # pragma: no cover
    from infracc.compiler import corecache  # this file is `__main__` here: use the package's module

    corecache.main()
