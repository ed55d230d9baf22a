"""The few graph algorithms `EnvGraph` needs, on plain adjacency dicts.

networkx took ~50 ms of every cold process (issue #14) for a graph of a few dozen nodes, so
`EnvGraph` keeps its own adjacency and uses these. Each function gives exactly what the
networkx call it replaced gave (tests/test_digraph.py compares them on random graphs):

- `lexicographic_topological`: `nx.lexicographical_topological_sort` (Kahn's algorithm taking
  the smallest ready node by key; the order is unique when keys are);
- `strongly_connected`: the components of `nx.condensation`;
- `simple_cycles`: the set of `nx.simple_cycles`, each cycle rotated to start at its
  smallest node (callers sort them).
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


class CycleError(ValueError):
    """A topological order was asked of a graph with a cycle (a bug: validation refuses them)."""


def lexicographic_topological(succ: Mapping[N, Iterable[N]], key: Callable[[N], str]) -> list[N]:
    """Every node after the nodes with an edge into it; among ready nodes the smallest key first
    (keys are unique here; were two equal, the earlier node would go first)."""
    indegree: dict[N, int] = dict.fromkeys(succ, 0)
    for node in succ:
        for child in succ[node]:
            indegree[child] += 1
    ready = [(key(n), i, n) for i, n in enumerate(succ) if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[N] = []
    position = {n: i for i, n in enumerate(succ)}
    while ready:
        _, _, node = heapq.heappop(ready)
        order.append(node)
        for child in succ[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (key(child), position[child], child))
    if len(order) != len(indegree):
        raise CycleError("graph contains a cycle")
    return order


def strongly_connected(succ: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """Strongly connected components (Tarjan, iterative), each in discovery order."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    stack: list[N] = []
    on_stack: set[N] = set()
    found: list[list[N]] = []
    counter = 0
    for root in succ:
        if root in index:
            continue
        work: list[tuple[N, list[N]]] = [(root, list(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            if children:
                child = children.pop(0)
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, list(succ[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[N] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def simple_cycles(succ: Mapping[N, Iterable[N]], key: Callable[[N], str]) -> list[list[N]]:
    """Every elementary cycle once, as the path from its smallest node (by `key`) along the edges.

    Only nodes of one strongly connected component can share a cycle, so the search runs per
    component (an acyclic graph costs one pass of Tarjan's algorithm)."""
    cycles: list[list[N]] = []
    for component in strongly_connected(succ):
        members = set(component)
        if len(component) == 1 and component[0] not in set(succ[component[0]]):
            continue
        rank = {n: key(n) for n in component}
        for start in sorted(component, key=lambda n: rank[n]):
            allowed = {n for n in members if rank[n] > rank[start]}
            path = [start]
            on_path = {start}
            work: list[list[N]] = [[c for c in succ[start] if c in members]]
            while work:
                if not work[-1]:
                    work.pop()
                    on_path.discard(path.pop())
                    continue
                child = work[-1].pop(0)
                if child == start:
                    cycles.append(list(path))
                elif child in allowed and child not in on_path:
                    path.append(child)
                    on_path.add(child)
                    work.append([c for c in succ[child] if c in members])
    return cycles
