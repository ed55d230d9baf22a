"""Validation of `externals:` and shared `secrets:` (IC-EXT-001..006, IC-SECRET-003..004).

Part of the validate pass (`validate._component` calls `check`); read-only like it. The shapes
the schema cannot see: a host that is neither a DNS name nor an http(s) URL, a protocol or port
that contradicts the URL, breaker timings outside what a client can honour, dependencies nothing
uses, an AWS endpoint declared as an external, egress that cannot exist (a function in a VPC
without NAT), and variable names two sources would both set.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from infracc.compiler.diagnostics import Diagnostic, error, warning
from infracc.compiler.ir import INJECTED, Component, EnvIR
from infracc.schema.types import duration_seconds

# RFC 1123 labels, at least two of them, the last alphabetic (a top-level domain).
_DNS = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# AWS service endpoints ("AWS service endpoints", AWS General Reference): a component or the
# 443 egress every workload has already reaches them.
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
WINDOW_SECONDS = (10, 3600)
OPEN_SECONDS = (1, 3600)
TIMEOUT_MS_MAX = 15 * 60 * 1000
_SCHEMES = ("http", "https")


def check(env: EnvIR, comp: Component) -> list[Diagnostic]:
    if comp.kind == "external":
        return _external(env, comp)
    if comp.kind == "secret":
        return _unused(env, comp, "IC-SECRET-003", "shared secret")
    if comp.kind in ("service", "job", "function"):
        return _no_route(env, comp) + _collisions(env, comp)
    return []


def _host_problem(host: str) -> str | None:
    """Why `host` is neither a DNS name, an IPv4 address nor an http(s) URL (None: it is)."""
    name = host
    if "://" in host:
        parts = urlsplit(host)
        if parts.scheme.lower() not in _SCHEMES:
            return f"the URL scheme `{parts.scheme}` is not http or https"
        if parts.username or parts.password:
            return "the URL carries credentials"
        if parts.query or parts.fragment:
            return "the URL has a query or fragment"
        try:
            parts.port  # noqa: B018 - urllib checks the port when it is read
        except ValueError:
            return "the URL's port is not a number from 1 to 65535"
        name = parts.hostname or ""
    elif any(c in host for c in "/:?#@ "):
        return "a bare host is a DNS name only (write a URL `https://host:port/path` for more)"
    name = name.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None if _DNS.match(name) else f"`{name}` is not a DNS name"
    if address.version != 4 or not address.is_global:
        return f"`{name}` is not a public IPv4 address"
    return None


_LABEL = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _local_problem(url: str) -> str | None:
    """`local` is an http(s) URL whose host may be a compose service name (one label)."""
    parts = urlsplit(url)
    if "://" not in url or parts.scheme.lower() not in _SCHEMES:
        return "it is not an http or https URL"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "it carries credentials, a query or a fragment"
    try:
        parts.port  # noqa: B018 - urllib checks the port when it is read
    except ValueError:
        return "its port is not a number from 1 to 65535"
    return None if _LABEL.match((parts.hostname or "").rstrip(".")) else "its host is not a name"


def _external(env: EnvIR, comp: Component) -> list[Diagnostic]:
    spec, out = comp.spec, list[Diagnostic]()
    problem = _host_problem(spec.host)
    if problem is not None:
        out.append(error("IC-EXT-001", f"external `{comp.name}`: host `{spec.host}` is not usable: {problem}",
                         comp.where("host"), "write a DNS name (`api.example.com`) or a URL (`https://api.example.com/v1`)"))
        return out + _unused(env, comp, "IC-EXT-004", "external")
    url = "://" in spec.host
    scheme = urlsplit(spec.host).scheme.lower() if url else None
    url_port = urlsplit(spec.host).port if url else None
    if spec.protocol is not None and scheme is not None and spec.protocol != scheme:
        out.append(error("IC-EXT-002", f"external `{comp.name}`: protocol `{spec.protocol}` contradicts the URL's "
                         f"scheme `{scheme}`", comp.where("protocol"),
                         "remove `protocol` (the URL's scheme sets it), or write a bare host name"))
    if spec.port is not None and url_port is not None and spec.port != url_port:
        out.append(error("IC-EXT-002", f"external `{comp.name}`: port {spec.port} contradicts the URL's port "
                         f"{url_port}", comp.where("port"), "keep one of them"))
    if spec.protocol == "tcp" and spec.port is None:
        out.append(error("IC-EXT-002", f"external `{comp.name}` speaks tcp but has no `port`", comp.where("protocol"),
                         "add `port:` (tcp has no default port)"))
    out += _timings(comp)
    if spec.local is not None and (why := _local_problem(spec.local)) is not None:
        out.append(error("IC-EXT-001", f"external `{comp.name}`: local `{spec.local}` is not usable: {why}",
                         comp.where("local"), "write an http(s) URL of a compose service, e.g. `http://payments-mock:8080`"))
    name = (urlsplit(spec.host).hostname or "") if url else spec.host.lower().rstrip(".")
    if name.endswith(_AWS_SUFFIXES):
        out.append(warning("IC-EXT-005", f"external `{comp.name}` is an AWS service endpoint (`{name}`)",
                           comp.where("host"),
                           "declare the resource as a component (buckets, queues, tables, functions) to get its "
                           "IAM grant and env; AWS APIs are already reachable over 443 without an external"))
    return out + _unused(env, comp, "IC-EXT-004", "external")


def _timings(comp: Component) -> list[Diagnostic]:
    spec, out = comp.spec, list[Diagnostic]()
    if spec.timeout is not None:
        ms = int(spec.timeout[:-2]) if spec.timeout.endswith("ms") else duration_seconds(spec.timeout) * 1000
        if ms > TIMEOUT_MS_MAX:
            out.append(error("IC-EXT-003", f"external `{comp.name}`: timeout {spec.timeout} is over 15m",
                             comp.where("timeout"), "a call that takes longer belongs on a queue"))
    breaker = spec.circuit_breaker
    for field, (low, high) in (("window", WINDOW_SECONDS), ("open_for", OPEN_SECONDS)):
        value = getattr(breaker, field, None) if breaker is not None else None
        if value is not None and not low <= duration_seconds(value) <= high:
            out.append(error("IC-EXT-003", f"external `{comp.name}`: circuit_breaker.{field} {value} is outside "
                             f"{low}s..{high // 60}m", comp.where("circuit_breaker", field),
                             f"use a value from {low}s to {high // 60}m"))
    return out


def _unused(env: EnvIR, comp: Component, code: str, what: str) -> list[Diagnostic]:
    if env.graph.users(comp.id):
        return []
    # The same words in every environment where it happens: reported once.
    return [warning(code, f"{what} `{comp.name}` is used by nothing", comp.origin,
                    f"add `{comp.name}` to the `uses` of the workloads that need it, or remove it")]


def _no_route(env: EnvIR, comp: Component) -> list[Diagnostic]:
    """A function joins the VPC when it uses a database or cache; without NAT it has no route out."""
    if comp.kind != "function" or env.settings.nat_gateway is not False:
        return []
    targets = {conn.target.split(".")[0]: conn for conn in env.graph.uses(comp.id)}
    if not ({"database", "cache"} & set(targets)):
        return []
    return [error("IC-EXT-006", f"function `{comp.name}` runs in the VPC (it uses a database or cache) and environment "
                  f"`{env.name}` refuses NAT gateways: it cannot reach external `{conn.target.split('.', 1)[1]}`",
                  conn.origin, "remove `nat_gateway: false` from the environment, or call the external from "
                  "a function outside the VPC")
            for conn in env.graph.uses(comp.id) if conn.target.startswith("external.")]


def _collisions(env: EnvIR, comp: Component) -> list[Diagnostic]:
    """IC-SECRET-004: a shared secret's variable that another source of the workload also sets (a
    declared secret, another use's injected variable): one of them would silently win."""
    out: list[Diagnostic] = []
    names = env.graph.by_name()
    declared = set(getattr(comp.spec, "secrets", ()) or ())
    injected: dict[str, str] = {}
    for ref in comp.uses:
        target = names.get(ref.name)
        if target is None or target is comp:
            continue
        if target.kind == "secret":
            variables = [target.spec.variable or target.env_name]
        else:
            variables = [f"{target.env_name}_{o.upper()}" for o in INJECTED.get(target.kind, ())]
        for var in variables:
            other = injected.get(var)
            if other is not None and "secret" in (target.kind, names[other].kind):
                out.append(error("IC-SECRET-004", f"`{comp.name}` gets `{var}` from both `{other}` and `{ref.name}`",
                                 ref.origin, "give the shared secret another `variable`"))
            injected.setdefault(var, ref.name)
            if target.kind == "secret" and var in declared:
                out.append(error("IC-SECRET-004", f"`{comp.name}` declares secret `{var}` and reads shared secret "
                                 f"`{ref.name}` under the same name", ref.origin,
                                 f"remove `{var}` from `secrets:` (the shared secret provides it), or give the "
                                 "shared secret another `variable`"))
    return out
