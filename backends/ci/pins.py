"""Pinned GitHub Actions (`library/actions.json`): every `uses:` is a full commit SHA.

>>> uses("actions/checkout")
'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683'
>>> annotate("      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")
'      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2'
"""

import json
import re
from functools import lru_cache

from pydantic import ConfigDict, Field

from infracc.compiler.corecache import PrebuiltModel
from infracc.library import FOLDER

_USES = re.compile(r"^(?P<head>\s*(?:- )?uses: (?P<action>[\w./-]+)@(?P<sha>[0-9a-f]{40}))$")


class Pin(PrebuiltModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    version: str
    source: str = Field(min_length=10)


@lru_cache(maxsize=1)
def pins() -> dict[str, Pin]:
    text = (FOLDER / "actions.json").read_text(encoding="utf-8")
    return {name: Pin.model_validate(row) for name, row in json.loads(text)["actions"].items()}


def uses(action: str) -> str:
    return f"{action}@{pins()[action].sha}"


def annotate(line: str) -> str:
    """Append the version comment to a `uses:` line (YAML data cannot carry comments)."""
    match = _USES.match(line)
    if not match:
        return line
    return f"{match['head']} # {pins()[match['action']].version}"


def annotate_all(text: str) -> str:
    return "".join(annotate(line) + "\n" for line in text.splitlines())
