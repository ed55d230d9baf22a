"""Regular expressions compiled once, not by every process (issue #14).

A cold `infracc validate` compiled ~75 regular expressions while importing its modules and
their dependencies (PyYAML, pydantic, click, the secret scanner, the lexer of Jinja2 in
`compile`), ~18 ms of CPU in all: CPython parses and compiles every pattern in Python code
(`re._parser`, `re._compiler`) before handing the result to its C matcher. The result, the
matcher's program, is a list of integers that depends only on the pattern, its flags and the
Python version. So `make schema` (`python -m infracc.compiler.recache`) runs the commands users
time and stores the program of every pattern compiled while a module was being imported
(patterns built at run time from a spec are not stored) in `compiler/prebuilt_regex.py`, and
the `infracc` console script (`compiler/entry.py`) puts the stored patterns into the `re`
module's own cache before importing anything else: a later `re.compile` of the same pattern
and flags returns the pattern built from the stored program, the object `re.compile` would
have built.

The stored file records the exact Python version and the matcher's `MAGIC` number; with any
other interpreter nothing is installed and `re` compiles as usual (slower, never different).
`INFRACC_PREBUILT=0` turns it off too. `tests/test_recache.py` checks every stored program
against what this interpreter's compiler produces for the pattern.
"""
from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's C matcher (built in; `re` imported it already)
import importlib
import os
import re
import sys
from typing import Any

GENERATED = "infracc.compiler.prebuilt_regex"

# The commands whose import-time patterns are stored: what users run and time (`{example}` is
# each example's stack.yaml, `{out}` a temporary directory).
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


def install() -> int:
    """Put the stored patterns into `re`'s cache; how many (0: none stored for this Python)."""
    if os.environ.get("INFRACC_PREBUILT") == "0":
        return 0
    try:
        stored: Any = importlib.import_module(GENERATED)
    except Exception:  # noqa: BLE001 - missing or unreadable: `re` compiles as usual
        return 0
    if getattr(stored, "INTERPRETER", None) != _interpreter() or not isinstance(getattr(re, "_cache", None), dict):
        return 0
    cache: dict[Any, Any] = re._cache  # type: ignore[attr-defined]
    for pattern, flags, compiled_flags, code, groups, groupindex, indexgroup in stored.PATTERNS:
        key = (type(pattern), pattern, flags)
        if key not in cache:
            cache[key] = _sre.compile(pattern, compiled_flags, list(code), groups, groupindex, indexgroup)
    return len(stored.PATTERNS)


def program(pattern: str | bytes, flags: int) -> Entry:
    """What `re._compiler.compile` hands to `_sre.compile` for the pattern (CPython 3.11+)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (pattern, flags, flags | parsed.state.flags, tuple(int(c) for c in code), parsed.state.groups - 1, groupindex,
            tuple(indexgroup))


# ---------------------------------------------------------------------------------------------
# Build time


def _record(out_file: str, argv: list[str]) -> None:
    """Run one CLI command in this process and write, to `out_file`, every (pattern, flags) that
    `re` compiled while a module was being imported (not those a command builds at run time)."""
    import marshal

    original = re._compile  # type: ignore[attr-defined]
    seen: dict[tuple[str | bytes, int], None] = {}

    def recording(pattern: Any, flags: Any) -> Any:
        value = flags.value if isinstance(flags, re.RegexFlag) else flags
        if isinstance(pattern, str | bytes) and not value & re.DEBUG and _importing(sys._getframe(1)):
            seen.setdefault((pattern, value), None)
        return original(pattern, flags)

    re._compile = recording  # type: ignore[attr-defined]
    from infracc.compiler.cli import run

    sys.argv = ["infracc", *argv]
    try:
        run()
    except SystemExit:
        pass
    finally:
        re._compile = original  # type: ignore[attr-defined]
        with open(out_file, "wb") as f:
            marshal.dump(list(seen), f)


def _importing(frame: Any) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


def collect() -> list[tuple[str | bytes, int]]:
    """(pattern, flags) compiled at import by the `COMMANDS` on every example, each once."""
    import marshal
    import subprocess
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "INFRACC_PREBUILT"}
    env["INFRACC_PREBUILT"] = "0"  # the stored patterns themselves must not hide any compile
    found: dict[tuple[str | bytes, int], None] = {}
    with tempfile.TemporaryDirectory(prefix="infracc-recache-") as tmp:
        runs = []
        for command in COMMANDS:
            for example in EXAMPLES if any("{example}" in w for w in command) else ("",):
                out = str(Path(tmp) / f"out-{example}")
                runs.append([w.format(example=root / "examples" / example / "stack.yaml", out=out) for w in command])
        for i, argv in enumerate(runs):
            record = str(Path(tmp) / f"record-{i}")
            subprocess.run([sys.executable, "-c", "import sys; from infracc.compiler import recache; "
                            "recache._record(sys.argv[1], sys.argv[2:])", record, *argv],
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(record, "rb") as f:
                for pattern, flags in marshal.load(f):
                    found.setdefault((pattern, flags), None)
    return sorted(found, key=lambda k: (isinstance(k[0], bytes), repr(k[0]), k[1]))


def generate(patterns: list[tuple[str | bytes, int]]) -> str:
    out = ['"""Stored regular-expression programs (generated by `python -m infracc.compiler.recache`,',
           'run by `make schema`; do not edit). See `infracc/compiler/recache.py`."""',
           "# ruff: noqa: E501",
           "",
           f"INTERPRETER = {_interpreter()!r}",
           "",
           "# (pattern, flags as passed, flags compiled, program, groups, group index, index group)",
           'PATTERNS: "tuple[tuple[object, ...], ...]" = (']
    out += [f"    {program(pattern, flags)!r}," for pattern, flags in patterns]
    out += [")", ""]
    return "\n".join(out)


def target() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "prebuilt_regex.py")


def main() -> None:
    text = generate(collect())
    with open(target(), "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {target()} ({len(text)} bytes, {text.count(chr(10)) - 9} patterns)")


if __name__ == "__main__":  # pragma: no cover
    from infracc.compiler import recache  # this file is `__main__` here: use the package's module

    recache.main()
