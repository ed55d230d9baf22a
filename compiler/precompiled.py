"""Regular expressions and dataclass methods compiled once, not by every process (issue #14).

Two kinds of compilation ran in every cold `infracc` process while its modules and their
dependencies (PyYAML, pydantic, annotated-types, click, Jinja2 in `compile`) were imported, and
both produce a result that depends only on their input text and the Python version:

- regular expressions: ~75 patterns in `validate`, ~18 ms of CPU. CPython parses and compiles
  each one in Python code (`re._parser`, `re._compiler`) into a program, a list of integers,
  for its C matcher;
- dataclasses: `@dataclass` writes the source of `__init__`, `__repr__`, `__eq__`, ... and
  `exec`s it, ~270 compilations and ~28 ms of CPU in `validate` (~60 dataclasses, a third of
  them infracc's, the rest pydantic's and annotated-types').

`make schema` (`python -m infracc.compiler.precompiled`) runs the commands users time
(`COMMANDS` on every example) with both recorded, and stores what was compiled while a module
was being imported (never what a command builds at run time from a spec):

- `compiler/prebuilt_regex.py`: each pattern with its flags and program;
- `compiler/prebuilt_dataclass.bin`: each dataclass function source with its code object
  (`marshal`, the format of `.pyc` files).

The `infracc` console script (`compiler/entry.py`) calls `install()` before importing anything
else:

- the stored patterns go into the `re` module's own cache, so a later `re.compile` of the
  same pattern and flags returns the pattern built from the stored program: the object
  `re.compile` would have built;
- `dataclasses` gets an `exec` that runs the stored code object of a source it has stored, the
  code `compile` makes of that source, and compiles anything else as before.

Both files record the exact interpreter (implementation, version, the matcher's `MAGIC`); with
any other Python nothing is installed and everything compiles as usual (slower, never
different). `INFRACC_PREBUILT=0` turns both off. `tests/test_precompiled.py` checks every
stored program and code object against what this interpreter compiles from the same text.
"""
from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's C matcher (built in; `re` imported it already)
import builtins
import contextlib
import importlib
import marshal
import os
import re
import sys
from typing import Any

REGEX_MODULE = "infracc.compiler.prebuilt_regex"
DATACLASS_FILE = "prebuilt_dataclass.bin"

# The commands whose import-time compilations are stored: what users run and time (`{example}`
# is each example's stack.yaml, `{out}` a temporary directory).
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--version",),
    ("validate", "{example}"),
    ("cost", "{example}"),
    ("compile", "{example}", "-o", "{out}"),
)
EXAMPLES = ("microservices", "serverless", "three-tier")

Entry = tuple[str | bytes, int, int, tuple[int, ...], int, dict[str, int], tuple[str | None, ...]]


def _interpreter() -> tuple[Any, ...]:
    return (sys.implementation.name, tuple(sys.version_info), _sre.MAGIC, _sre.CODESIZE)


def install(dataclasses: bool = True) -> tuple[int, int]:
    """Install the stored patterns and (unless told not to) the dataclass code: how many of each
    (0: none for this Python)."""
    if os.environ.get("INFRACC_PREBUILT") == "0":
        return 0, 0
    return _install_patterns(), _install_dataclasses() if dataclasses else 0


def _install_patterns() -> int:
    try:
        stored: Any = importlib.import_module(REGEX_MODULE)
    except Exception:  # noqa: BLE001 - missing or unreadable: `re` compiles as usual
        return 0
    if getattr(stored, "INTERPRETER", None) != _interpreter() or not isinstance(getattr(re, "_cache", None), dict):
        return 0
    cache: dict[Any, Any] = re._cache  # type: ignore[attr-defined]
    installed = 0
    try:
        for pattern, flags, compiled_flags, code, groups, groupindex, indexgroup in stored.PATTERNS:
            key = (type(pattern), pattern, flags)
            if key not in cache:
                cache[key] = _sre.compile(pattern, compiled_flags, list(code), groups, groupindex, indexgroup)
            installed += 1
    except (TypeError, ValueError, RuntimeError):  # a damaged entry: `re` compiles the rest itself
        pass
    return installed


def _install_dataclasses() -> int:
    functions = stored_functions()
    if not functions:
        return 0
    import dataclasses

    if "exec" in vars(dataclasses):  # installed already (or someone else's): leave it
        return 0

    def stored_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(source) is str:
            stored = functions.get(source)
            code = None
            if stored is not None:
                with contextlib.suppress(EOFError, ValueError, TypeError):  # unreadable: compile it
                    code = marshal.loads(stored)
            # exec() of a text compiles it with its caller's `__future__` flags: dataclasses has none
            source = code if code is not None else compile(source, "<string>", "exec", dont_inherit=True)
        builtins.exec(source, globals, locals)

    dataclasses.exec = stored_exec  # type: ignore[attr-defined]  # shadows the builtin there only
    return len(functions)


def stored_functions() -> dict[str, bytes]:
    """Source → marshalled code object, when the stored file is this interpreter's; else {}."""
    try:
        with open(targets()[1], "rb") as f:
            data = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get("interpreter") != _interpreter():
        return {}
    functions: dict[str, bytes] = data.get("functions", {})
    return functions


