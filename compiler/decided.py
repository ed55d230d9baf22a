"""Typed access to pass decisions that a backend needs to be there.

`Component` and `EnvIR` declare every decision as ``X | None``: the field is empty until the
pass that fills it has run (and some decisions apply to some kinds only). A backend that runs
after the passes reads the decision through one of these functions instead of re-checking for
None at each use: each returns the precise type, or raises `DecisionMissing` naming the pass
that should have decided it (a usage error, like `resolved.ResolvedMissing`).
"""
from __future__ import annotations

from typing import TypeVar

from infracc.compiler import decisions as d
from infracc.compiler.ir import Component, Connection, EnvIR


class DecisionMissing(RuntimeError):
    """A backend asked for a decision that the pass deciding it has not made."""


T = TypeVar("T")


def _need(value: T | None, owner: str, what: str, decided_by: str) -> T:
    if value is None:
        raise DecisionMissing(f"{owner}: no {what} decision; the {decided_by} pass decides it")
    return value


def sizing(comp: Component) -> d.Sizing:
    return _need(comp.sizing, comp.id, "sizing", "sizing")


def security(comp: Component) -> d.WorkloadSecurity:
    """The hardening profile (workloads only)."""
    return _need(comp.security, comp.id, "security", "security")


def encryption(comp: Component) -> d.Encryption:
    """The encryption of a data store."""
    return _need(comp.encryption, comp.id, "encryption", "security")


def retention(comp: Component) -> d.Retention:
    return _need(comp.retention, comp.id, "retention", "security")


def optimization(comp: Component) -> d.Optimization:
    return _need(comp.optimization, comp.id, "optimization", "cost")


def tracing(comp: Component) -> d.Tracing:
    """The tracing decision of a service, job or function."""
    return _need(comp.tracing, comp.id, "tracing", "tracing")


def endpoint(comp: Component) -> d.Endpoint:
    """Where a public service or site answers."""
    return _need(comp.endpoint, comp.id, "endpoint", "endpoints")


def grant(conn: Connection) -> d.Grant:
    """The IAM grant of a `uses` edge to an AWS resource."""
    return _need(conn.grant, f"{conn.source} -> {conn.target}", "grant", "security")


def network(env: EnvIR) -> d.EnvNetwork:
    return _need(env.network, f"env {env.name}", "network", "sizing")


def nodes(env: EnvIR) -> d.NodeGroup:
    """The managed node group (eks platform only)."""
    return _need(env.nodes, f"env {env.name}", "node group", "sizing")


def edge(env: EnvIR) -> d.Edge:
    return _need(env.edge, f"env {env.name}", "edge", "endpoints")


def levers(env: EnvIR) -> d.EnvLevers:
    """Off-hours schedule and commitments."""
    return _need(env.levers, f"env {env.name}", "levers", "levers")


def cost(env: EnvIR) -> d.EnvCost:
    return _need(env.cost, f"env {env.name}", "cost", "cost")


# Kinds whose connection secret holds a credential: every workload that uses one reads it (a
# shared secret is its own: naming.shared_secret).
CREDENTIAL_SECRET_KINDS = ("database", "cache", "secret")
# Kinds whose connection secret holds only names and ARNs: only Kubernetes ExternalSecrets read it
# (ECS tasks and Lambda functions get those values as plain environment variables).
NAME_SECRET_KINDS = ("bucket", "queue", "table", "function")


def has_connection_secret(targets: list[str], comp: Component) -> bool:
    """Whether Terraform writes `comp`'s connection secret (naming.connection_secret): always
    for a database or cache, for the other kinds only when the Kubernetes manifests or the Helm
    chart are generated (nothing else reads them). Decided here once; Terraform, the estimate
    and the runbook read it."""
    if comp.kind in CREDENTIAL_SECRET_KINDS:
        return True
    return comp.kind in NAME_SECRET_KINDS and ("kubernetes" in targets or "helm" in targets)
