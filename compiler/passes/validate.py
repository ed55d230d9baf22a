"""Validate pass: semantic errors the schema cannot see, each pointing at its spec line.

References (`uses`, triggers, placeholders), cycles among services, overrides for unknown
environments, cron, Fargate pairs, CIDRs, regions, paths, secret-looking literals, service
shape rules and `allow` ids. Read-only: it provides the fact `valid`.
"""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path as FsPath

from infracc.compiler import library_data
from infracc.compiler.catalogue import registry
from infracc.compiler.cron import cron_problem
from infracc.compiler.diagnostics import Diagnostic, did_you_mean, error, warning
from infracc.compiler.ir import MODES, OUTPUTS, Component, EnvIR, StackIR
from infracc.schema.types import duration_seconds, memory_mib

REQUIRES: frozenset[str] = frozenset()
PROVIDES = frozenset({"valid"})

_SECRET_VALUE = [
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}\b"), "a Stripe key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "a JSON Web Token"),
    (re.compile(r"://[^/\s:@]+:[^/\s@$]+@"), "a URL with an embedded password"),
]
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)


def validate(ir: StackIR, data: dict) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    diags += _duplicate_names(data)
    diags += _overrides(ir, data)
    diags += _environments(ir)
    for env in ir.envs.values():
        diags += _graph(env)
        for comp in env.graph:
            diags += _component(ir, env, comp)
    return list(dict.fromkeys(diags))


def _duplicate_names(data: dict) -> list[Diagnostic]:
    from infracc.schema.components import KINDS

    seen: dict[str, str] = {}
    out = []
    for section in KINDS:
        for name in data.get(section) or {}:
            if name in seen:
                out.append(error("IC-NAME-001", f"`{name}` is already used by {seen[name]}.{name}; names are shared by all kinds",
                                 (section, name), "rename one of them"))
            else:
                seen[name] = section
    return out


def _overrides(ir: StackIR, data: dict) -> list[Diagnostic]:
    from infracc.schema.components import KINDS

    envs = ir.env_names()
    out = []
    for section in KINDS:
        for name, raw in (data.get(section) or {}).items():
            for env in (raw or {}).get("overrides") or {}:
                if env not in envs:
                    out.append(error("IC-ENV-001", f"override for environment `{env}`, which is not declared",
                                     (section, name, "overrides", env),
                                     did_you_mean(env, envs) or f"environments: {', '.join(envs)}"))
    return out


def _environments(ir: StackIR) -> list[Diagnostic]:
    out = []
    regions = library_data.regions()
    if ir.region not in regions:
        out.append(error("IC-ENV-004", f"unknown AWS region `{ir.region}`", ("region",),
                         did_you_mean(ir.region, regions)))
    nets: list[tuple[str, ipaddress.IPv4Network]] = []
    for env in ir.envs.values():
        s = env.settings
        if s.region != ir.region and s.region not in regions:
            out.append(error("IC-ENV-004", f"unknown AWS region `{s.region}`", (*s.origin, "region"),
                             did_you_mean(s.region, regions)))
        net, problem = _cidr(s.cidr)
        if problem:
            out.append(error("IC-ENV-003", f"environment `{s.name}`: {problem}", (*s.origin, "cidr"),
                             "use a private range such as `10.20.0.0/16`"))
            continue
        for other, onet in nets:
            if net.overlaps(onet):
                out.append(error("IC-ENV-002", f"environment `{s.name}` range {net} overlaps `{other}` ({onet})",
                                 (*s.origin, "cidr"), "give each environment a distinct range"))
        nets.append((s.name, net))
    return out


