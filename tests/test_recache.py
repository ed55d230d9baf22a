"""The stored regular-expression programs (compiler/recache.py, issue #14): each one is what this
interpreter's own compiler produces, they are used only by the interpreter that generated them,
and they cover what `validate` compiles while importing."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from infracc.compiler import prebuilt_regex, recache

ROOT = Path(__file__).resolve().parent.parent
SAME_PYTHON = recache._interpreter() == prebuilt_regex.INTERPRETER
needs_same_python = pytest.mark.skipif(not SAME_PYTHON, reason="stored for another Python: install() is a no-op here")


@needs_same_python
def test_every_stored_program_is_what_the_compiler_produces() -> None:
    assert len(prebuilt_regex.PATTERNS) > 50
    for entry in prebuilt_regex.PATTERNS:
        pattern, flags = entry[0], entry[1]
        assert recache.program(pattern, flags) == entry, pattern


@needs_same_python
def test_installed_patterns_are_the_compiled_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    from re import _compiler  # type: ignore[attr-defined]

    monkeypatch.setattr(re, "_cache", {})
    monkeypatch.delenv("INFRACC_PREBUILT", raising=False)
    assert recache.install() == len(prebuilt_regex.PATTERNS)
    for pattern, flags, *_ in prebuilt_regex.PATTERNS:
        stored = re.compile(pattern, flags)
        assert stored is re._cache[type(pattern), pattern, flags]  # type: ignore[attr-defined]
        fresh = _compiler.compile(pattern, flags)
        assert (stored.pattern, stored.flags, stored.groups, dict(stored.groupindex)) == \
               (fresh.pattern, fresh.flags, fresh.groups, dict(fresh.groupindex))
    # and they match as compiled ones do (the programs are equal: this only shows they are used)
    words = re.compile(r"(?P<w>[a-z]+)-(\d+)")
    assert words.fullmatch("abc-12") is not None and words.fullmatch("abc-12").group("w") == "abc"


def test_another_interpreter_or_switched_off_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(re, "_cache", {})
    monkeypatch.setattr(prebuilt_regex, "INTERPRETER", ("cpython", (3, 99, 0, "final", 0), 0, 4))
    assert recache.install() == 0
    assert re._cache == {}  # type: ignore[attr-defined]
    monkeypatch.setattr(prebuilt_regex, "INTERPRETER", recache._interpreter())
    monkeypatch.setenv("INFRACC_PREBUILT", "0")
    assert recache.install() == 0
    assert re._cache == {}  # type: ignore[attr-defined]


@needs_same_python
def test_validate_compiles_nothing_at_import_that_is_not_stored(tmp_path: Path) -> None:
    """A module-level pattern added without `make schema` is compiled again by every process."""
    import marshal

    record = tmp_path / "record"
    subprocess.run([sys.executable, "-c", "import sys; from infracc.compiler import recache; "
                    "recache._record(sys.argv[1], sys.argv[2:])", str(record), "validate",
                    str(ROOT / "examples" / "three-tier" / "stack.yaml")],
                   check=True, capture_output=True, env={**_env(), "INFRACC_PREBUILT": "0"})
    recorded = set(marshal.loads(record.read_bytes()))
    assert len(recorded) > 50
    stored = {(p[0], p[1]) for p in prebuilt_regex.PATTERNS}
    assert recorded <= stored, f"not stored (run `make schema`): {sorted(map(repr, recorded - stored))[:5]}"


def test_generated_file_lists_patterns_in_a_stable_order() -> None:
    keys = [(isinstance(p[0], bytes), repr(p[0]), p[1]) for p in prebuilt_regex.PATTERNS]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "INFRACC_PREBUILT"}
