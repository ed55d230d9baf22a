"""The one Jinja2 environment for prose-like outputs (runbooks, Dockerfiles)."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("infracc.library", "templates"),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False,
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
