"""`infracc mcp`: driven over stdio by the official SDK's own client."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

THREE_TIER = str(ROOT / "examples" / "three-tier" / "stack.yaml")
SERVER = StdioServerParameters(command=str(Path(sys.executable).parent / "infracc"), args=["mcp"])
BROKEN = "infracc: 1\nname: shop\nservices:\n  api:\n    image: nginx:1.27\n    uses: [dbb]\n"


def _session(scenario):
    async def run():
        async with Client(SERVER, read_timeout_seconds=300) as client:
            return await scenario(client)
    return asyncio.run(run())


def test_tools_and_resources_are_listed() -> None:
    async def scenario(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        return tools, resources, templates

    tools, resources, templates = _session(scenario)
    assert set(tools) == {"validate_spec", "compile", "estimate_cost", "explain_rule", "get_schema",
                          "diff_environments", "tasks"}
    assert all(t.description for t in tools.values())
    assert "infracc://schema/stack.schema.json" in resources and "infracc://examples/{name}" in templates


def test_validate_spec_returns_diagnostics_with_line_and_column() -> None:
    async def scenario(client):
        bad = await client.call_tool("validate_spec", {"text": BROKEN})
        good = await client.call_tool("validate_spec", {"path": THREE_TIER})
        neither = await client.call_tool("validate_spec", {})
        return bad, good, neither

    bad, good, neither = _session(scenario)
    assert not bad.is_error and bad.structured_content["ok"] is False
    ref = next(d for d in bad.structured_content["diagnostics"] if d["code"] == "IC-REF-001")
    assert (ref["line"], ref["column"]) == (6, 12) and "db" in (ref["hint"] or ref["message"])
    assert good.structured_content["ok"] is True
    assert neither.is_error and "exactly one" in neither.content[0].text


def test_compile_cost_diff_tasks_explain_schema(tmp_path: Path) -> None:
    out = tmp_path / "out"

    async def scenario(client):
        calls = {
            "compile": ("compile", {"path": THREE_TIER, "out": str(out), "targets": ["docs"]}),
            "cost": ("estimate_cost", {"path": THREE_TIER, "env": "prod"}),
            "diff": ("diff_environments", {"path": THREE_TIER, "from_env": "staging", "to_env": "prod"}),
            "tasks": ("tasks", {"path": THREE_TIER, "env": "prod"}),
            "explain": ("explain_rule", {"code": "ic-gdpr-001"}),
            "schema": ("get_schema", {}),
            "bad_env": ("diff_environments", {"path": THREE_TIER, "from_env": "staging", "to_env": "qa"}),
        }
        results = {k: await client.call_tool(name, args) for k, (name, args) in calls.items()}
        results["resource"] = await client.read_resource("infracc://examples/three-tier")
        return results

    r = _session(scenario)
    assert r["compile"].structured_content["ok"] and "docs/README.md" in r["compile"].structured_content["files"]
    assert (out / "docs" / "README.md").is_file() and (out / "infracc.lock.json").is_file()
    assert r["cost"].structured_content["environments"]["prod"]["monthly"] > 0
    assert r["diff"].structured_content["cost"]["delta"] > 0
    assert r["tasks"].structured_content["tasks"][0]["kind"] == "bootstrap"
    assert r["explain"].structured_content["id"] == "IC-GDPR-001"
    assert r["schema"].structured_content["title"].startswith("infracc stack.yaml")
    assert r["bad_env"].is_error and "no environment 'qa'" in r["bad_env"].content[0].text
    assert "name: shop" in r["resource"].contents[0].text
    json.dumps(r["diff"].structured_content)                       # plain JSON all the way


def test_a_failing_tool_returns_the_diagnostics_as_structured_content(tmp_path: Path) -> None:
    """Issue #15: compile (or cost) of a spec with errors is a tool error whose structured content
    holds each diagnostic (code, severity, message, line, column, hint), not bare text."""
    spec = tmp_path / "stack.yaml"
    spec.write_text(BROKEN)

    async def scenario(client):
        return {
            "compile": await client.call_tool("compile", {"path": str(spec), "out": str(tmp_path / "out")}),
            "cost": await client.call_tool("estimate_cost", {"path": str(spec)}),
            "explain": await client.call_tool("explain_rule", {"code": "IC-NOPE-999"}),
        }

    r = _session(scenario)
    for key in ("compile", "cost"):
        result = r[key]
        assert result.is_error and result.structured_content["ok"] is False, key
        ref = next(d for d in result.structured_content["diagnostics"] if d["code"] == "IC-REF-001")
        assert {"code", "severity", "message", "line", "column", "hint"} <= set(ref)
        assert (ref["severity"], ref["line"], ref["column"]) == ("error", 6, 12)
        assert "Error executing tool" not in result.content[0].text
        assert f"{spec}:6:12: error[IC-REF-001]" in result.content[0].text
    assert not (tmp_path / "out").exists()
    explain = r["explain"]
    assert explain.is_error and explain.structured_content == {
        "ok": False, "error": "unknown code 'IC-NOPE-999'; `infracc explain --list` lists them", "diagnostics": []}
