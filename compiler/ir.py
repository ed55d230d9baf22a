"""The intermediate representation: one resolved graph per environment.

`StackIR` holds stack facts and an ordered ``envs`` map. Each `EnvIR` wraps a networkx
DiGraph behind :class:`EnvGraph`, so passes and backends never call networkx directly.
Nodes are keyed ``kind.name`` (``service.api``); edges are `uses` connections. Passes attach
their decisions as typed fields (see :mod:`infracc.compiler.decisions`).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from infracc.compiler import decisions as d
from infracc.compiler import resolved as r
from infracc.compiler.diagnostics import Path
from infracc.schema.stack import Commitments, OffHours

# Outputs each kind exposes to placeholders and injected env vars; True marks secret outputs
# (a database/cache url embeds the password).
OUTPUTS: dict[str, dict[str, bool]] = {
    "database": {"host": False, "port": False, "name": False, "user": False, "password": True, "url": True},
    "cache": {"host": False, "port": False, "password": True, "url": True},
    "bucket": {"bucket": False, "arn": False},
    "queue": {"queue_url": False, "queue_arn": False},
    "service": {"url": False, "host": False, "port": False},
    "function": {"arn": False, "name": False},
}
# `uses` of a service injects only its URL (network access, no IAM).
INJECTED: dict[str, tuple[str, ...]] = {**{k: tuple(v) for k, v in OUTPUTS.items()}, "service": ("url",)}
MODES: dict[str, tuple[str, ...]] = {
    "bucket": ("read", "write", "read-write"),
    "queue": ("send", "consume", "send-consume"),
    "function": ("invoke",),
    "database": (),
    "cache": (),
    "service": (),
}
DEFAULT_MODE = {"bucket": "read-write", "queue": "send-consume", "function": "invoke"}
WORKLOAD_KINDS = ("service", "job")


class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)


class OutputRef(_Model):
    """A reference to another component's output, e.g. ``${db.url}``."""

    component: str
    output: str

    def __str__(self) -> str:
        return f"${{{self.component}.{self.output}}}"


class EnvVar(_Model):
    """One environment variable of a workload, as every backend must deliver it."""

    name: str
    segments: list[str | OutputRef]
    secret: bool = False
    source: Literal["literal", "placeholder", "injected", "secret"]
    origin: Path = ()

    @property
    def references(self) -> list[OutputRef]:
        return [s for s in self.segments if isinstance(s, OutputRef)]

    def literal(self) -> str | None:
        """The plain value when the variable has no references."""
        if self.source == "secret" or self.references:
            return None
        return "".join(s for s in self.segments if isinstance(s, str))


class UseRef(_Model):
    """A `uses` entry as written: kept even when unresolved so validation can point at it."""

    name: str
    mode: str | None
    origin: Path


class Component(_Model):
    id: str
    kind: str
    name: str
    section: str
    spec: Any = Field(description="the effective spec model for this environment (overrides merged)")
    origin: Path
    uses: list[UseRef] = Field(default_factory=list)
    env: list[EnvVar] = Field(default_factory=list)
    override_origin: Path | None = Field(None, description="path of this environment's override, when there is one")
    overridden: frozenset[str] = Field(default_factory=frozenset, description="top-level keys the override sets")
    resolved: r.Resolved | None = Field(None, description="the resolved model (resolve pass); backends read only this and the decisions")
    # Decisions, filled by passes.
    sizing: d.Sizing | None = None
    security: d.WorkloadSecurity | None = None
    encryption: d.Encryption | None = None
    retention: d.Retention | None = None
    optimization: d.Optimization | None = None
    cost: d.ComponentCost | None = None
    allowances: list[d.Allowance] = Field(default_factory=list)
    endpoint: d.Endpoint | None = None
    build: d.BuildPlan | None = None

    def where(self, *path: str | int) -> Path:
        """Spec path of a field as it applies in this environment: the override when it sets it.

        >>> c = Component(id="service.api", kind="service", name="api", section="services", spec=None,
        ...               origin=("services", "api"), override_origin=("services", "api", "overrides", "prod"),
        ...               overridden=frozenset({"cpu"}))
        >>> c.where("cpu"), c.where("memory")
        (('services', 'api', 'overrides', 'prod', 'cpu'), ('services', 'api', 'memory'))
        """
        if path and self.override_origin and path[0] in self.overridden:
            return (*self.override_origin, *path)
        return (*self.origin, *path)

    @property
    def env_name(self) -> str:
        """Prefix of the variables injected for this component: ``DB``, ``THUMB_STORE``."""
        return self.name.upper().replace("-", "_")


class Connection(_Model):
    source: str
    target: str
    mode: str | None
    origin: Path
    network: d.NetworkRule | None = None
    grant: d.Grant | None = None


