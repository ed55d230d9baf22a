"""Endpoints pass: the host name and URL of every public service and site, per environment,
and how the environment is reached (`Edge`).

The last environment in promotion order (production) answers on the hosts as written (or
the stack `domain`); every other environment inserts its name after the first label, so
environments never write the same DNS record: `api.shop.example.com` in prod is
`api.dev.shop.example.com` in dev, and the bare `shop.example.com` becomes `dev.shop.example.com`.

Public tcp services are reached through the environment's Network Load Balancer on their own
port (`tls://host:port` with a domain, `tcp://<load balancer name>:port` without): CloudFront
and WAF carry HTTP only.

Without `domain`, nothing is left unreachable: public services sit behind an internal load
balancer that a CloudFront distribution reaches through a VPC origin, and each site has its
own distribution; both serve HTTPS on an AWS-provided `*.cloudfront.net` name, which Terraform
prints as an output (`Endpoint.output`).
"""
from __future__ import annotations

from typing import Any

from infracc.compiler import resolved
from infracc.compiler.decisions import Edge, Endpoint
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import Component, EnvIR, StackIR

REQUIRES = frozenset({"resolved"})
PROVIDES = frozenset({"endpoints"})

def endpoints(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    for env in ir.envs.values():
        for comp in env.graph.components("service", "site"):
            comp.endpoint = endpoint(ir, env, comp)
        env.edge = edge(ir, env)
    return []


def edge(ir: StackIR, env: EnvIR) -> Edge:
    reached = [c.endpoint for c in env.graph.components("service") if c.endpoint is not None]
    public = [e for e in reached if e.balancer == "alb"]
    sites = env.graph.components("site")
    balancer = "none" if not public else "internet-facing" if ir.domain else "internal"
    return Edge(load_balancer=balancer, domain=bool(ir.domain), app_distribution=bool(public) and not ir.domain,
                waf=bool(public or sites), network_load_balancer=any(e.balancer == "nlb" for e in reached))


def output_name(comp: Component) -> str:
    return f"{comp.kind}_{comp.name}_url".replace("-", "_")


def endpoint(ir: StackIR, env: EnvIR, comp: Component) -> Endpoint | None:
    if comp.kind == "service":
        svc = resolved.service(comp)
        public = svc.public
        if public is None:
            return None
        if svc.protocol == "tcp":
            return _tcp_endpoint(ir, env, comp, public.host, svc.port)
        written, path, cdn = public.host, public.path, public.cdn
    else:
        written, path, cdn = resolved.site(comp).host, "/", True
    host = env_host(written or ir.domain, ir.domain, env) if ir.domain else None
    if not host:
        cdn = True  # without a domain every public entry point is a CloudFront distribution
    return Endpoint(host=host, path=path, url=f"https://{host}{path}" if host else None, cdn=cdn,
                    output=output_name(comp), balancer="alb" if comp.kind == "service" else "cdn")


def _tcp_endpoint(ir: StackIR, env: EnvIR, comp: Component, written: str | None, port: int | None) -> Endpoint:
    """A public tcp service: the Network Load Balancer's listener on the service's own port. With
    `domain` the listener terminates TLS with the ACM certificate of the host (`tls://host:port`);
    without one the only name is the load balancer's AWS DNS name, on which no certificate can be
    issued, so the listener forwards plain TCP (the URL is Terraform's output after apply). The
    host defaults to `<service>.<domain>` (`tcp_host`)."""
    assert port is not None, f"{comp.id}: a public service has a port (IC-SVC-001)"
    host = env_host(written or tcp_host(comp.name, ir.domain), ir.domain, env) if ir.domain else None
    scheme = "tls" if host else "tcp"
    return Endpoint(host=host, path="/", url=f"{scheme}://{host}:{port}" if host else None, cdn=False,
                    output=output_name(comp), balancer="nlb", port=port, tls=host is not None)


def tcp_host(name: str, domain: str) -> str:
    """The default host of a public tcp service: its own name under the domain (the bare domain
    is the web entry point's; a tcp service answers on its own port and its own DNS name).

    >>> tcp_host("mqtt", "shop.io")
    'mqtt.shop.io'
    """
    return f"{name}.{domain}"


def env_host(host: str, domain: str, env: EnvIR) -> str:
    """>>> from types import SimpleNamespace as N
    >>> env_host("api.shop.io", "shop.io", N(name="dev", settings=N(is_last=False)))
    'api.dev.shop.io'
    >>> env_host("shop.io", "shop.io", N(name="dev", settings=N(is_last=False)))
    'dev.shop.io'
    """
    if env.settings.is_last:
        return host
    if host == domain:
        return f"{env.name}.{domain}"
    label, _, rest = host.partition(".")
    return f"{label}.{env.name}.{rest}"
