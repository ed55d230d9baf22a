"""Docs backend: Mermaid diagrams match the IR graph; the runbook names every component and alarm."""
from __future__ import annotations

import re

import pytest
from conftest import EXAMPLES, compiled, output_files

from infracc.compiler.graph_view import node_key

NODE = re.compile(r"^\s+(\w+)(?:\[|\(|>|\{)")  # rectangles, stadiums, cylinders, flags, hexagons
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
        outside = {"internet", "nlb", "xray"}  # the diagram's own nodes: entry points and the trace service
        assert nodes - outside == {node_key(c.id) for c in env.graph}
        uses = {(node_key(c.source), node_key(c.target), c.mode) for c in env.graph.connections()}
        assert {e for e in edges if e[0] not in outside and e[1] not in outside} == uses


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


def _runbook(region: str) -> str:
    from infracc.compiler.pipeline import analyze, emit

    result = analyze(text=f"infracc: 1\nname: tiny\nregion: {region}\nbuckets:\n  files: {{}}\n")
    assert result.ok
    emit(result, ["docs"])
    return next(t for p, t in result.files.items() if str(p) == "docs/README.md")


def _shell_lines(text: str) -> list[str]:
    """Every command of the runbook: lines of its shell blocks and inline code, `a && b` split."""
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S) for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return [c.strip() for line in lines for c in line.split(" && ") if c.strip()]


def test_state_bucket_in_us_east_1_is_created_without_location_constraint() -> None:
    """Issue #12: S3 rejects `LocationConstraint=us-east-1`; the runbook must leave it out there."""
    lines = _shell_lines(_runbook("us-east-1"))
    assert "aws s3api create-bucket --bucket tiny-tfstate --region us-east-1" in lines
    assert not any("LocationConstraint" in line for line in lines)


def test_state_bucket_elsewhere_is_created_in_the_stack_region() -> None:
    lines = _shell_lines(_runbook("eu-west-1"))
    assert ("aws s3api create-bucket --bucket tiny-tfstate --region eu-west-1 "
            "--create-bucket-configuration LocationConstraint=eu-west-1") in lines
    s3api = [line for line in lines if line.startswith("aws s3api")]
    assert [line.split()[2] for line in s3api] == ["create-bucket", "put-bucket-versioning", "put-bucket-encryption",
                                                   "put-public-access-block"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_runbook_names_no_placeholder_resource(example: str) -> None:
    """Names an operator types are spelled out, not `<stack>-<env>-…` patterns to fill in."""
    files = output_files(example, "docs")
    for text in files.values():
        for pattern in ("<stack>-<env>", "site_<name>", "REGISTRY/<repository>", "<repository-uri>"):
            assert pattern not in text, pattern
