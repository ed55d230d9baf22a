"""The Terraform document of one environment, as plain data before CDKTF synthesizes it.

Each block is one of the project's own resource classes: a Terraform type, a stable logical
name derived from spec names, its attributes and the checkov suppressions it carries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from infracc.compiler.catalogue import registry


def label(*parts: str) -> str:
    """Terraform logical name from spec names: ``label("api", "tg") == "api_tg"``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", "_".join(p for p in parts if p))


def expr(type_: str, name: str, attr: str) -> str:
    return f"${{{type_}.{name}.{attr}}}"


@dataclass(frozen=True)
class Block:
    """One resource or data source (the resource class of a Terraform type)."""

    kind: str  # "resource" | "data"
    terraform_resource_type: str
    name: str
    attrs: dict[str, Any]
    skips: tuple[tuple[str, str], ...] = ()

    def synthesize_attributes(self) -> dict[str, Any]:
        out = dict(self.attrs)
        if self.skips:
            out["//"] = {"checkov": {"skip": [{"id": i, "comment": c} for i, c in self.skips]}}
        return out

    def ref(self, attr: str) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"${{{prefix}{self.terraform_resource_type}.{self.name}.{attr}}}"

    @property
    def address(self) -> str:
        return ("data." if self.kind == "data" else "") + f"{self.terraform_resource_type}.{self.name}"


def suppression(entry: str) -> list[tuple[str, str]]:
    """checkov skips a catalogue rule allows (``RULE`` or one check ``RULE:CHECK``), with the rule's rationale."""
    rule_id, _, only = entry.partition(":")
    rule = registry().get(rule_id)
    if rule is None:
        raise KeyError(f"{rule_id} is not in the policy catalogue")
    if only and only not in rule.checkov:
        raise KeyError(f"{rule_id} does not allow suppressing {only}")
    return [(check, f"{rule_id}: {rule.rationale}") for check in rule.checkov if not only or check == only]


@dataclass
class Document:
    blocks: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    # Terraform `locals`: a value every reference sees once per run (a generated credential is
    # written to two write-only arguments in the same apply; see stores.py).
    locals: dict[str, str] = field(default_factory=dict)
    # Input variables beyond `image_tag`: name → (type, default, description).
    variables: dict[str, tuple[str, Any, str]] = field(default_factory=dict)

    def resource(self, type_: str, name: str, attrs: dict[str, Any], skip: tuple[str, ...] = ()) -> Block:
        return self._add(Block("resource", type_, name, attrs, tuple(s for r in skip for s in suppression(r))))

    def data(self, type_: str, name: str, attrs: dict[str, Any]) -> Block:
        return self._add(Block("data", type_, name, attrs))

    def _add(self, block: Block) -> Block:
        if block.address in self.blocks:
            raise AssertionError(f"{block.address} emitted twice")
        self.blocks[block.address] = block
        return block

    def local(self, name: str, value: str) -> str:
        """Declare `local.<name>`; returns the reference expression."""
        if name in self.locals:
            raise AssertionError(f"local.{name} emitted twice")
        self.locals[name] = value
        return f"${{local.{name}}}"

    def output(self, name: str, value: str, description: str, sensitive: bool = False) -> None:
        self.outputs[name] = (value, description, sensitive)

    def tree(self, kind: str) -> dict[str, dict[str, Any]]:
        """``{type: {name: attributes}}`` of one block kind, as Terraform JSON nests them."""
        out: dict[str, dict[str, Any]] = {}
        for block in self.blocks.values():
            if block.kind == kind:
                out.setdefault(block.terraform_resource_type, {})[block.name] = block.synthesize_attributes()
        return out
