"""EnvGraph's own graph algorithms give what networkx gave (random graphs, hypothesis)."""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infracc.compiler import digraph
from infracc.compiler.ir import EnvGraph


@dataclass
class Comp:
    id: str
    kind: str
    name: str


@dataclass
class Conn:
    source: str
    target: str
    n: int


KINDS = ("service", "function", "database")


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[Comp], list[tuple[str, str]]]:
    count = draw(st.integers(1, 9))
    comps = [Comp(f"{draw(st.sampled_from(KINDS))}.c{i}", "", f"c{i}") for i in range(count)]
    for c in comps:
        c.kind = c.id.split(".")[0]
    order = draw(st.permutations(comps))
    ids = [c.id for c in comps]
    edges = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=20))
    return list(order), edges


def _both(comps: list[Comp], edges: list[tuple[str, str]]) -> tuple[EnvGraph, nx.DiGraph]:
    g, ref = EnvGraph(), nx.DiGraph()
    for c in comps:
        g.add_component(c)  # type: ignore[arg-type]
        ref.add_node(c.id)
    for i, (s, t) in enumerate(edges):
        conn = Conn(s, t, i)
        g.connect(conn)  # type: ignore[arg-type]
        ref.add_edge(s, t, connection=conn)
    return g, ref


# The networkx implementation EnvGraph had (compiler/ir.py before issue #14).
def ref_topological(ref: nx.DiGraph) -> list[str]:
    reverse = ref.reverse(copy=False)
    if nx.is_directed_acyclic_graph(reverse):
        return list(nx.lexicographical_topological_sort(reverse))
    condensed = nx.condensation(reverse)
    groups: dict[int, list[str]] = {}
    for node, group in condensed.graph["mapping"].items():
        groups.setdefault(group, []).append(node)
    order = nx.lexicographical_topological_sort(condensed, key=lambda g: min(groups[g]))
    return [n for g in order for n in sorted(groups[g])]


def ref_cycles(ref: nx.DiGraph, ids: list[str]) -> list[list[str]]:
    found = []
    for cycle in nx.simple_cycles(ref.subgraph(ids)):
        start = cycle.index(min(cycle))
        found.append(cycle[start:] + cycle[:start])
    return sorted(found)


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_envgraph_matches_networkx(graph: tuple[list[Comp], list[tuple[str, str]]]) -> None:
    comps, edges = graph
    g, ref = _both(comps, edges)
    assert [(c.source, c.target, c.n) for c in g.connections()] == [
        (s, t, d["connection"].n) for s, t, d in ref.edges(data=True)]
    for c in comps:
        assert g.uses(c.id) == [ref.edges[c.id, t]["connection"] for t in ref.successors(c.id)]
        assert g.users(c.id) == [ref.edges[s, c.id]["connection"] for s in ref.predecessors(c.id)]
    assert [c.id for c in g.topological()] == ref_topological(ref)
    for kind in KINDS:
        ids = [c.id for c in g.components(kind)]
        assert g.cycles(kind) == ref_cycles(ref, ids)
        sub = ref.subgraph(ids).reverse(copy=True)
        try:
            expected = list(nx.lexicographical_topological_sort(sub))
        except nx.NetworkXUnfeasible:
            with pytest.raises(digraph.CycleError):
                g.topological_among(kind)
        else:
            assert [c.id for c in g.topological_among(kind)] == expected


def test_long_acyclic_chain_is_linear() -> None:
    succ = {f"n{i:04d}": [f"n{i - 1:04d}"] if i else [] for i in range(3000)}
    assert digraph.simple_cycles(succ, key=str) == []
    assert digraph.lexicographic_topological(succ, key=str)[0] == "n2999"
