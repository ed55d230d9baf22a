"""The intermediate representation: one resolved graph per environment.

`StackIR` holds stack facts and an ordered ``envs`` map. Each `EnvIR` holds its components and
their connections in an :class:`EnvGraph` (plain adjacency dicts and `compiler.digraph`; networkx
cost ~50 ms of every cold process), so passes and backends never walk edges themselves.
Nodes are keyed ``kind.name`` (``service.api``); edges are `uses` connections and, to a
filesystem, `mounts` (mode `read` or `read-write`). Passes attach
their decisions as typed fields (see :mod:`infracc.compiler.decisions`).
"""

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import ConfigDict, Field

from infracc.compiler import decisions as d
from infracc.compiler import digraph
from infracc.compiler import resolved as r
from infracc.compiler.corecache import PrebuiltModel
from infracc.compiler.diagnostics import Path
from infracc.schema.stack import Budget, Commitments, OffHours

# Outputs each kind exposes to placeholders and injected env vars; True marks secret outputs
# (a database/cache url embeds the password).
OUTPUTS: dict[str, dict[str, bool]] = {
    "database": {"host": False, "port": False, "name": False, "user": False, "password": True, "url": True},
    "cache": {"host": False, "port": False, "password": True, "url": True},
    "bucket": {"bucket": False, "arn": False},
    "queue": {"queue_url": False, "queue_arn": False},
    "table": {"name": False, "arn": False},
    "service": {"url": False, "host": False, "port": False},
    "function": {"arn": False, "name": False},
    # An external dependency: where it is and the client settings the application enforces.
    "external": {"url": False, "host": False, "port": False, "timeout_ms": False, "retries": False,
                 "cb_failures": False, "cb_window_s": False, "cb_open_s": False},
    # A shared secret's value (Secrets Manager); injected as `<NAME>` (or the secret's `env`).
    "secret": {"value": True},
}
# `uses` of a service injects only its URL (network access, no IAM).
INJECTED: dict[str, tuple[str, ...]] = {**{k: tuple(v) for k, v in OUTPUTS.items()}, "service": ("url",)}
MODES: dict[str, tuple[str, ...]] = {
    "bucket": ("read", "write", "read-write"),
    "queue": ("send", "consume", "send-consume"),
    "table": ("read", "write", "read-write"),
    "function": ("invoke",),
    "database": (),
    "cache": (),
    "service": (),
    "external": (),
    "secret": (),
}
DEFAULT_MODE = {"bucket": "read-write", "queue": "send-consume", "table": "read-write", "function": "invoke"}
WORKLOAD_KINDS = ("service", "job")


class _Model(PrebuiltModel):
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


class MountRef(_Model):
    """A `mounts` entry as written (`fs:/path` or `{filesystem, path, read_only}`): kept even when
    the file system is unknown so validation can point at it."""

    filesystem: str
    path: str
    read_only: bool
    origin: Path

    @property
    def mode(self) -> str:
        """The mount edge's mode: `read` for a read-only mount, else `read-write`."""
        return "read" if self.read_only else "read-write"


class Component(_Model):
    id: str
    kind: str
    name: str
    section: str
    spec: Any = Field(description="the effective spec model for this environment (overrides merged)")
    origin: Path
    uses: list[UseRef] = Field(default_factory=list)
    mounts: list[MountRef] = Field(default_factory=list, description="`mounts` of a service, job (or, refused, function)")
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
    tracing: d.Tracing | None = Field(None, description="services, jobs, functions: the tracing decision (sizing pass)")
    trigger_grant: d.Grant | None = Field(None, description="functions triggered by a table's stream: what the "
                                          "function's role may do on `<table arn>/stream/*` (security pass)")

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
    access_point: d.AccessPoint | None = Field(None, description="mounts: the EFS access point (security pass)")


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
    preview: bool = Field(False, description="a per-pull-request template (spec `preview: true`), outside the promotion order")
    nat_gateway: bool | None = None
    commitments: Commitments | None = None
    budget: bool | Budget | None = Field(None, description="as written; the cost pass decides the budget")
    aws_config: Literal["create", "existing"] = Field("create", description="soc2: create the AWS Config recorder, or "
                                                      "use the account's existing one (rules only)")


