"""Validate pass: semantic errors the schema cannot see, each pointing at its spec line.

References (`uses`, `mounts`, triggers, placeholders), cycles among services, overrides for unknown
environments, cron, Fargate pairs, CIDRs, regions, paths, secret-looking literals, service
shape rules and `allow` ids. Read-only: it provides the fact `valid`.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from infracc.compiler import library_data, secret_scan
from infracc.compiler.catalogue import registry
from infracc.compiler.cron import cron_problem
from infracc.compiler.diagnostics import Diagnostic, Path, did_you_mean, error, warning
from infracc.compiler.ir import MODES, OUTPUTS, Component, EnvIR, StackIR
from infracc.compiler.passes import validate_externals
from infracc.compiler.passes.mount_checks import filesystem_problems, mount_problems
from infracc.schema.components import SECTION_OF_KIND
from infracc.schema.types import duration_seconds, memory_mib

REQUIRES: frozenset[str] = frozenset()
PROVIDES = frozenset({"valid"})

# IC-SECRET-001: every literal of the spec goes through `secret_scan` (provider formats,
# credentials in URLs, credential names, entropy). Fields that hold names, ids or image
# references get the format check only (no entropy: image tags are often commit hashes).
_NAME_FIELDS = frozenset({"secrets", "uses", "image", "compliance", "targets", "runtime"})
_FLAG = re.compile(r"^--?[A-Za-z][A-Za-z0-9_.-]*$")
_COMMAND_FIELDS = (("command",), ("migrate",), ("health", "command"))
_TEXT_FIELDS = frozenset({"description", "reason", "owner"})


def validate(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    diags += _duplicate_names(data)
    diags += _overrides(ir, data)
    diags += _environments(ir)
    diags += _secret_literals(data)
    for env in ir.envs.values():
        diags += _graph(env)
        diags += _nlb_ports(ir, env)
        for comp in env.graph:
            diags += _component(ir, env, comp)
    diags += filesystem_problems(ir)
    return list(dict.fromkeys(diags))


def _duplicate_names(data: dict[str, Any]) -> list[Diagnostic]:
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


def _overrides(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
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
        if net is None or problem:
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
    # A function's users get its ARN as a Terraform reference, so functions that use each other
    # in a cycle cannot be created in any order.
    for cycle in env.graph.cycles("function"):
        names = [env.graph.component(c).name for c in cycle]
        edge = next(c for c in env.graph.uses(cycle[0]) if c.target == cycle[1 % len(cycle)])
        out.append(error("IC-GRAPH-002", "functions use each other in a cycle: " + " --> ".join([*names, names[0]]),
                         edge.origin, "break the cycle, e.g. by sending work through a queue"))
    return out


def _component(ir: StackIR, env: EnvIR, comp: Component) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    out += _references(env, comp)
    out += mount_problems(env, comp)
    out += _placeholders(env, comp)
    out += _no_address(env, comp)
    out += _env_literals(comp)
    out += _shape(ir, comp)
    out += _paths(ir, comp)
    out += _allow(comp)
    out += validate_externals.check(env, comp)
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
            hint = (f"mount it instead: `mounts: [{ref.name}:/data]`" if target.kind == "filesystem"
                    else "remove this entry")
            out.append(error("IC-REF-003", f"`{ref.name}` is a {target.kind}; a {target.kind} cannot be used by other components",
                             ref.origin, hint))
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
    for field, kind in (("bucket", "bucket"), ("queue", "queue"), ("table", "table")):
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
                             did_you_mean(name, [c.name for c in env.graph.components(kind)])
                             or f"name one of the stack's {SECTION_OF_KIND[kind]} (add one under `{SECTION_OF_KIND[kind]}:`)"))
        elif kind == "table" and target.spec.stream is None:
            out.append(error("IC-TABLE-004", f"trigger table `{name}` has no stream to read changes from", origin,
                             f"add `stream: new-and-old-images` (or another view) to table `{name}`"))
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


def _portless(target: Component | None) -> bool:
    return target is not None and target.kind == "service" and getattr(target.spec, "port", None) is None


def _no_address(env: EnvIR, comp: Component) -> list[Diagnostic]:
    """IC-PH-004: a service without `port` (a worker) has no address on any platform, so nothing
    can be injected for it: not its URL for a `uses` entry, not `${worker.url}` in `env`."""
    out: list[Diagnostic] = []
    names = env.graph.by_name()
    hint = "give `{0}` a `port`, or remove it here (a worker is reached through a queue, not by address)"
    for use in comp.uses:
        if _portless(names.get(use.name)):
            out.append(error("IC-PH-004", f"`{comp.name}` uses `{use.name}`, a service without a `port`: "
                             "it has no address to connect to", use.origin, hint.format(use.name)))
    for var in comp.env:
        if var.source != "placeholder":
            continue
        for ref in var.references:
            if _portless(names.get(ref.component)):
                out.append(error("IC-PH-004", f"`{ref}` is the address of `{ref.component}`, a service without "
                                 "a `port`", var.origin, hint.format(ref.component)))
    return out


def _env_literals(comp: Component) -> list[Diagnostic]:
    # IC-SECRET-001 for env values is reported by `_secret_literals`, once per spec position.
    out: list[Diagnostic] = []
    spec = comp.spec
    if not hasattr(spec, "env"):
        return out
    injected = {v.name for v in comp.env if v.source == "injected"}
    for key in spec.env:
        origin = next((v.origin for v in comp.env if v.name == key), (*comp.origin, "env", key))
        if key in spec.secrets:
            out.append(error("IC-SECRET-002", f"`{key}` is in both `env` and `secrets`", origin,
                             "keep it in one of them"))
        if key in injected:
            out.append(warning("IC-ENVVAR-001", f"env `{key}` replaces the variable injected by a `uses` entry",
                               origin, "rename it, or rely on the injected value"))
    return out


def _secret_literals(data: dict[str, Any]) -> list[Diagnostic]:
    """IC-SECRET-001 at every literal of the spec that looks like a credential.

    Walks the loaded document rather than the IR, so each value is reported once, at the
    position it was written (base or `overrides.<env>`), whatever field it sits in: env
    values, commands, build settings, descriptions, tags, allow reasons, hosts, even keys.
    """
    out = []
    for path, text, name, is_key in _literals(data, (), None):
        field = _field_path(path)
        if is_key:
            what = secret_scan.find_format(text)
        else:
            what = secret_scan.find_secret(text, name, formats_only=_is_name_field(field))
        if what is None:
            continue
        if is_key:
            out.append(error("IC-SECRET-001", f"a name under `{_dotted(path[:-1])}` looks like {what}; secrets never go in stack.yaml",
                             path, "rename it: names are copied into the generated files"))
        elif len(field) == 2 and field[0] == "env" and path[0] in _sections():
            var = _dotted(field[1:])
            out.append(error("IC-SECRET-001", f"env `{var}` looks like {what}; secrets never go in stack.yaml",
                             path, f"move `{var}` to `secrets:` and set its value in the secret store"))
        else:
            out.append(error("IC-SECRET-001", f"`{_dotted(path)}` looks like {what}; secrets never go in stack.yaml",
                             path, _secret_hint(path, field)))
    return out


def _sections() -> dict[str, Any]:
    from infracc.schema.components import KINDS

    return KINDS


def _literals(node: object, path: Path, name: str | None) -> Iterator[tuple[Path, str, str | None, bool]]:
    """(path, text, name the value is assigned to, is-a-key) for every scalar and key.

    `name` is a user-chosen name the value belongs to: an env var, a tag key, or the
    `--flag` just before a command argument. Keys are yielded too (a token can be a key).
    """
    if isinstance(node, dict):
        for key, value in node.items():
            sub = (*path, key)
            yield sub, str(key), None, True
            named = key if _is_named_map(path) else None
            yield from _literals(value, sub, str(named) if named is not None else None)
    elif isinstance(node, list):
        previous = None
        for i, item in enumerate(node):
            flag = previous if isinstance(previous, str) and _FLAG.match(previous) else None
            yield from _literals(item, (*path, i), flag)
            previous = item
    elif isinstance(node, str):
        yield path, node, name, False
    elif isinstance(node, int) and not isinstance(node, bool) and name is not None:
        yield path, str(node), name, False  # `API_TOKEN: 123456` is a literal too


def _is_name_field(field: Path) -> bool:
    """Names, ids, image references, digests and paths: provider formats only, no entropy."""
    if not field or field[0] in ("env", "tags"):
        return False
    # Function and site `source` paths are made of names: a directory named
    # after a component is not a key; a provider token there is still caught by its format.
    return field[0] in _NAME_FIELDS or field[-1] in ("digest", "rule", "source")


def _is_named_map(path: Path) -> bool:
    """Maps whose keys the user names and whose values are assigned to those names: `tags`
    and the `env` of a component (base or override)."""
    return path == ("tags",) or (len(path) >= 3 and path[0] in _sections() and _field_path(path) == ("env",))


def _field_path(path: Path) -> Path:
    """The component-relative field of a spec path: ("services", "api", "overrides", "prod",
    "env", "X") → ("env", "X"). Paths outside components are returned unchanged."""
    if len(path) >= 2 and path[0] in _sections():
        rest = path[2:]
        if rest[:1] == ("overrides",) and len(rest) >= 2:
            rest = rest[2:]
        return tuple(rest)
    return tuple(path)


def _dotted(path: Path) -> str:
    # A key that is itself a token is never echoed back.
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            text = "…" if secret_scan.find_format(str(part)) else str(part)
            parts.append(("." if parts else "") + text)
    return "".join(parts)


def _secret_hint(path: Path, field: Path) -> str:
    if any(field[:len(f)] == f for f in _COMMAND_FIELDS):
        return ("list the variable in `secrets:` and read it at run time instead "
                "(e.g. `[sh, -c, 'exec app --token \"$API_TOKEN\"']`)")
    if field[:1] == ("build",):
        return "build settings are copied into Dockerfiles and CI; pass build credentials from the CI secret store"
    if path[:1] == ("tags",):
        return "tags are copied onto every resource; remove the credential"
    if field[-1:] and field[-1] in _TEXT_FIELDS:
        return "this text is copied into the generated docs; remove the credential"
    return "every value in stack.yaml is copied into generated files; keep credentials in the secret store (`secrets:`)"


def _worker(comp: Component) -> list[Diagnostic]:
    """A service without a port: nothing shifts traffic between two versions, so canary and
    blue-green would only run both side by side (a one-replica scheduler would fire twice;
    without them a one-replica worker is replaced stop-then-start; issue #12)."""
    spec, out = comp.spec, list[Diagnostic]()
    if spec.port is not None:
        return out
    if spec.deploy is not None and spec.deploy.strategy != "rolling":
        out.append(error("IC-SVC-004", f"`{comp.name}` has no `port`: `deploy.strategy: {spec.deploy.strategy}` shifts "
                         "traffic between two versions, and a worker has none", comp.where("deploy", "strategy"),
                         "remove `deploy` (a worker rolls; one with a single replica is stopped before its "
                         "replacement starts, so it never runs twice), or add a `port`"))
    return out


def _tcp_public(ir: StackIR, comp: Component) -> list[Diagnostic]:
    """A public tcp service sits behind the Network Load Balancer on its own port: HTTP routing
    (a path prefix), CloudFront and, on ecs, the traffic-shifting rollouts (ECS moves an ALB
    listener rule's weights) do not apply to raw TCP (IC-SVC-010)."""
    public, out = comp.spec.public, list[Diagnostic]()
    deploy = comp.spec.deploy
    if ir.platform == "ecs" and deploy is not None and deploy.strategy != "rolling":
        out.append(error("IC-SVC-010", f"`{comp.name}` speaks tcp: ECS blue-green and canary deployments shift the "
                         f"Application Load Balancer's listener rule, which a tcp service behind the Network Load "
                         f"Balancer does not have (`deploy.strategy: {deploy.strategy}`)", comp.where("deploy", "strategy"),
                         "remove `deploy` (a rolling deployment with the circuit breaker), or use `platform: eks`"))
    if isinstance(public, bool):
        return out
    if public.path != "/":
        out.append(error("IC-SVC-010", f"`{comp.name}` speaks tcp: the Network Load Balancer forwards its whole port, "
                         f"so there is no path to route (`path: {public.path}`)", comp.where("public", "path"),
                         "remove `path` (clients connect to the host and port), or use protocol http/grpc behind "
                         "the Application Load Balancer"))
    if public.cdn:
        out.append(error("IC-SVC-010", f"`{comp.name}` speaks tcp: CloudFront (and its WAF) carry HTTP only, so "
                         "`cdn: true` cannot front it", comp.where("public", "cdn"),
                         "remove `cdn`; a tcp service is reached directly on the Network Load Balancer"))
    return out


def _singleton(comp: Component) -> list[Diagnostic]:
    """`singleton: true` pins one copy: a replica count or range above one, or a rollout that runs
    two versions side by side, contradicts it (IC-SVC-007)."""
    spec, out = comp.spec, list[Diagnostic]()
    if not spec.singleton:
        return out
    replicas = spec.replicas
    if replicas is not None and not isinstance(replicas, int):
        if (replicas.min, replicas.max) != (1, 1):
            out.append(error("IC-SVC-007", f"`{comp.name}` is a singleton (one copy at a time) but asks for "
                             f"replicas {replicas.min}..{replicas.max}", comp.where("replicas"),
                             "remove `replicas` (a singleton runs exactly one), or remove `singleton: true` to scale"))
    elif replicas is not None and replicas != 1:
        out.append(error("IC-SVC-007", f"`{comp.name}` is a singleton (one copy at a time) but asks for {replicas} "
                         "replicas", comp.where("replicas"),
                         "remove `replicas` (a singleton runs exactly one), or remove `singleton: true` to scale"))
    if spec.deploy is not None and spec.deploy.strategy != "rolling":
        out.append(error("IC-SVC-007", f"`{comp.name}` is a singleton, but `deploy.strategy: {spec.deploy.strategy}` "
                         "runs the old and the new version side by side", comp.where("deploy", "strategy"),
                         "remove `deploy` (a singleton is stopped before its replacement starts)"))
    return out


def _nlb_ports(ir: StackIR, env: EnvIR) -> list[Diagnostic]:
    """The public tcp services of an environment share one Network Load Balancer, one listener per
    port, and each has its own DNS name: two of them on one port, or a tcp service on the host of
    a web entry point (an http service or a site), would collide (IC-SVC-008)."""
    from infracc.compiler.passes.endpoints import tcp_host

    out, taken = list[Diagnostic](), dict[int, str]()
    web: dict[str, str] = {}
    for comp in env.graph.components("service", "site"):
        spec = comp.spec
        if comp.kind == "site":
            web[spec.host or ir.domain or ""] = comp.name
        elif spec.public and spec.protocol != "tcp":
            web[(spec.public.host if not isinstance(spec.public, bool) else None) or ir.domain or ""] = comp.name
    for comp in env.graph.components("service"):
        spec = comp.spec
        if not spec.public or spec.protocol != "tcp" or spec.port is None:
            continue
        if spec.port in taken:
            out.append(error("IC-SVC-008", f"`{comp.name}` and `{taken[spec.port]}` are public tcp services on port "
                             f"{spec.port} in `{env.name}`; the environment's Network Load Balancer has one listener "
                             "per port", comp.where("port"),
                             "give one of them another `port`, or keep one internal"))
        else:
            taken[spec.port] = comp.name
        host = (spec.public.host if not isinstance(spec.public, bool) else None)
        if ir.domain and (host or tcp_host(comp.name, ir.domain)) in web:
            out.append(error("IC-SVC-008", f"`{comp.name}` is a public tcp service on the host "
                             f"`{host or tcp_host(comp.name, ir.domain)}`, which `{web[host or tcp_host(comp.name, ir.domain)]}` "
                             "already answers on (the Application Load Balancer or CloudFront)",
                             comp.where("public", "host") if host else comp.where("public"),
                             f"give it its own `host`, e.g. `{tcp_host(comp.name, ir.domain)}` (the default)"))
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
            out += _tcp_public(ir, comp)
        if spec.stateful and ir.platform == "ecs":
            out.append(error("IC-SVC-003", f"`{comp.name}` is stateful, which ECS Fargate cannot run", comp.where("stateful"),
                             "use `platform: eks`, or keep state in a database or bucket"))
        if spec.volume_gb is not None and not spec.stateful:
            out.append(error("IC-SVC-004", "`volume_gb` needs `stateful: true`", comp.where("volume_gb"), "set `stateful: true` or remove `volume_gb`"))
        if isinstance(spec.health, str) and spec.port is None:
            out.append(error("IC-SVC-004", "an HTTP health path needs a `port`", comp.where("health"),
                             "use `health: {command: [...]}` for a worker"))
        out += _worker(comp)
        out += _singleton(comp)
        out += _hosts(ir, spec.public.host if spec.public and not isinstance(spec.public, bool) else None, comp.where("public", "host"))
    if comp.kind == "job":
        if spec.schedule is not None and (p := cron_problem(spec.schedule)):
            out.append(error("IC-CRON-001", f"schedule `{spec.schedule}`: {p}", comp.where("schedule"), "e.g. `0 3 * * *` runs daily at 03:00 UTC"))
        if spec.timeout and duration_seconds(spec.timeout) > 7 * 86400:
            out.append(error("IC-SIZE-002", f"job timeout {spec.timeout} is over 7 days", comp.where("timeout"), "split the work"))
        if spec.singleton and spec.schedule is not None and ir.platform == "ecs":
            out.append(warning("IC-SVC-009", f"`{comp.name}` is a singleton, but ECS schedules (EventBridge Scheduler → "
                               "RunTask) start a run even while the previous one still runs, and do not stop a run at "
                               "its `timeout`", comp.where("singleton"),
                               "take a lock in the job (e.g. a database advisory lock or a conditional write) and exit "
                               "when it is held; or use `platform: eks` (CronJob `concurrencyPolicy: Forbid`)"))
    if comp.kind == "function":
        out += _function(comp)
    if comp.kind == "queue":
        out += _queue(comp)
    if comp.kind == "table":
        out += _table(comp)
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


def table_key(key: Any) -> tuple[str, str]:
    """(name, type) of a table or index key as written: `name` is a string attribute."""
    return (key, "string") if isinstance(key, str) else (key.name, key.type)


def _table(comp: Component) -> list[Diagnostic]:
    """DynamoDB's own rules, said at the field: one type per attribute across the table's and
    its indexes' keys (IC-TABLE-001), a sort key distinct from its partition key and a TTL
    attribute that is no key (IC-TABLE-002), capacity units only for provisioned tables
    (IC-TABLE-003)."""
    spec = comp.spec
    out: list[Diagnostic] = []
    keys: list[tuple[tuple[str | int, ...], Any]] = [(("partition_key",), spec.partition_key)]
    if spec.sort_key is not None:
        keys.append((("sort_key",), spec.sort_key))
    for index_name, index in spec.indexes.items():
        keys.append((("indexes", index_name, "partition_key"), index.partition_key))
        if index.sort_key is not None:
            keys.append((("indexes", index_name, "sort_key"), index.sort_key))
    types: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    for where, key in keys:
        name, kind = table_key(key)
        seen = types.setdefault(name, (kind, where))
        if seen[0] != kind:
            out.append(error("IC-TABLE-001", f"table `{comp.name}`: attribute `{name}` is a {kind} here but a {seen[0]} "
                             f"at `{'.'.join(str(p) for p in seen[1])}`", comp.where(*where),
                             f"give `{name}` one type everywhere, or use another attribute name"))
    pairs = [((), spec.partition_key, spec.sort_key)] + [
        (("indexes", n), i.partition_key, i.sort_key) for n, i in spec.indexes.items()]
    for prefix, pk, sk in pairs:
        if sk is not None and table_key(pk)[0] == table_key(sk)[0]:
            out.append(error("IC-TABLE-002", f"table `{comp.name}`: the sort key `{table_key(sk)[0]}` is also the "
                             "partition key", comp.where(*prefix, "sort_key"),
                             "use a different attribute as the sort key, or remove `sort_key`"))
    if spec.ttl_attribute is not None and spec.ttl_attribute in types:
        out.append(error("IC-TABLE-002", f"table `{comp.name}`: the TTL attribute `{spec.ttl_attribute}` is a key "
                         "attribute", comp.where("ttl_attribute"),
                         "use a separate number attribute (epoch seconds) for the expiry time"))
    if spec.capacity != "provisioned":
        for field in ("read_units", "write_units"):
            if getattr(spec, field) is not None:
                out.append(error("IC-TABLE-003", f"table `{comp.name}`: `{field}` applies only to a provisioned table "
                                 f"(this one is {spec.capacity or 'on-demand'})", comp.where(field),
                                 f"add `capacity: provisioned`, or remove `{field}`"))
    return out


def _hosts(ir: StackIR, host: str | None, origin: Path) -> list[Diagnostic]:
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
            out.append(warning("IC-PATH-002", f"`{rel}` does not exist (paths are relative to the folder of stack.yaml, or to `--base-dir` for a spec read from stdin)", origin,
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
