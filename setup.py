"""Maps the four top-level code folders onto the `infracc` namespace.

`compiler/` installs as `infracc.compiler`, and likewise `schema/`, `backends/` and
`library/`; nothing installs a generic top-level module. Subpackages are discovered so that
adding a folder with an `__init__.py` needs no edit here.
"""
from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOTS = ("compiler", "schema", "backends", "library", "agents")
HERE = Path(__file__).parent


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for root in ROOTS:
        for init in sorted((HERE / root).rglob("__init__.py")):
            rel = init.parent.relative_to(HERE)
            name = "infracc." + ".".join(rel.parts)
            packages.append(name)
            package_dir[name] = rel.as_posix()
    return packages, package_dir


PACKAGES, PACKAGE_DIR = _packages()

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={name: ["*.json", "*.yaml", "*.j2", "*.md", "**/*.j2", "**/*.json", "**/*.yaml"] for name in PACKAGES},
    include_package_data=True,
)