class EnvGraph:
    """The components of one environment and their `uses` connections."""

    def __init__(self) -> None:
        # Adjacency as a directed graph keeps it: nodes in the order added, each node's
        # successors and predecessors in the order their edges were added (one edge per pair).
        self._succ: dict[str, dict[str, Connection]] = {}
        self._pred: dict[str, dict[str, Connection]] = {}
        # Components in spec order, and per kind: backends ask for them constantly.
        self._by_id: dict[str, Component] = {}
        self._by_kind: dict[str, list[Component]] = {}
        self._by_name: dict[str, Component] = {}

    def _node(self, node_id: str) -> None:
        if node_id not in self._succ:
            self._succ[node_id] = {}
            self._pred[node_id] = {}

    def add_component(self, component: Component) -> None:
        self._node(component.id)
        self._by_id[component.id] = component
        self._by_kind.setdefault(component.kind, []).append(component)
        self._by_name[component.name] = component

    def connect(self, connection: Connection) -> None:
        self._node(connection.source)
        self._node(connection.target)
        self._succ[connection.source][connection.target] = connection
        self._pred[connection.target][connection.source] = connection

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
        return list(self._succ[node_id].values())

    def users(self, node_id: str) -> list[Connection]:
        return list(self._pred[node_id].values())

    def connections(self) -> list[Connection]:
        return [c for targets in self._succ.values() for c in targets.values()]

    def _among(self, kind: str) -> dict[str, list[str]]:
        """The edges between components of one kind (source → targets)."""
        ids = [c.id for c in self.components(kind)]
        inside = set(ids)
        return {n: [t for t in self._succ[n] if t in inside] for n in ids}

    def topological_among(self, kind: str) -> list[Component]:
        """Components of one kind, used ones before their users along edges between them alone
        (validation refuses cycles among functions and among services), ties broken by id."""
        used_first: dict[str, list[str]] = {n: [] for n in self._among(kind)}
        for source, targets in self._among(kind).items():
            for target in targets:
                used_first[target].append(source)
        return [self.component(n) for n in digraph.lexicographic_topological(used_first, key=str)]

    def topological(self) -> list[Component]:
        """Used components before their users, ties broken by id (deterministic).

        A cycle across kinds is valid (a worker invoking a function that calls the worker's
        URL); its members come together, in id order, where the cycle as a whole belongs."""
        used_first: dict[str, list[str]] = {n: [] for n in self._succ}
        for source, targets in self._succ.items():
            for target in targets:
                used_first[target].append(source)
        groups = digraph.strongly_connected(used_first)
        group_of = {n: i for i, members in enumerate(groups) for n in members}
        condensed: dict[int, list[int]] = {i: [] for i in range(len(groups))}
        for node, after in used_first.items():
            for other in after:
                if group_of[other] != group_of[node] and group_of[other] not in condensed[group_of[node]]:
                    condensed[group_of[node]].append(group_of[other])
        first = {i: min(members) for i, members in enumerate(groups)}
        order = digraph.lexicographic_topological(condensed, key=first.__getitem__)
        return [self.component(n) for g in order for n in sorted(groups[g])]

    def cycles(self, kind: str) -> list[list[str]]:
        """Simple cycles among components of one kind, each rotated to start at its smallest id."""
        return sorted(digraph.simple_cycles(self._among(kind), key=str))

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
    aws_config: d.AwsConfig | None = Field(None, description="soc2: the AWS Config recorder and rules (aws_config pass)")

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
    tracing: Any = Field(None, description="the stack's `tracing` as written (the resolve pass folds it into each workload's)")
    targets: list[str]
    source_dir: str = Field(description="directory of stack.yaml (absolute; never written into output)")
    file: str
    envs: dict[str, EnvIR]
    provided: set[str] = Field(default_factory=set, description="facts provided by passes that ran")

    def env_names(self) -> list[str]:
        return list(self.envs)
