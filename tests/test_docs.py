"""Docs backend: Mermaid diagrams match the IR graph; the runbook names every component and alarm."""
from __future__ import annotations

import re

import pytest
from conftest import EXAMPLES, compiled, output_files

from infracc.compiler.graph_view import node_key

NODE = re.compile(r"^\s+(\w+)(?:\[|\(|>)")
EDGE = re.compile(r"^\s+(\w+) -->(?:\|([\w-]+)\|)? (\w+)$")


def _mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)


def _parse(block: str) -> tuple[set[str], set[tuple[str, str, str | None]]]:
    lines = block.splitlines()
    assert lines[0] == "flowchart LR"
    nodes = {m[1] for line in lines if (m := NODE.match(line))}
    edges = {(m[1], m[3], m[2]) for line in lines if (m := EDGE.match(line))}
    return nodes, edges


@pytest.mark.parametrize("example", EXAMPLES)
def test_mermaid_matches_ir(example: str) -> None:
    ir = compiled(example).ir
    blocks = _mermaid_blocks(output_files(example, "docs")["docs/architecture.md"])
    assert len(blocks) == len(ir.envs)
    for env, block in zip(ir.envs.values(), blocks, strict=True):
        nodes, edges = _parse(block)
        assert nodes - {"internet"} == {node_key(c.id) for c in env.graph}
        uses = {(node_key(c.source), node_key(c.target), c.mode) for c in env.graph.connections()}
        assert {e for e in edges if e[0] != "internet"} == uses


@pytest.mark.parametrize("example", EXAMPLES)
def test_runbook_names_every_component_and_alarm(example: str) -> None:
    ir = compiled(example).ir
    runbook = output_files(example, "docs")["docs/README.md"]
    for env in ir.envs.values():
        for comp in env.graph:
            assert f"`{comp.name}`" in runbook
            for alarm in comp.retention.alarms:
                assert f"| `{comp.name}` | `{alarm}` |" in runbook


@pytest.mark.parametrize("example", EXAMPLES)
def test_pages_per_environment_and_compliance(example: str) -> None:
    ir = compiled(example).ir
    files = output_files(example, "docs")
    for env in ir.envs:
        assert f"docs/{env}.md" in files
    runbook = files["docs/README.md"]
    for control in list(ir.envs.values())[-1].controls:
        assert f"| {control.rule} |" in runbook
    if "gdpr" in ir.compliance:
        assert "## GDPR data inventory" in runbook
    assert files["docs/architecture.dot"].startswith("digraph")
