"""Maps the four top-level code folders onto the `infracc` namespace.

`compiler/` installs as `infracc.compiler`, and likewise `schema/`, `backends/` and
`library/`; nothing installs a generic top-level module. Subpackages are discovered so that
adding a folder needs no edit here.
"""
from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOTS = ("compiler", "schema", "backends", "library", "agents")
HERE = Path(__file__).parent


def _packages() -> tuple[list[str], dict[str, str]]:
    """Every folder under the roots: code packages (with `__init__.py`) and the data folders
    (templates, patterns, catalogue) as namespace packages, so their files install with them."""
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for root in ROOTS:
        if not (HERE / root).is_dir():
            continue
        folders = [HERE / root, *sorted(p for p in (HERE / root).rglob("*") if p.is_dir())]
        for folder in folders:
            rel = folder.relative_to(HERE)
            if any(part == "__pycache__" or part.startswith(".") for part in rel.parts):
                continue
            name = "infracc." + ".".join(rel.parts)
            packages.append(name)
            package_dir[name] = rel.as_posix()
    return packages, package_dir


PACKAGES, PACKAGE_DIR = _packages()

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={name: ["*.bin", "*.json", "*.yaml", "*.j2", "*.md", "**/*.j2", "**/*.json", "**/*.yaml"] for name in PACKAGES},
    include_package_data=True,
)
