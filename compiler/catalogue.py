"""The one registry of diagnostic codes and policy rules (`infracc explain <ID>`).

Entries are data in ``library/catalogue/*.yaml``; each is validated by :class:`Rule` on load
and registered once. Registering an id twice raises: a silent collision would make
suppressions and allowances apply to the wrong rule.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

CATALOGUE_FILES = ("diagnostics.yaml", "policies.yaml")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^IC-[A-Z][A-Z0-9]*-[0-9]{3}$")
    title: str
    severity: Literal["error", "warning", "note"]
    rationale: str
    fix: str
    # Policy rules only: which pack enables the rule, and the controls it implements.
    pack: Literal["baseline", "soc2", "gdpr", "cost"] | None = None
    controls: list[str] = Field(default_factory=list)
    # Policy rules a spec may relax with `allow`; the reason is then carried to the docs.
    allowable: bool = False
    checkov: list[str] = Field(default_factory=list, description="checkov ids this rule's allowance may suppress")


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

    def __iter__(self):
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def ids(self) -> list[str]:
        return sorted(self._rules)


@lru_cache(maxsize=1)
def registry() -> Registry:
    reg = Registry()
    root = resources.files("infracc.library") / "catalogue"
    yaml = YAML(typ="safe")
    for name in CATALOGUE_FILES:
        entry = root / name
        if not entry.is_file():
            continue
        for item in yaml.load(entry.read_text(encoding="utf-8")) or []:
            reg.register(Rule.model_validate(item))
    return reg
