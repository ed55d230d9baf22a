#!/usr/bin/env python3
"""Run `mypy --strict` over every module of the infracc packages (standard library + mypy).

    python tools/typecheck.py            # per-file error counts; fails on any error
    python tools/typecheck.py --verbose  # also print every error

The code folders `compiler/`, `schema/`, `backends/` and `library/` install as
`infracc.compiler` and so on through `setup.py` `package_dir` and an editable-install import
hook that mypy cannot follow. So this builds a throwaway tree, `.typecheck/infracc/<folder>`
symlinked to each folder, and runs mypy there on the whole tree. The gate is the whole tree:
one error in any module fails it (the per-module ratchet list it replaced reached every module).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("compiler", "schema", "backends", "library")
TREE = REPO / ".typecheck"

# Third-party modules that ship no type information; their imports are typed as Any.
UNTYPED = ("yaml", "yaml.*", "jsonschema", "jsonschema.*", "cdktf", "cdktf.*", "constructs",
           "constructs.*", "questionary", "questionary.*", "networkx", "networkx.*")

CONFIG = """\
[mypy]
python_version = 3.11
strict = True
namespace_packages = True
explicit_package_bases = True
cache_dir = .mypy_cache
show_error_codes = True
warn_unused_configs = True
# Pydantic models: positional `Field(default, ...)` defaults, validators, model_construct.
plugins = pydantic.mypy

[pydantic-mypy]
init_typed = False
init_forbid_extra = True
warn_required_dynamic_aliases = True

[mypy-{untyped}]
ignore_missing_imports = True
"""

ERROR = re.compile(r"^(?P<path>[^:\n]+\.py):\d+(?::\d+)?: error: ")


def build_tree(tree: Path = TREE) -> None:
    """`tree/infracc/<root>` -> `<repo>/<root>` for each code folder, and the mypy config."""
    package = tree / "infracc"
    package.mkdir(parents=True, exist_ok=True)
    for root in ROOTS:
        link = package / root
        target = REPO / root
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        link.symlink_to(target, target_is_directory=True)
    (tree / "mypy.ini").write_text(CONFIG.format(untyped=",".join(UNTYPED)), encoding="utf-8")


def run_mypy(tree: Path = TREE) -> tuple[int, str]:
    """Run mypy over the whole tree; returns (exit status, combined output)."""
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--strict",
               "--namespace-packages", "--explicit-package-bases", "--no-color-output",
               "--no-error-summary", "--hide-error-context"]
    command += [f"infracc/{root}" for root in ROOTS]
    env = dict(os.environ, MYPYPATH="")
    proc = subprocess.run(command, cwd=tree, capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def count_errors(output: str) -> Counter[str]:
    """Error count per file path (as mypy reports it, relative to the tree)."""
    counts: Counter[str] = Counter()
    for line in output.splitlines():
        match = ERROR.match(line)
        if match:
            counts[match.group("path").replace(os.sep, "/")] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="print every error")
    args = parser.parse_args(argv)

    try:
        import mypy  # noqa: F401
    except ImportError:
        print("typecheck: mypy is not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 2

    build_tree()
    status, output = run_mypy()
    counts = count_errors(output)
    if status not in (0, 1) or (status == 1 and not counts):
        print(output, file=sys.stderr)
        print(f"typecheck: mypy failed to run (exit {status})", file=sys.stderr)
        return 2

    if args.verbose:
        print(output, end="")
    width = max((len(p) for p in counts), default=0)
    for path, n in sorted(counts.items()):
        print(f"{path:<{width}}  {n:4d}")
    modules = sum(1 for root in ROOTS for _ in (REPO / root).rglob("*.py"))
    print(f"typecheck: {sum(counts.values())} strict errors in {len(counts)} files "
          f"({modules} modules checked, whole tree)")
    if counts:
        for line in output.splitlines():
            if ERROR.match(line):
                print("  " + line, file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