class EnvSettings(_Model):
    name: str
    index: int
    size: str
    high_availability: bool
    region: str
    cidr: str
    approval: bool
    spot: bool
    account_id: str | None
    deletion_protection: bool
    is_last: bool
    origin: Path
    allow: list[Any] = Field(default_factory=list)
    off_hours: bool | OffHours | None = Field(None, description="as written; the levers pass decides the schedule")
    nat_gateway: bool | None = None
    commitments: Commitments | None = None


class EnvGraph:
    """The components of one environment and their `uses` connections."""

    def __init__(self) -> None:
        self._g = nx.DiGraph()
        # Components in spec order, and per kind: backends ask for them constantly.
        self._by_id: dict[str, Component] = {}
        self._by_kind: dict[str, list[Component]] = {}
        self._by_name: dict[str, Component] = {}

    def add_component(self, component: Component) -> None:
        self._g.add_node(component.id)
        self._by_id[component.id] = component
        self._by_kind.setdefault(component.kind, []).append(component)
        self._by_name[component.name] = component

    def connect(self, connection: Connection) -> None:
        self._g.add_edge(connection.source, connection.target, connection=connection)

    def component(self, node_id: str) -> Component:
        return self._by_id[node_id]

    def get(self, node_id: str) -> Component | None:
        return self._by_id.get(node_id)

    def by_name(self) -> dict[str, Component]:
        """Component name → component (names are unique across kinds)."""
        return self._by_name

    def components(self, *kinds: str) -> list[Component]:
        """Components in spec order, optionally of the given kinds."""
        if not kinds:
            return list(self._by_id.values())
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))
        return [c for c in self._by_id.values() if c.kind in kinds]

    def uses(self, node_id: str) -> list[Connection]:
        return [self._g.edges[node_id, t]["connection"] for t in self._g.successors(node_id)]

    def users(self, node_id: str) -> list[Connection]:
        return [self._g.edges[s, node_id]["connection"] for s in self._g.predecessors(node_id)]

    def connections(self) -> list[Connection]:
        return [data["connection"] for _, _, data in self._g.edges(data=True)]

    def topological_among(self, kind: str) -> list[Component]:
        """Components of one kind, used ones before their users along edges between them alone
        (validation refuses cycles among functions and among services), ties broken by id."""
        sub = self._g.subgraph([c.id for c in self.components(kind)]).reverse(copy=True)
        return [self.component(n) for n in nx.lexicographical_topological_sort(sub)]

    def topological(self) -> list[Component]:
        """Used components before their users, ties broken by id (deterministic).

        A cycle across kinds is valid (a worker invoking a function that calls the worker's
        URL); its members come together, in id order, where the cycle as a whole belongs."""
        reverse = self._g.reverse(copy=False)
        if nx.is_directed_acyclic_graph(reverse):
            return [self.component(n) for n in nx.lexicographical_topological_sort(reverse)]
        condensed = nx.condensation(reverse)
        members = condensed.graph["mapping"]
        groups: dict[int, list[str]] = {}
        for node, group in members.items():
            groups.setdefault(group, []).append(node)
        order = nx.lexicographical_topological_sort(condensed, key=lambda g: min(groups[g]))
        return [self.component(n) for g in order for n in sorted(groups[g])]

    def cycles(self, kind: str) -> list[list[str]]:
        """Simple cycles among components of one kind, each rotated to start at its smallest id."""
        sub = self._g.subgraph([c.id for c in self.components(kind)])
        found = []
        for cycle in nx.simple_cycles(sub):
            start = cycle.index(min(cycle))
            found.append(cycle[start:] + cycle[:start])
        return sorted(found)

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components())

    def __len__(self) -> int:
        return len(self._by_id)


class EnvIR(_Model):
    settings: EnvSettings
    graph: EnvGraph
    # Environment-level decisions.
    network: d.EnvNetwork | None = None
    edge: d.Edge | None = Field(None, description="public entry points (endpoints pass)")
    nodes: d.NodeGroup | None = Field(None, description="eks only: the managed node group")
    levers: d.EnvLevers | None = Field(None, description="off-hours schedule and commitments (levers pass)")
    cost: d.EnvCost | None = None
    controls: list[d.ControlDecision] = Field(default_factory=list)

    @property
    def name(self) -> str:
        return self.settings.name


class StackIR(_Model):
    name: str
    description: str | None
    owner: str | None
    region: str
    platform: str
    compliance: list[str]
    domain: str | None
    tags: dict[str, str]
    targets: list[str]
    source_dir: str = Field(description="directory of stack.yaml (absolute; never written into output)")
    file: str
    envs: dict[str, EnvIR]
    provided: set[str] = Field(default_factory=set, description="facts provided by passes that ran")

    def env_names(self) -> list[str]:
        return list(self.envs)