def program(pattern: str | bytes, flags: int) -> Entry:
    """What `re._compiler.compile` hands to `_sre.compile` for the pattern (CPython 3.11+)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (pattern, flags, flags | parsed.state.flags, tuple(int(c) for c in code), parsed.state.groups - 1,
            groupindex, tuple(indexgroup))


def code_of(source: str) -> bytes:
    """The marshalled code object `exec(source)` runs when called from `dataclasses` (a module
    without `__future__` imports: no inherited compiler flags)."""
    return marshal.dumps(compile(source, "<string>", "exec", dont_inherit=True))


# ---------------------------------------------------------------------------------------------
# Build time


def _record(out_file: str, argv: list[str]) -> None:
    """Run one CLI command in this process and write, to `out_file`, every (pattern, flags) that
    `re` compiled, and every source `dataclasses` executed, while a module was being imported."""
    original = re._compile  # type: ignore[attr-defined]
    patterns: dict[tuple[str | bytes, int], None] = {}
    sources: dict[str, None] = {}

    def recording(pattern: Any, flags: Any) -> Any:
        value = flags.value if isinstance(flags, re.RegexFlag) else flags
        if isinstance(pattern, str | bytes) and not value & re.DEBUG and _importing(sys._getframe(1)):
            patterns.setdefault((pattern, value), None)
        return original(pattern, flags)

    def recording_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(source) is str:
            if _importing(sys._getframe(1)):
                sources.setdefault(source, None)
            source = compile(source, "<string>", "exec", dont_inherit=True)  # as dataclasses' exec would
        builtins.exec(source, globals, locals)

    re._compile = recording  # type: ignore[attr-defined]
    import dataclasses  # (after the hook: what it imports compiles patterns too)

    dataclasses.exec = recording_exec  # type: ignore[attr-defined]
    from infracc.compiler.cli import run

    sys.argv = ["infracc", *argv]
    try:
        run()
    except SystemExit:
        pass
    finally:
        re._compile = original  # type: ignore[attr-defined]
        del dataclasses.exec  # type: ignore[attr-defined]
        with open(out_file, "wb") as f:
            marshal.dump((list(patterns), list(sources)), f)


def _importing(frame: Any) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


def collect() -> tuple[list[tuple[str | bytes, int]], list[str]]:
    """What the `COMMANDS` compiled at import on every example: patterns and dataclass sources."""
    import subprocess
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "INFRACC_PREBUILT"}
    env["INFRACC_PREBUILT"] = "0"  # the stored compilations must not hide any
    patterns: dict[tuple[str | bytes, int], None] = {}
    sources: dict[str, None] = {}
    with tempfile.TemporaryDirectory(prefix="infracc-precompiled-") as tmp:
        runs = []
        for command in COMMANDS:
            for example in EXAMPLES if any("{example}" in w for w in command) else ("",):
                out = str(Path(tmp) / f"out-{example}")
                runs.append([w.format(example=root / "examples" / example / "stack.yaml", out=out) for w in command])
        for i, argv in enumerate(runs):
            record = str(Path(tmp) / f"record-{i}")
            subprocess.run([sys.executable, "-c", "import sys; from infracc.compiler import precompiled; "
                            "precompiled._record(sys.argv[1], sys.argv[2:])", record, *argv],
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(record, "rb") as f:
                found_patterns, found_sources = marshal.load(f)
            for key in found_patterns:
                patterns.setdefault(tuple(key), None)
            for source in found_sources:
                sources.setdefault(source, None)
    return sorted(patterns, key=_pattern_order), sorted(sources)


def _pattern_order(key: tuple[str | bytes, int]) -> tuple[bool, str, int]:
    return isinstance(key[0], bytes), repr(key[0]), key[1]


def generate_regex(patterns: list[tuple[str | bytes, int]]) -> str:
    out = ['"""Stored regular-expression programs (generated by `python -m infracc.compiler.precompiled`,',
           'run by `make schema`; do not edit). See `infracc/compiler/precompiled.py`."""',
           "# ruff: noqa: E501",
           "",
           f"INTERPRETER = {_interpreter()!r}",
           "",
           "# (pattern, flags as passed, flags compiled, program, groups, group index, index group)",
           'PATTERNS: "tuple[tuple[object, ...], ...]" = (']
    out += [f"    {program(pattern, flags)!r}," for pattern, flags in patterns]
    out += [")", ""]
    return "\n".join(out)


def generate_dataclasses(sources: list[str]) -> bytes:
    return marshal.dumps({"interpreter": _interpreter(), "functions": {s: code_of(s) for s in sources}})


def targets() -> tuple[str, str]:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "prebuilt_regex.py"), os.path.join(here, DATACLASS_FILE)


def main() -> None:
    patterns, sources = collect()
    regex_file, dataclass_file = targets()
    with open(regex_file, "w", encoding="utf-8") as f:
        f.write(generate_regex(patterns))
    with open(dataclass_file, "wb") as f:
        f.write(generate_dataclasses(sources))
    print(f"wrote {regex_file} ({len(patterns)} patterns) and {dataclass_file} ({len(sources)} dataclass functions)")


if __name__ == "__main__":  # pragma: no cover
    from infracc.compiler import (
        precompiled,  # this file is `__main__` here: use the package's module
    )

    precompiled.main()
