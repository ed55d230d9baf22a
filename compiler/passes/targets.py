"""Targets pass: what a chosen target cannot express, reported from the spec (issue #11 item 4).

The backends translate the resolved model; a few requests they cannot express are warnings
(IC-TF-002, IC-K8S-001). Each of those is knowable from the resolved model and the decisions,
so this pass reports them and `validate` (which runs every pass and no backend) shows them
before `compile`. The backends still notice the same gaps when they translate (they must
leave the part out); `pipeline.emit` drops a backend diagnostic identical to one reported
here, and tests/test_one_run.py checks that `compile` adds no warning `validate` did not
report (examples and generated specs). Keep the messages here in step with the backends.

Not moved, because the spec does not decide them: IC-TF-001 (Node.js missing on the machine
that compiles) and the alarm guard of backends/terraform/ops.py (an alarm the security pass
chose whose metric the Terraform backend has no entry for: a bug between two tables, not a
property of a spec). Read-only: it provides the fact `targets`.
"""
from __future__ import annotations

from typing import Any

from infracc.compiler import resolved
from infracc.compiler.diagnostics import Diagnostic, warning
from infracc.compiler.ir import OUTPUTS, Component, EnvIR, EnvVar, OutputRef, StackIR

REQUIRES: frozenset[str] = frozenset({"resolved", "security"})
PROVIDES = frozenset({"targets"})

# Kinds whose outputs the Kubernetes manifests read from the connection secret Terraform
# writes (backends/kubernetes/config.py); other references must be in-cluster services.
_STORE_KINDS = ("database", "cache", "bucket", "queue", "table", "function")
# Kinds with a connection secret (credentials): functions get `<NAME>_SECRET_ARN` for them.
_CREDENTIAL_KINDS = tuple(kind for kind, outputs in OUTPUTS.items() if any(outputs.values()))


def targets(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for env in ir.envs.values():
        if "terraform" in ir.targets:
            out += _terraform(ir, env)
        if "kubernetes" in ir.targets or "helm" in ir.targets:
            out += _kubernetes(env)
    return list(dict.fromkeys(out))


# --- terraform ------------------------------------------------------------------------------

def _unsupported(comp: Component, what: str) -> Diagnostic:
    """As `backends/terraform/context.Env.unsupported` words it."""
    return warning("IC-TF-002", f"terraform: {what} for {comp.kind} `{comp.name}` is not generated in this version",
                   comp.origin, "deploy it by other means or use another target")


def _terraform(ir: StackIR, env: EnvIR) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for comp in env.graph.components("function"):
        out += _function_env(env, comp)
    if ir.platform == "ecs":
        for comp in env.graph.components("service", "job"):
            for var in comp.env:
                if var.secret and var.source != "secret" and not _whole_reference(var):
                    out.append(_unsupported(comp, f"secret variable {var.name} mixing text and secret outputs"))
    return out


def _whole_reference(var: EnvVar) -> bool:
    """ECS takes a secret variable from one key of a connection secret: the value must be
    exactly one reference (backends/terraform/containers.secret_source)."""
    refs = var.references
    return len(refs) == 1 and var.segments == [refs[0]]


def secret_arn_variable(name: str) -> str:
    """As backends/terraform/functions.secret_arn_variable names it."""
    return f"{name.upper().replace('-', '_')}_SECRET_ARN"


def _function_env(env: EnvIR, comp: Component) -> list[Diagnostic]:
    """Lambda variables cannot read Secrets Manager (backends/terraform/functions.environment)."""
    out: list[Diagnostic] = []
    generated = [secret_arn_variable(conn.target.split(".", 1)[1]) for conn in env.graph.uses(comp.id)
                 if conn.target.split(".", 1)[0] in _CREDENTIAL_KINDS]
    plain: set[str] = set()
    for var in comp.env:
        if var.source == "secret":
            generated.append(secret_arn_variable(var.name))
        elif var.secret:
            if var.source != "injected":
                out.append(_not_set(comp, var))
        else:
            plain.add(var.name)
    for name in dict.fromkeys(generated):
        if name in plain:
            out.append(_unsupported(comp, f"`{name}` with the ARN of a secret (`env` sets a variable of that name)"))
    return out


def _not_set(comp: Component, var: EnvVar) -> Diagnostic:
    refs = [r for r in var.references if r.output in ("password", "url")] or var.references
    ref = refs[0]
    return warning(
        "IC-TF-002", f"terraform: env `{var.name}` of function `{comp.name}` is not set: it takes the secret output "
        f"`{ref}`, and Lambda cannot read environment variables from Secrets Manager", var.origin,
        f"read key `{ref.output}` of the JSON secret whose ARN is in `{secret_arn_variable(ref.component)}` at "
        f"runtime (the function may read it), and remove `{var.name}` from `env`")


# --- kubernetes and helm ----------------------------------------------------------------------

def _kubernetes(env: EnvIR) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    by_name = env.graph.by_name()
    for comp in env.graph.components("service", "job"):
        out += _cluster_addresses(by_name, comp)
        spec = resolved.of(comp)
        if isinstance(spec, resolved.Service) and spec.stateful and spec.rollout.strategy != "rolling":
            out.append(warning("IC-K8S-001", f"`{comp.name}` is stateful: a StatefulSet cannot roll out "
                               f"`{spec.rollout.strategy}`; it is updated with a rolling update", comp.origin))
        if comp.security is not None and comp.security.needs_kubernetes_api:
            out.append(warning("IC-K8S-001", f"`{comp.name}` needs the Kubernetes API, but the IR does not say "
                               "which resources: no Role/RoleBinding is generated", comp.origin))
    return out


def _cluster_addresses(by_name: dict[str, Component], comp: Component) -> list[Diagnostic]:
    """A variable referring to something without an address inside the cluster is left out of
    the manifests (backends/kubernetes/config.plan_env): in a value that also reads a store's
    secret every such reference is reported, in a plain value the first."""
    out: list[Diagnostic] = []
    for var in comp.env:
        if var.source == "secret":
            continue
        templated = any(_kind(by_name, r) in _STORE_KINDS for r in var.references)
        for ref in var.references:
            if templated and _kind(by_name, ref) in _STORE_KINDS:
                continue
            if not _has_address(by_name, ref):
                out.append(warning("IC-K8S-001", f"`{var.name}` refers to `{ref}`, which has no address inside the "
                                   "cluster; the variable is left out of the Kubernetes manifests", var.origin))
                if not templated:
                    break
    return out


def _kind(by_name: dict[str, Component], ref: OutputRef) -> str | None:
    target = by_name.get(ref.component)
    return target.kind if target else None


def _has_address(by_name: dict[str, Component], ref: OutputRef) -> bool:
    target = by_name.get(ref.component)
    return target is not None and target.kind == "service" and resolved.service(target).port is not None
