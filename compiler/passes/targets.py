"""Targets pass: what a chosen target cannot express, refused from the spec (issues #11, #12).

The backends translate the resolved model; a few requests they cannot express (IC-TF-002,
IC-K8S-001, IC-CI-001) would leave a part out of the output while the spec and the runbook still
promise it. Each is knowable from the resolved model and the decisions, so this pass reports them
as errors and `validate` (which runs every pass and no backend) refuses the spec with the form
that can be generated. The backends still notice the same gaps when they translate (they must
leave the part out) and raise the same diagnostics from the builders here; `pipeline.emit` drops
a backend diagnostic identical to one reported here, and tests/test_one_run.py checks that
`compile` adds nothing `validate` did not report (examples and generated specs).

Not moved, because the spec does not decide them: IC-TF-001 (Node.js missing on the machine
that compiles) and the alarm guard of backends/terraform/ops.py (an alarm the security pass
chose whose metric the Terraform backend has no entry for: a bug between two tables, not a
property of a spec). Read-only: it provides the fact `targets`.
"""
from __future__ import annotations

from typing import Any

from infracc.compiler import resolved
from infracc.compiler.diagnostics import Diagnostic, error
from infracc.compiler.ir import OUTPUTS, Component, EnvIR, EnvVar, OutputRef, StackIR

REQUIRES: frozenset[str] = frozenset({"resolved", "security"})
PROVIDES = frozenset({"targets"})

# Kinds with a connection secret (credentials): functions get `<NAME>_SECRET_ARN` for them.
_CREDENTIAL_KINDS = tuple(kind for kind, outputs in OUTPUTS.items() if any(outputs.values()))


def targets(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if "ci" in ir.targets and (diag := preview_refused(ir)) is not None:
        out.append(diag)
    for env in ir.envs.values():
        if "terraform" in ir.targets:
            out += _terraform(ir, env)
        if "kubernetes" in ir.targets or "helm" in ir.targets:
            out += _kubernetes(env)
    return list(dict.fromkeys(out))


# --- ci ---------------------------------------------------------------------------------------

def preview_unsupported(ir: StackIR) -> str | None:
    """Why the CI backend cannot generate the preview workflow of this stack (None: it can)."""
    env = next((e for e in ir.envs.values() if e.settings.preview), None)
    if env is None:
        return "no environment has `preview: true`"
    if ir.platform != "ecs":
        return "preview environments need the ecs platform (eks releases run on a runner inside each VPC)"
    if "terraform" not in ir.targets:
        return "preview environments are deployed with Terraform; add `terraform` to `targets`"
    if env.graph.components("function", "site"):
        return "preview copies do not package functions or publish sites yet"
    return None


def preview_refused(ir: StackIR) -> Diagnostic | None:
    env = next((e for e in ir.envs.values() if e.settings.preview), None)
    why = preview_unsupported(ir) if env is not None else None
    if env is None or why is None:
        return None
    return error("IC-CI-001", f"environment `{env.name}` has `preview: true`, but its per-pull-request copies "
                 f"cannot be generated: {why}", (*env.settings.origin, "preview"),
                 "remove `preview: true` (or leave the ci target out), or change what the message names")


# --- terraform ------------------------------------------------------------------------------

def not_expressible(comp: Component, what: str) -> Diagnostic:
    """Also raised by `backends/terraform/context.Env.unsupported` when it leaves the part out."""
    return error("IC-TF-002", f"terraform cannot express {what} for {comp.kind} `{comp.name}`", comp.origin,
                 "change the spec so every part can be generated, or leave the terraform target out")


def mixed_secret(comp: Component, var: EnvVar) -> Diagnostic:
    """An ECS secret variable is one key of one secret (backends/terraform/containers.py)."""
    whole = next((f"`${{{r.component}.url}}`" for r in var.references if r.output in ("password", "user")), None)
    return error("IC-TF-002", f"terraform cannot express secret variable {var.name} mixing text and secret "
                 f"outputs for {comp.kind} `{comp.name}`: ECS injects a secret variable from one whole secret value",
                 var.origin, (f"use {whole}, which holds the whole connection URL, or " if whole else "")
                 + "set each secret output as a variable of its own and compose the value in the application")


def _terraform(ir: StackIR, env: EnvIR) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for comp in env.graph.components("function"):
        out += _function_env(env, comp)
    if ir.platform == "ecs":
        for comp in env.graph.components("service", "job"):
            for var in comp.env:
                if var.secret and var.source != "secret" and not _whole_reference(var):
                    out.append(mixed_secret(comp, var))
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
                out.append(function_env_not_set(comp, var))
        else:
            plain.add(var.name)
    for name in dict.fromkeys(generated):
        if name in plain:
            out.append(not_expressible(comp, f"`{name}` with the ARN of a secret (`env` sets a variable of that name)"))
    return out


def function_env_not_set(comp: Component, var: EnvVar) -> Diagnostic:
    refs = [r for r in var.references if r.output in ("password", "url")] or var.references
    ref = refs[0]
    return error(
        "IC-TF-002", f"terraform: env `{var.name}` of function `{comp.name}` is not set: it takes the secret output "
        f"`{ref}`, and Lambda cannot read environment variables from Secrets Manager", var.origin,
        f"read key `{ref.output}` of the JSON secret whose ARN is in `{secret_arn_variable(ref.component)}` at "
        f"runtime (the function may read it), and remove `{var.name}` from `env`")


# --- kubernetes and helm ----------------------------------------------------------------------

def _kubernetes(env: EnvIR) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for comp in env.graph.components("service", "job"):
        spec = resolved.of(comp)
        if isinstance(spec, resolved.Service) and spec.stateful and spec.rollout.strategy != "rolling":
            out.append(stateful_rollout(comp, spec.rollout.strategy))
        if comp.security is not None and comp.security.needs_kubernetes_api:
            out.append(kubernetes_api(comp))
    return out


def stateful_rollout(comp: Component, strategy: str) -> Diagnostic:
    """As backends/kubernetes words it: a StatefulSet has no canary or blue/green update."""
    return error("IC-K8S-001", f"`{comp.name}` is stateful: a StatefulSet cannot roll out `{strategy}`",
                 comp.where("deploy"), "use `deploy: {strategy: rolling}` (a StatefulSet updates one pod "
                 "at a time), or leave the kubernetes and helm targets out")


def kubernetes_api(comp: Component) -> Diagnostic:
    return error("IC-K8S-001", f"`{comp.name}` needs the Kubernetes API, but the spec does not say which "
                 "resources, so no Role/RoleBinding can be generated", comp.origin,
                 "leave the kubernetes and helm targets out, or grant the access outside infracc")


def no_cluster_address(var: EnvVar, ref: OutputRef) -> Diagnostic:
    """Shared with backends/kubernetes/config.py, which leaves such a variable out."""
    return error("IC-K8S-001", f"`{var.name}` refers to `{ref}`, which has no address inside the cluster",
                 var.origin, f"give `{ref.component}` a `port` (a worker has no address), remove `{var.name}`, "
                 "or leave the kubernetes and helm targets out")
