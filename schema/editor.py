"""The JSON Schema as editors read it (yaml-language-server, VS Code, JetBrains).

Pydantic writes JSON Schema 2020-12. yaml-language-server validates with draft-07 semantics, so
the exported schema is draft-07: `$defs` becomes `definitions` (and every `$ref` follows), the
`discriminator` hint (OpenAPI, not JSON Schema) is dropped, and a `$ref` with sibling keywords
(ignored beside `$ref` in draft-07) moves into `allOf`. On top:

- `markdownDescription` beside every `description`, so backticks render as code in hovers;
- maps keyed by a component name are closed (`additionalProperties: false` beside their
  `patternProperties`) and environment names carry their pattern (`propertyNames`), so
  `services: {API: ...}` is flagged in the editor as it is by `validate`;
- `examples` on the fields people most often write first.

Only the presentation changes: a document is valid under the exported schema exactly when the
pydantic models accept its shape (tests/test_schema_editor.py checks the examples and generated specs).
"""
from __future__ import annotations

from typing import Any

from infracc.schema.types import ENV_RE

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# (definition or "#" for the root, property) -> examples shown by editors.
EXAMPLES: dict[tuple[str, str], list[Any]] = {
    ("#", "name"): ["shop"],
    ("#", "region"): ["eu-west-1", "us-east-1"],
    ("#", "domain"): ["shop.example.com"],
    ("Service", "image"): ["ghcr.io/acme/api:1.4.2", "nginx:1.27"],
    ("Service", "port"): [8080],
    ("Service", "health"): ["/healthz", {"command": ["celery", "inspect", "ping"]}],
    ("Service", "replicas"): [2, {"min": 2, "max": 10}],
    ("Service", "public"): [True, {"path": "/api", "cdn": True}],
    ("Service", "uses"): [["db", "cache", "uploads:write"]],
    ("Job", "schedule"): ["cron(0 3 * * ? *)", "rate(15 minutes)"],
    ("Database", "engine"): ["postgres", "mysql"],
    ("Function", "runtime"): ["python3.12", "nodejs20.x"],
    ("Function", "handler"): ["app.handler"],
}


def for_editors(schema: dict[str, Any]) -> dict[str, Any]:
    """The draft-07 editor schema for a pydantic 2020-12 `schema` (returns a new document)."""
    definitions = schema.get("$defs", {})
    out: dict[str, Any] = _convert({k: v for k, v in schema.items() if k != "$defs"})
    if definitions:
        out["definitions"] = {name: _convert(body) for name, body in definitions.items()}
    out["$schema"] = DRAFT_07
    # Environment names are checked by a validator, which pydantic cannot export.
    out["properties"]["environments"]["propertyNames"] = {"pattern": ENV_RE}
    for (where, prop), examples in EXAMPLES.items():
        node = out if where == "#" else out.get("definitions", {}).get(where)
        if node is None or prop not in node.get("properties", {}):
            raise KeyError(f"schema example for a field that does not exist: {where}.{prop}")
        node["properties"][prop]["examples"] = examples
    return out


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "discriminator":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = "#/definitions/" + value[len("#/$defs/"):]
        elif key in ("properties", "patternProperties", "definitions") and isinstance(value, dict):
            out[key] = {name: _convert(sub) for name, sub in value.items()}  # names, not keywords
        else:
            out[key] = _convert(value)
    if "$ref" in out and len(out) > 1:
        # draft-07 ignores every keyword beside `$ref`; wrapped, the description and default count
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    if isinstance(out.get("description"), str):
        out["markdownDescription"] = out["description"]
    if "patternProperties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out