def _cidr(text: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        return None, f"`{text}` is not a valid network ({exc})"
    if net.version != 4:
        return None, f"`{text}` is not IPv4"
    if not 16 <= net.prefixlen <= 20:
        return None, f"`{text}` is a /{net.prefixlen}; a VPC range must be /16 to /20"
    if not net.is_private:
        return None, f"`{text}` is not a private (RFC 1918) range"
    return net, None


def _graph(env: EnvIR) -> list[Diagnostic]:
    out = []
    for cycle in env.graph.cycles("service"):
        names = [env.graph.component(c).name for c in cycle]
        edge = next(c for c in env.graph.uses(cycle[0]) if c.target == cycle[1 % len(cycle)])
        out.append(error("IC-GRAPH-001", "services use each other in a cycle: " + " --> ".join([*names, names[0]]),
                         edge.origin, "break the cycle, e.g. by sending work through a queue"))
    return out


def _component(ir: StackIR, env: EnvIR, comp: Component) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    out += _references(env, comp)
    out += _placeholders(env, comp)
    out += _env_literals(comp)
    out += _shape(ir, comp)
    out += _paths(ir, comp)
    out += _allow(comp)
    return out


def _references(env: EnvIR, comp: Component) -> list[Diagnostic]:
    out = []
    names = env.graph.by_name()
    seen: set[str] = set()
    for ref in comp.uses:
        target = names.get(ref.name)
        if target is None:
            out.append(error("IC-REF-001", f"`{comp.name}` uses `{ref.name}`, which is not a component of this stack",
                             ref.origin, did_you_mean(ref.name, [n for n in names if n != comp.name])))
            continue
        if target is comp:
            out.append(error("IC-REF-004", f"`{comp.name}` uses itself", ref.origin, "remove this entry"))
            continue
        if target.kind not in MODES:
            out.append(error("IC-REF-003", f"`{ref.name}` is a {target.kind}; a {target.kind} cannot be used by other components",
                             ref.origin, "remove this entry"))
            continue
        modes = MODES[target.kind]
        if ref.mode is not None and ref.mode not in modes:
            hint = f"modes of a {target.kind}: {', '.join(modes)}" if modes else f"a {target.kind} has no modes; write `{ref.name}`"
            out.append(error("IC-REF-002", f"mode `{ref.mode}` does not exist for {target.kind} `{ref.name}`",
                             ref.origin, hint))
        if ref.name in seen:
            out.append(error("IC-REF-005", f"`{ref.name}` appears twice in `{comp.name}`.uses", ref.origin,
                             "keep one entry with the widest mode you need"))
        seen.add(ref.name)
    trigger = getattr(comp.spec, "trigger", None)
    for field, kind in (("bucket", "bucket"), ("queue", "queue")):
        name = getattr(trigger, field, None)
        if name is None:
            continue
        origin = (*comp.origin, "trigger", field)
        target = names.get(name)
        if target is None:
            out.append(error("IC-REF-001", f"trigger {field} `{name}` is not a component of this stack", origin,
                             did_you_mean(name, [c.name for c in env.graph.components(kind)])))
        elif target.kind != kind:
            out.append(error("IC-REF-006", f"trigger {field} `{name}` is a {target.kind}, not a {kind}", origin,
                             did_you_mean(name, [c.name for c in env.graph.components(kind)])))
    return out


def _placeholders(env: EnvIR, comp: Component) -> list[Diagnostic]:
    out = []
    names = env.graph.by_name()
    used = {r.name for r in comp.uses}
    for var in comp.env:
        if var.source != "placeholder":
            continue
        for ref in var.references:
            target = names.get(ref.component)
            if target is None:
                out.append(error("IC-REF-001", f"`{ref}` names `{ref.component}`, which is not a component of this stack",
                                 var.origin, did_you_mean(ref.component, list(names))))
            elif ref.output not in OUTPUTS.get(target.kind, {}):
                outputs = list(OUTPUTS.get(target.kind, {}))
                out.append(error("IC-PH-002", f"{target.kind} `{target.name}` has no output `{ref.output}`", var.origin,
                                 did_you_mean(ref.output, outputs) or (f"outputs: {', '.join(outputs)}" if outputs else f"a {target.kind} has no outputs")))
            elif ref.component not in used:
                out.append(error("IC-PH-003", f"`{ref}` refers to `{ref.component}`, which `{comp.name}` does not use",
                                 var.origin, f"add `{ref.component}` to `uses`"))
    return out


def _env_literals(comp: Component) -> list[Diagnostic]:
    out = []
    spec = comp.spec
    if not hasattr(spec, "env"):
        return out
    injected = {v.name for v in comp.env if v.source == "injected"}
    for key, value in spec.env.items():
        origin = next((v.origin for v in comp.env if v.name == key), (*comp.origin, "env", key))
        what = next((label for pattern, label in _SECRET_VALUE if pattern.search(value)), None)
        if what is None and _SECRET_NAME.search(key) and value and "${" not in value:
            what = "a credential (by its name)"
        if what:
            out.append(error("IC-SECRET-001", f"env `{key}` looks like {what}; secrets never go in stack.yaml",
                             origin, f"move `{key}` to `secrets:` and set its value in the secret store"))
        if key in spec.secrets:
            out.append(error("IC-SECRET-002", f"`{key}` is in both `env` and `secrets`", origin,
                             "keep it in one of them"))
        if key in injected:
            out.append(warning("IC-ENVVAR-001", f"env `{key}` replaces the variable injected by a `uses` entry",
                               origin, "rename it, or rely on the injected value"))
    return out


def _shape(ir: StackIR, comp: Component) -> list[Diagnostic]:
    out = []
    spec = comp.spec
    if comp.kind in ("service", "job"):
        out += _fargate(comp)
        out += _image(comp)
    if comp.kind == "service":
        if spec.public and spec.port is None:
            out.append(error("IC-SVC-001", f"`{comp.name}` has no `port` and cannot be public", comp.where("public"),
                             "add `port:` or remove `public`"))
        elif spec.public and spec.protocol == "tcp":
            out.append(error("IC-SVC-002", f"`{comp.name}` speaks tcp and cannot be public", comp.where("protocol"),
                             "use protocol http or grpc, or keep it internal"))
        if spec.stateful and ir.platform == "ecs":
            out.append(error("IC-SVC-003", f"`{comp.name}` is stateful, which ECS Fargate cannot run", comp.where("stateful"),
                             "use `platform: eks`, or keep state in a database or bucket"))
        if spec.volume_gb is not None and not spec.stateful:
            out.append(error("IC-SVC-004", "`volume_gb` needs `stateful: true`", comp.where("volume_gb"), "set `stateful: true` or remove `volume_gb`"))
        if isinstance(spec.health, str) and spec.port is None:
            out.append(error("IC-SVC-004", "an HTTP health path needs a `port`", comp.where("health"),
                             "use `health: {command: [...]}` for a worker"))
        out += _hosts(ir, spec.public.host if spec.public and not isinstance(spec.public, bool) else None, comp.where("public", "host"))
    if comp.kind == "job":
        if spec.schedule is not None and (p := cron_problem(spec.schedule)):
            out.append(error("IC-CRON-001", f"schedule `{spec.schedule}`: {p}", comp.where("schedule"), "e.g. `0 3 * * *` runs daily at 03:00 UTC"))
        if spec.timeout and duration_seconds(spec.timeout) > 7 * 86400:
            out.append(error("IC-SIZE-002", f"job timeout {spec.timeout} is over 7 days", comp.where("timeout"), "split the work"))
    if comp.kind == "function":
        out += _function(comp)
    if comp.kind == "queue":
        out += _queue(comp)
    if comp.kind == "site":
        out += _hosts(ir, spec.host, comp.where("host"))
    return out


def _fargate(comp: Component) -> list[Diagnostic]:
    spec = comp.spec
    if spec.cpu is None or spec.memory is None:
        return []
    valid = library_data.fargate_memory(spec.cpu)
    mib = memory_mib(spec.memory)
    if mib in valid:
        return []
    choices = ", ".join(_quantity(m) for m in valid)
    # Point at whichever half this environment's override changed, else at memory.
    field = "cpu" if "cpu" in comp.overridden and "memory" not in comp.overridden else "memory"
    return [error("IC-SIZE-001", f"memory {spec.memory} is not valid with cpu {spec.cpu} on Fargate",
                  comp.where(field), f"with cpu {spec.cpu} use one of: {choices}")]


def _quantity(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def _image(comp: Component) -> list[Diagnostic]:
    spec = comp.spec
    image = spec.image
    if image is None or "@sha256:" in image:
        return []
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return [warning("IC-SVC-005", f"image `{image}` is not pinned", comp.where("image"),
                        "pin a version tag such as `:1.4.2`, or a digest")]
    return []


def _function(comp: Component) -> list[Diagnostic]:
    spec = comp.spec
    out = []
    if duration_seconds(spec.timeout) > 900:
        out.append(error("IC-SIZE-002", f"Lambda timeout {spec.timeout} is over 15m", comp.where("timeout"), "use at most `15m`"))
    schedule = getattr(spec.trigger, "schedule", None)
    if schedule is not None and (p := cron_problem(schedule)):
        out.append(error("IC-CRON-001", f"schedule `{schedule}`: {p}", comp.where("trigger", "schedule"), "e.g. `*/15 * * * *`"))
    return out


def _queue(comp: Component) -> list[Diagnostic]:
    spec = comp.spec
    out = []
    if duration_seconds(spec.visibility_timeout) > 12 * 3600:
        out.append(error("IC-SIZE-002", f"visibility_timeout {spec.visibility_timeout} is over 12h",
                         comp.where("visibility_timeout"), "SQS accepts 0s..12h"))
    retention = duration_seconds(spec.retention)
    if not 60 <= retention <= 14 * 86400:
        out.append(error("IC-SIZE-002", f"retention {spec.retention} is outside 60s..14d", comp.where("retention"),
                         "SQS keeps messages between 60s and 14d"))
    return out


def _hosts(ir: StackIR, host: str | None, origin) -> list[Diagnostic]:
    if host is None:
        return []
    if ir.domain is None:
        return [error("IC-DOMAIN-001", f"host `{host}` needs a stack `domain`", origin, "set `domain:` at the top level")]
    if host != ir.domain and not host.endswith("." + ir.domain):
        return [error("IC-DOMAIN-001", f"host `{host}` is not under the stack domain `{ir.domain}`", origin,
                      f"use e.g. `{host.split('.')[0]}.{ir.domain}`")]
    return []


def _paths(ir: StackIR, comp: Component) -> list[Diagnostic]:
    spec = comp.spec
    found = []
    if getattr(spec, "build", None) is not None:
        found.append((spec.build.context, comp.where("build", "context")))
    if comp.kind in ("function", "site"):
        found.append((spec.source, comp.where("source")))
    out = []
    root = FsPath(ir.source_dir)
    for rel, origin in found:
        target = _resolve(root, rel)
        if target is None:
            out.append(error("IC-PATH-001", f"{rel!r} is not a usable path", origin,
                             "use a plain relative path such as `./api`"))
        elif FsPath(rel).is_absolute() or not target.is_relative_to(root):
            out.append(error("IC-PATH-001", f"`{rel}` is outside the stack's directory", origin,
                             "use a relative path inside the folder that holds stack.yaml"))
        elif not target.is_dir():
            out.append(warning("IC-PATH-002", f"`{rel}` does not exist (relative to stack.yaml)", origin,
                               "create it or correct the path"))
    return out


def _resolve(root: FsPath, rel: str) -> FsPath | None:
    """The absolute path, or None when the text cannot be a path here (NUL bytes, too long, loops)."""
    if not rel or any(ord(ch) < 32 for ch in rel):
        return None
    try:
        target = (root / rel).resolve()
        target.is_dir()  # surfaces "name too long" and similar OS refusals
    except (OSError, ValueError, RuntimeError):
        return None
    return target


def _allow(comp: Component) -> list[Diagnostic]:
    out = []
    reg = registry()
    allowable = [r.id for r in reg if r.allowable]
    for i, allow in enumerate(comp.spec.allow):
        rule = reg.get(allow.rule)
        if rule is None or not rule.allowable:
            why = "is not a rule" if rule is None else "cannot be relaxed"
            out.append(error("IC-ALLOW-001", f"`{allow.rule}` {why}", (*comp.origin, "allow", i, "rule"),
                             did_you_mean(allow.rule, allowable) or "see `infracc explain --list`"))
    return out
