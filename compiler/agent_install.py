"""`infracc agent install`: copy the shipped agent definitions to where Claude Code finds them.

Claude Code reads subagents from `.claude/agents/<name>.md` in a project and from
`~/.claude/agents/` for the user (https://code.claude.com/docs/en/sub-agents; a project's copy wins over the user's).
The installed copy ends with a one-line HTML comment recording the SHA-256 of the text above
it: a file whose text still has that hash is infracc's own and is updated in place (a newer
infracc, a newer agent); a file without it, or edited since, is the user's and is left alone
unless `force`. Installing twice changes nothing.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MARK = re.compile(r"\n<!-- installed by infracc \S+ \(`infracc agent install`\); sha256 ([0-9a-f]{64}) -->\n\Z")


@dataclass(frozen=True)
class Outcome:
    path: Path
    status: str  # "written", "updated", "up to date", "kept (modified)", "overwritten"


def shipped() -> dict[str, str]:
    """Agent name → its definition (the `.md` files of `agents/`)."""
    folder = resources.files("infracc.agents")
    return {item.name[:-3]: item.read_text(encoding="utf-8")
            for item in sorted(folder.iterdir(), key=lambda p: p.name) if item.name.endswith(".md")}


def installed_text(text: str, version: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{text}\n<!-- installed by infracc {version} (`infracc agent install`); sha256 {digest} -->\n"


def unmodified(current: str) -> bool:
    """The file is a copy infracc installed and nobody edited since."""
    found = MARK.search(current)
    if found is None:
        return False
    body = current[:found.start()]
    return hashlib.sha256(body.encode("utf-8")).hexdigest() == found.group(1)


def install(folder: Path, version: str, force: bool = False) -> list[Outcome]:
    outcomes = []
    for name, text in shipped().items():
        path = folder / f"{name}.md"
        wanted = installed_text(text, version)
        if not path.exists():
            status = "written"
        else:
            current = path.read_text(encoding="utf-8")
            if current == wanted:
                outcomes.append(Outcome(path, "up to date"))
                continue
            if unmodified(current):
                status = "updated"
            elif force:
                status = "overwritten"
            else:
                outcomes.append(Outcome(path, "kept (modified)"))
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
        outcomes.append(Outcome(path, status))
    return outcomes
