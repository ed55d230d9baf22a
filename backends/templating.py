"""The one Jinja2 environment for prose-like outputs (runbooks, Dockerfiles).

Compiling a template from its source is Python work (lexer, parser, code generator): about
0.1 s of CPU for the templates of one compile, every run. Compiled templates are cached as
Python caches its modules: marshalled code in `library/templates/__pycache__/`, next to the
sources, keyed by the template's path and checked against the source's checksum (Jinja2's
`FileSystemBytecodeCache`; its header carries the Jinja2 and Python versions, so an upgrade
recompiles). As with .pyc files, nothing is written when `sys.dont_write_bytecode` is set
(PYTHONDONTWRITEBYTECODE) or the folder is not writable: templates are then compiled as before.
The output is the same either way (tests/test_templating.py).
"""
from __future__ import annotations

import pickle
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
)
from jinja2.bccache import Bucket

CACHE_FOLDER = "__pycache__"


class _Cache(FileSystemBytecodeCache):
    """Jinja2's file cache, writing as Python writes .pyc files: only when allowed, and a
    folder that cannot be written is no error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):  # unreadable or truncated: compile it
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if sys.dont_write_bytecode:
            return
        try:
            Path(self.directory).mkdir(exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            return


def _cache() -> BytecodeCache | None:
    root = resources.files("infracc.library") / "templates"
    if not isinstance(root, Path) or not root.is_dir():  # e.g. installed as a zip: no folder to write
        return None
    return _Cache(str(root / CACHE_FOLDER), "%s.jinja2")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("infracc.library", "templates"),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False, bytecode_cache=_cache(),
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
