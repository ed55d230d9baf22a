"""Regular expressions and dataclass methods compiled once (compiler/precompiled.py, issue #14):
what is stored is what this interpreter compiles from the same text, it is used only by the
interpreter that stored it, and it covers what `validate` compiles while importing."""
from __future__ import annotations

import dataclasses
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infracc.compiler import prebuilt_regex, precompiled

ROOT = Path(__file__).resolve().parent.parent
SAME_PYTHON = precompiled._interpreter() == prebuilt_regex.INTERPRETER
needs_same_python = pytest.mark.skipif(not SAME_PYTHON, reason="stored for another Python: install() is a no-op here")


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "INFRACC_PREBUILT"}, **extra}


@needs_same_python
def test_every_stored_program_is_what_the_compiler_produces() -> None:
    assert len(prebuilt_regex.PATTERNS) > 50
    for entry in prebuilt_regex.PATTERNS:
        pattern, flags = entry[0], entry[1]
        assert precompiled.program(pattern, flags) == entry, pattern


@needs_same_python
def test_every_stored_code_object_is_what_compile_produces() -> None:
    functions = precompiled.stored_functions()
    assert len(functions) > 200
    for source, code in functions.items():
        assert marshal.loads(precompiled.code_of(source)) == marshal.loads(code), source


@needs_same_python
def test_installed_patterns_are_the_compiled_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    from re import _compiler  # type: ignore[attr-defined]

    monkeypatch.setattr(re, "_cache", {})
    monkeypatch.delenv("INFRACC_PREBUILT", raising=False)
    assert precompiled._install_patterns() == len(prebuilt_regex.PATTERNS)
    for pattern, flags, *_ in prebuilt_regex.PATTERNS:
        stored = re.compile(pattern, flags)
        assert stored is re._cache[type(pattern), pattern, flags]  # type: ignore[attr-defined]
        fresh = _compiler.compile(pattern, flags)
        assert (stored.pattern, stored.flags, stored.groups, dict(stored.groupindex)) == \
               (fresh.pattern, fresh.flags, fresh.groups, dict(fresh.groupindex))


# Every method of these dataclasses, as code objects: the same with the stored code as without.
_DUMP = """
import marshal, sys
from infracc.compiler import precompiled
if sys.argv[1] == "on":
    assert precompiled.install()[1] > 200
from infracc.compiler import catalogue, diagnostics, pipeline
import annotated_types, pydantic.fields
out = {}
for cls in (diagnostics.Diagnostic, catalogue.Rule, pipeline.Result, annotated_types.Interval, pydantic.fields.ComputedFieldInfo):
    for name, value in sorted(vars(cls).items()):
        if hasattr(value, "__code__"):
            out[f"{cls.__qualname__}.{name}"] = marshal.dumps(value.__code__)
sys.stdout.buffer.write(marshal.dumps(out))
"""


@needs_same_python
def test_dataclasses_get_the_code_they_would_compile() -> None:
    runs = {mode: marshal.loads(subprocess.run([sys.executable, "-c", _DUMP, mode], check=True, capture_output=True,
                                               env=_env()).stdout) for mode in ("on", "off")}
    assert len(runs["on"]) > 20 and runs["on"].keys() == runs["off"].keys()
    for name, dumped in runs["on"].items():  # (marshal bytes of equal code may differ in sharing)
        on, off = marshal.loads(dumped), marshal.loads(runs["off"][name])
        assert (on, on.co_filename, on.co_qualname) == (off, off.co_filename, off.co_qualname), name


def test_another_interpreter_or_switched_off_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(re, "_cache", {})
    monkeypatch.setattr(prebuilt_regex, "INTERPRETER", ("cpython", (3, 99, 0, "final", 0), 0, 4))
    assert precompiled._install_patterns() == 0
    assert re._cache == {}  # type: ignore[attr-defined]
    monkeypatch.setattr(precompiled, "_interpreter", lambda: ("cpython", (3, 99, 0, "final", 0), 0, 4))
    assert precompiled.stored_functions() == {}
    monkeypatch.setenv("INFRACC_PREBUILT", "0")
    assert precompiled.install() == (0, 0)
    assert "exec" not in vars(dataclasses)


def test_a_source_not_stored_compiles_as_before() -> None:
    code = ("from infracc.compiler import precompiled; precompiled.install()\n"
            "import dataclasses\n"
            "@dataclasses.dataclass(frozen=True)\n"
            "class Unusual:\n    field_nobody_else_has: int = 7\n"
            "u = Unusual(); print(u, u == Unusual(), type(vars(dataclasses).get('exec')).__name__,\n"
            "                     Unusual.__init__.__annotations__['field_nobody_else_has'] is int)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=_env()).stdout
    expected = "function" if SAME_PYTHON else "NoneType"
    # the annotations are the types, not strings: no `__future__` flag of infracc's leaks into it
    assert out.split() == ["Unusual(field_nobody_else_has=7)", "True", expected, "True"]


@needs_same_python
def test_validate_compiles_nothing_at_import_that_is_not_stored(tmp_path: Path) -> None:
    """A module-level pattern or dataclass added without `make schema` is compiled by every process."""
    record = tmp_path / "record"
    subprocess.run([sys.executable, "-c", "import sys; from infracc.compiler import precompiled; "
                    "precompiled._record(sys.argv[1], sys.argv[2:])", str(record), "validate",
                    str(ROOT / "examples" / "three-tier" / "stack.yaml")],
                   check=True, capture_output=True, env=_env(INFRACC_PREBUILT="0"))
    patterns, sources = marshal.loads(record.read_bytes())
    assert len(patterns) > 50 and len(sources) > 200
    stored = {(p[0], p[1]) for p in prebuilt_regex.PATTERNS}
    missing = {tuple(p) for p in patterns} - stored
    assert not missing, f"not stored (run `make schema`): {sorted(map(repr, missing))[:5]}"
    missing_sources = set(sources) - set(precompiled.stored_functions())
    assert not missing_sources, f"not stored (run `make schema`): {sorted(missing_sources)[:2]}"


def test_generated_patterns_are_in_a_stable_order() -> None:
    keys = [precompiled._pattern_order((p[0], p[1])) for p in prebuilt_regex.PATTERNS]  # type: ignore[arg-type]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@needs_same_python
def test_a_damaged_stored_pattern_stops_the_install_not_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    good = prebuilt_regex.PATTERNS[0]
    damaged = (good[0] + "-damaged", good[1], good[2], ("not", "a", "program"), good[4], good[5], good[6])
    monkeypatch.setattr(re, "_cache", {})
    monkeypatch.setattr(prebuilt_regex, "PATTERNS", (good, damaged))
    assert precompiled._install_patterns() == 1
    assert re.compile(good[0], good[1]) is re._cache[type(good[0]), good[0], good[1]]  # type: ignore[attr-defined]
