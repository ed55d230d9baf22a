"""The one registry of diagnostic codes and policy rules (`infracc explain <ID>`).

Entries are data in ``library/catalogue/*.yaml``. Parsing that YAML with ruamel's pure-Python
parser took ~0.2 s of every run, so the entries are compiled once into
``library/catalogue/catalogue.json`` (`python -m infracc.compiler.catalogue` rewrites it;
``tests/test_catalogue.py`` fails when it is not up to date). Compiling validates every entry
with :class:`RuleSchema`; the JSON records the SHA-256 of each YAML source, and a run whose
YAML does not match (an entry edited without recompiling) reads and validates the YAML
itself, so a stale file is slow, never wrong. Registering an id twice raises: a silent
collision would make suppressions and allowances apply to the wrong rule.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

CATALOGUE_FILES = ("diagnostics.yaml", "policies.yaml")
COMPILED = "catalogue.json"

Severity = Literal["error", "warning", "note"]
Pack = Literal["baseline", "soc2", "gdpr", "cost"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One catalogue entry (validated by :class:`RuleSchema` when the catalogue is compiled)."""

    id: str
    title: str
    severity: Severity
    rationale: str
    fix: str
    # Policy rules only: which pack enables the rule, and the controls it implements.
    pack: Pack | None = None
    controls: list[str] = field(default_factory=list)
    # Policy rules a spec may relax with `allow`; the reason is then carried to the docs.
    allowable: bool = False
    # checkov ids this rule's allowance may suppress.
    checkov: list[str] = field(default_factory=list)
    # soc2: AWS Config managed rule identifiers that monitor the control, per component kind.
    config_rules: dict[str, list[str]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def rule_schema() -> type[BaseModel]:
    """The pydantic model every YAML entry must satisfy (built only when YAML is read)."""
    from pydantic import BaseModel, ConfigDict, Field

    class RuleSchema(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        id: str = Field(pattern=r"^IC-[A-Z][A-Z0-9]*-[0-9]{3}$")
        title: str
        severity: Severity
        rationale: str
        fix: str
        pack: Pack | None = None
        controls: list[str] = Field(default_factory=list)
        allowable: bool = False
        checkov: list[str] = Field(default_factory=list, description="checkov ids this rule's allowance may suppress")
        config_rules: dict[str, list[str]] = Field(default_factory=dict, description="AWS Config managed rules "
                                                   "monitoring the control, per component kind (`environment`: once)")

    return RuleSchema


class DuplicateRuleError(ValueError):
    pass


class Registry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, rule: Rule) -> None:
        if rule.id in self._rules:
            raise DuplicateRuleError(f"rule id {rule.id} is registered twice")
        self._rules[rule.id] = rule

    def get(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def ids(self) -> list[str]:
        return sorted(self._rules)


def _root() -> Path:
    # The package's own folder (not importlib.resources: importing it costs ~20 ms of a run).
    import infracc.library

    return Path(infracc.library.__file__).parent / "catalogue"


def _sources(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in CATALOGUE_FILES if (root / name).is_file()}


def _digests(sources: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(raw).hexdigest() for name, raw in sources.items()}


def compile_sources(sources: dict[str, bytes]) -> dict[str, Any]:
    """YAML sources → the compiled catalogue: every entry validated, in file order, with
    the digests of the sources it was built from."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    schema = rule_schema()
    rows: list[dict[str, Any]] = []
    for raw in sources.values():
        for item in yaml.load(raw.decode("utf-8")) or []:
            rows.append(schema.model_validate(item).model_dump(exclude_defaults=True))
    return {"sources": _digests(sources), "rules": rows}


def compiled_text(data: dict[str, Any]) -> str:
    """The bytes of catalogue.json (stable: the test compares them with a fresh compile)."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def registry() -> Registry:
    root = _root()
    sources = _sources(root)
    data: dict[str, Any] | None = None
    compiled = root / COMPILED
    if compiled.is_file():
        data = json.loads(compiled.read_text(encoding="utf-8"))
    if data is None or data.get("sources") != _digests(sources):
        data = compile_sources(sources)  # stale or missing: correct, only slower
    reg = Registry()
    for row in data["rules"]:
        reg.register(Rule(**row))
    return reg


def write_compiled() -> str:
    """Rewrite library/catalogue/catalogue.json from the YAML next to it; returns its path."""
    root = _root()
    target = root / COMPILED
    target.write_text(compiled_text(compile_sources(_sources(root))), encoding="utf-8")
    return str(target)


if __name__ == "__main__":  # python -m infracc.compiler.catalogue
    print(f"wrote {write_compiled()}")
