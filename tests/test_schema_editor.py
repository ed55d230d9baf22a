"""The exported JSON Schema is what editors use (issue #15): draft-07 for yaml-language-server,
`markdownDescription`, `examples`, closed name maps, and it accepts every valid spec.

The pydantic models stay the authority (`validate`); this checks that the editor schema agrees
with them on the examples and on generated valid specs, and flags what they refuse by shape.
"""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from ruamel.yaml import YAML
from specgen import stacks

from infracc.schema.editor import EXAMPLES
from infracc.schema.stack import json_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json_schema()
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _walk(node: Any, path: str = "#") -> Any:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(path.read_text(encoding="utf-8")))


def test_is_a_draft_07_schema_without_newer_keywords() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    text = json.dumps(SCHEMA)
    for newer in ('"$defs"', '"prefixItems"', '"unevaluatedProperties"', '"dependentRequired"', "#/$defs/"):
        assert newer not in text
    for path, node in _walk(SCHEMA):
        if "$ref" in node:
            assert list(node) == ["$ref"], f"{path}: keywords beside $ref are ignored in draft-07"
        if "description" in node and isinstance(node["description"], str):
            assert node.get("markdownDescription") == node["description"], path


@pytest.mark.parametrize("example", sorted(p.parent.name for p in (ROOT / "examples").glob("*/stack.yaml")))
def test_examples_are_valid_under_the_editor_schema(example: str) -> None:
    errors = [e.message for e in VALIDATOR.iter_errors(_load(ROOT / "examples" / example / "stack.yaml"))]
    assert errors == []


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(gen=stacks())
def test_generated_valid_specs_are_valid_under_the_editor_schema(gen: Any) -> None:
    data = YAML(typ="safe", pure=True).load(io.StringIO(gen.yaml()))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)] == []


def test_names_and_unknown_keys_are_flagged_in_the_editor() -> None:
    base = _load(ROOT / "examples" / "three-tier" / "stack.yaml")
    assert VALIDATOR.is_valid(base)
    upper = copy.deepcopy(base)
    upper["services"]["API"] = upper["services"].pop(next(iter(upper["services"])))
    assert not VALIDATOR.is_valid(upper)
    typo = copy.deepcopy(base)
    next(iter(typo["services"].values()))["replica"] = 2
    assert not VALIDATOR.is_valid(typo)
    env = copy.deepcopy(base)
    env["environments"]["Prod"] = {}
    assert not VALIDATOR.is_valid(env)


@pytest.mark.parametrize(("where", "prop"), sorted(EXAMPLES))
def test_each_example_is_valid_for_its_field(where: str, prop: str) -> None:
    node = SCHEMA if where == "#" else SCHEMA["definitions"][where]
    field = node["properties"][prop]
    assert field["examples"] == EXAMPLES[(where, prop)]
    sub = {**field, "definitions": SCHEMA["definitions"]}
    for value in field["examples"]:
        assert jsonschema.Draft7Validator(sub).is_valid(value), (where, prop, value)
