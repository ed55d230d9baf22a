"""Tracing pass: one tracing decision per service, job and function in each environment.

What the spec says (`tracing` on the component, else on the stack, resolved once) becomes a
`decisions.Tracing`: where the collector runs (an ADOT sidecar in the ECS task, the namespace's
`otel-collector` Deployment on eks, Lambda active tracing for functions), the sample rate (as
written, else by the environment's size, library/tracing.json), the X-Ray actions of the role
that sends the traces and the `OTEL_*` environment of the OpenTelemetry SDKs. A sidecar's memory
is added to the task here (Fargate sizes are fixed pairs), and on eks the collector's requests
are added to the node group, so the estimate and the capacity match what runs.
"""
from __future__ import annotations

from typing import Any

from infracc.compiler import library_data as lib
from infracc.compiler import naming, resolved
from infracc.compiler.decisions import Sizing, Tracing
from infracc.compiler.diagnostics import Diagnostic, warning
from infracc.compiler.ir import Component, EnvIR, EnvVar, StackIR

REQUIRES = frozenset({"resolved", "sizing"})
PROVIDES = frozenset({"tracing"})
# The SDK variables, set the same way for every language (OpenTelemetry "Environment Variable
# Specification"): OTLP over gRPC to the collector, traces only (the collector's one pipeline),
# W3C trace context and baggage plus the X-Ray header so AWS services' segments join the trace.
PROPAGATORS = "tracecontext,baggage,xray"
SAMPLER = "parentbased_traceidratio"


def tracing(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        diags += rate_warnings(ir, env)
        for comp in env.graph.components("service", "job", "function"):
            decision = decide(ir, env, comp)
            if decision.collector == "sidecar":
                before = comp.sizing
                assert before is not None and before.cpu is not None and before.memory_mib is not None, comp.id
                comp.sizing = with_sidecar(before, decision)
                assert comp.sizing.cpu is not None and comp.sizing.memory_mib is not None
                decision = decision.model_copy(update={"memory_added_mib": comp.sizing.memory_mib - before.memory_mib,
                                                       "cpu_added": comp.sizing.cpu - before.cpu})
            comp.tracing = decision
            comp.env = with_tracing_env(comp, decision)
        if env.nodes is not None and cluster_collector(env):
            from infracc.compiler.passes.sizing import fit_nodes

            data_ = lib.tracing()
            env.nodes = fit_nodes(env, env.nodes, extra_cpu=data_.cluster_replicas * _cores(data_.cluster_cpu),
                                  extra_mib=data_.cluster_replicas * data_.cluster_memory_mib)
    return list(dict.fromkeys(diags))


def rate_warnings(ir: StackIR, env: EnvIR) -> list[Diagnostic]:
    """IC-TRACE-001: a rate of 0 (the collector runs, nothing is recorded); IC-TRACE-002: a rate on
    a function, which Lambda does not let anyone set. Said where the rate is written."""
    out: list[Diagnostic] = []
    for comp in env.graph.components("service", "job", "function"):
        written = resolved.tracing(comp)
        if written is None or written.sample_rate is None:
            continue
        own = comp.spec.tracing is not None
        where = comp.where("tracing", "sample_rate") if own else ("tracing", "sample_rate")
        if comp.kind == "function" and own:  # the stack's rate is for its services and jobs
            out.append(warning("IC-TRACE-002", f"`{comp.name}`: Lambda active tracing samples at its own rate; "
                               f"`sample_rate: {written.sample_rate:g}` is not applied to the function", where,
                               "write `tracing: true` on the function"))
        elif comp.kind != "function" and written.sample_rate == 0:
            out.append(warning("IC-TRACE-001", f"`{comp.name}` runs a trace collector with `sample_rate: 0`: only "
                               "requests a caller already sampled are recorded", where,
                               "use `tracing: false`, or a rate above 0 such as 0.01"))
    return out


def cluster_collector(env: EnvIR) -> bool:
    """Whether the environment's namespace runs the `otel-collector` Deployment (eks)."""
    return any(c.tracing is not None and c.tracing.collector == "cluster"
               for c in env.graph.components("service", "job"))


def _cores(cpu: str) -> float:
    """`100m` → 0.1, `1` → 1.0."""
    return int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)


def decide(ir: StackIR, env: EnvIR, comp: Component) -> Tracing:
    written = resolved.tracing(comp)
    assert written is not None, comp.id
    data = lib.tracing()
    if not written.enabled:
        return Tracing(enabled=False, collector="none", reason="not traced (`tracing: false`, or no `tracing` for a "
                                                               "service or job)")
    if comp.kind == "function":  # Lambda samples itself; the rate is not configurable (IC-TRACE-002)
        return Tracing(enabled=True, collector="lambda", sample_rate=None, sample_rate_source="xray-default",
                       actions=list(data.xray_actions),
                       reason="Lambda active tracing, at Lambda's own sampling rate (the first request each second "
                              "and 5% of the others)")
    rate = written.sample_rate if written.sample_rate is not None else data.sample_rates[env.settings.size]
    source = "spec" if written.sample_rate is not None else "size"
    sidecar = ir.platform == "ecs"
    env_vars = sdk_env(ir, comp, env, rate, sidecar)
    if sidecar:
        return Tracing(enabled=True, collector="sidecar", sample_rate=rate, sample_rate_source=source,
                       collector_cpu_units=data.sidecar_cpu_units, collector_memory_mib=data.sidecar_memory_mib,
                       actions=list(data.xray_actions), env=env_vars,
                       reason=f"an ADOT collector sidecar in the task, sampling {rate:g} "
                              f"({'as written' if source == 'spec' else 'the ' + env.settings.size + ' default'})")
    return Tracing(enabled=True, collector="cluster", sample_rate=rate, sample_rate_source=source,
                   actions=list(data.xray_actions), env=env_vars,
                   reason=f"the namespace's `{naming.OTEL_COLLECTOR}` Deployment, sampling {rate:g} "
                          f"({'as written' if source == 'spec' else 'the ' + env.settings.size + ' default'})")


def sdk_env(ir: StackIR, comp: Component, env: EnvIR, rate: float, sidecar: bool) -> dict[str, str]:
    data = lib.tracing()
    host = "localhost" if sidecar else naming.OTEL_COLLECTOR
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:{data.otlp_grpc_port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_PROPAGATORS": PROPAGATORS,
        "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment={env.name},service.namespace={ir.name}",
        "OTEL_SERVICE_NAME": comp.name,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_TRACES_SAMPLER": SAMPLER,
        "OTEL_TRACES_SAMPLER_ARG": f"{rate:g}",
    }


def with_tracing_env(comp: Component, decision: Tracing) -> list[EnvVar]:
    """The workload's variables plus the SDK's; a variable the spec sets itself wins."""
    if not decision.env:
        return comp.env
    have = {v.name for v in comp.env}
    origin = comp.where("tracing") if comp.spec.tracing is not None else ("tracing",)
    added = [EnvVar(name=k, segments=[v], source="injected", origin=origin)
             for k, v in decision.env.items() if k not in have]
    return sorted([*comp.env, *added], key=lambda v: v.name)


def with_sidecar(sz: Sizing, decision: Tracing) -> Sizing:
    """The task's memory with the collector's: the smallest valid Fargate memory at the task's CPU
    that holds the workload's memory plus the collector's cap, else the next CPU step's."""
    assert sz.cpu is not None and sz.memory_mib is not None
    cpu, memory = task_size(sz.cpu, sz.memory_mib + decision.collector_memory_mib)
    return sz.model_copy(update={"cpu": cpu, "memory_mib": memory})


def task_size(cpu: float, need_mib: int) -> tuple[float, int]:
    """The smallest Fargate pair with `cpu` or more and at least `need_mib`.

    >>> task_size(0.25, 640), task_size(1, 2176), task_size(0.25, 2176)
    ((0.25, 1024), (1, 3072), (0.5, 3072))
    """
    for step in [s for s in lib.fargate_cpu_steps() if s >= cpu]:
        fits = [m for m in lib.fargate_memory(step) if m >= need_mib]
        if fits:
            return step, fits[0]
    steps = lib.fargate_cpu_steps()
    return steps[-1], lib.fargate_memory(steps[-1])[-1]


def sampled_traces(requests: int | None, rate: float | None) -> float | None:
    """Traces recorded a month, in millions (X-Ray's pricing unit): requests × sample rate."""
    if requests is None or rate is None:
        return None
    return round(requests * rate / 1e6, 6) if requests else 0.0

