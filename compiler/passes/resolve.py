"""Resolve pass: each component's effective spec → its resolved object (`infracc.compiler.resolved`).

Runs right after validation, so every shorthand is well-formed here. Every default the
backends used to pick for themselves is picked in this one place.
"""
from __future__ import annotations

import posixpath
from typing import Any

from infracc.compiler import library_data as lib
from infracc.compiler import resolved as r
from infracc.compiler.diagnostics import Diagnostic, warning
from infracc.compiler.ir import Component, StackIR
from infracc.schema.types import duration_seconds

REQUIRES = frozenset({"valid"})
PROVIDES = frozenset({"resolved"})


def resolve(ir: StackIR, data: dict[str, Any]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for env in ir.envs.values():
        for comp in env.graph:
            comp.resolved = resolve_component(comp, ir.tracing)
            diags += _unprobed(comp, comp.resolved)
    return list(dict.fromkeys(diags))


def _unprobed(comp: Component, res: r.Resolved) -> list[Diagnostic]:
    """A worker without `health` gets no probe (nothing generic can tell a hung worker from a
    busy one): said here, where the probe is decided, with the fix (IC-SVC-006)."""
    if not isinstance(res, r.Service) or res.probe.kind != "none":
        return []
    return [warning("IC-SVC-006", f"`{comp.name}` has neither a port nor a health check: it is restarted only when "
                    "its process exits, so a hung worker goes unnoticed (no liveness/readiness probe, no ECS health "
                    "check)", comp.where("health"),
                    "add `health: {command: [...]}`, a program in the image that exits 0 while the worker makes "
                    "progress, e.g. [celery, -A, app, inspect, ping]")]


def resolve_component(comp: Component, stack_tracing: Any = None) -> r.Resolved:
    spec, kind = comp.spec, comp.kind
    common: dict[str, Any] = {"name": comp.name, "description": spec.description}
    if kind in ("service", "job", "function"):
        common["tracing"] = _tracing(spec.tracing if spec.tracing is not None else stack_tracing,
                                     r.FUNCTION_TRACING if kind == "function" else r.WORKLOAD_TRACING)
    if kind == "service":
        port = spec.port
        return r.Service(**common, **_workload(spec, port, spec.protocol), mounts=_mounts(comp), port=port,
                         protocol=spec.protocol,
                         public=_exposure(spec.public) if port is not None else None,
                         rollout=_rollout(spec.deploy), stateful=spec.stateful,
                         volume_gb=(spec.volume_gb or r.VOLUME_GB) if spec.stateful else None,
                         migrate=tuple(spec.migrate or ()), singleton=spec.singleton)
    if kind == "job":
        return r.Job(**common, **_workload(spec, None, "http"), mounts=_mounts(comp), schedule=spec.schedule,
                     timeout_seconds=duration_seconds(spec.timeout) if spec.timeout else r.JOB_TIMEOUT_SECONDS,
                     retries=spec.retries, singleton=spec.singleton)
    if kind == "database":
        return r.Database(**common, engine=spec.engine, contains_pii=spec.contains_pii)
    if kind == "cache":
        return r.Cache(**common, engine=spec.engine, contains_pii=spec.contains_pii)
    if kind == "bucket":
        life = spec.lifecycle
        return r.Bucket(**common, versioning=spec.versioning,
                        archive_after_days=life.archive_after_days if life else None,
                        expire_after_days=life.expire_after_days if life else None,
                        cors=tuple(spec.cors), public_read=spec.public_read, contains_pii=spec.contains_pii)
    if kind == "queue":
        return r.Queue(**common, fifo=spec.fifo, visibility_timeout_seconds=duration_seconds(spec.visibility_timeout),
                       retention_seconds=duration_seconds(spec.retention), max_receives=spec.dead_letter.max_receives,
                       contains_pii=spec.contains_pii)
    if kind == "table":
        return r.Table(**common, partition_key=_table_key(spec.partition_key),
                       sort_key=_table_key(spec.sort_key) if spec.sort_key is not None else None,
                       indexes=tuple(r.TableIndex(name=n, partition_key=_table_key(i.partition_key),
                                                  sort_key=_table_key(i.sort_key) if i.sort_key is not None else None,
                                                  projection=i.projection)
                                     for n, i in sorted(spec.indexes.items())),
                       ttl_attribute=spec.ttl_attribute, stream=spec.stream, contains_pii=spec.contains_pii)
    if kind == "filesystem":
        return r.Filesystem(**common, throughput=spec.throughput or "elastic", one_zone=spec.one_zone,
                            contains_pii=spec.contains_pii)
    if kind == "function":
        return r.Function(**common, runtime=spec.runtime, source=spec.source, handler=spec.handler,
                          memory_mb=spec.memory, timeout_seconds=duration_seconds(spec.timeout),
                          trigger=_trigger(spec.trigger), secrets=tuple(spec.secrets))
    if kind == "site":
        return r.Site(**common, source=spec.source, spa=spec.spa, host=spec.host)
    if kind == "external":
        return _external(common, spec)
    if kind == "secret":
        return r.SharedSecret(**common, variable=spec.variable or comp.env_name,
                              generate_length=(spec.generate.length or r.SECRET_LENGTH) if spec.generate is not None else None)
    raise AssertionError(f"no resolver for kind {kind}")


def timeout_ms(text: str) -> int:
    """`800ms` → 800, `5s` → 5000, `2m` → 120000 (validate checked the form).

    >>> [timeout_ms(t) for t in ("800ms", "5s", "2m")]
    [800, 5000, 120000]
    """
    return int(text[:-2]) if text.endswith("ms") else duration_seconds(text) * 1000


def split_host(host: str) -> tuple[str | None, str, int | None, str]:
    """(scheme, host, port, path) of a `host` as written: a URL or a bare DNS name.

    >>> split_host("https://api.stripe.com:8443/v1/"), split_host("smtp.example.com")
    (('https', 'api.stripe.com', 8443, '/v1'), (None, 'smtp.example.com', None, ''))
    """
    from urllib.parse import urlsplit

    if "://" not in host:
        return None, host.lower().rstrip("."), None, ""
    parts = urlsplit(host)
    return parts.scheme.lower(), (parts.hostname or "").rstrip("."), parts.port, parts.path.rstrip("/")


def _external(common: dict[str, Any], spec: Any) -> r.External:
    scheme, host, url_port, path = split_host(spec.host)
    protocol = spec.protocol or scheme or "https"
    port = spec.port or url_port or r.SCHEME_PORTS.get(protocol, 0)
    breaker = spec.circuit_breaker
    return r.External(**common, host=host, port=port, protocol=protocol, path=path,
                      timeout_ms=timeout_ms(spec.timeout) if spec.timeout else r.EXTERNAL_TIMEOUT_MS,
                      retries=spec.retries if spec.retries is not None else r.EXTERNAL_RETRIES,
                      breaker_failures=breaker.failures if breaker and breaker.failures else r.BREAKER_FAILURES,
                      breaker_window_seconds=duration_seconds(breaker.window) if breaker and breaker.window
                      else r.BREAKER_WINDOW_SECONDS,
                      breaker_open_seconds=duration_seconds(breaker.open_for) if breaker and breaker.open_for
                      else r.BREAKER_OPEN_SECONDS,
                      critical=spec.critical, status_page=spec.status_page, contact=spec.contact,
                      local=_local(spec.local) if spec.local else None)


def _local(url: str) -> tuple[str, int, str]:
    """(host, port, url) of an external's compose-only `local` URL (validate checked it).

    >>> _local("http://payments-mock:8080/")
    ('payments-mock', 8080, 'http://payments-mock:8080')
    """
    scheme, host, port, path = split_host(url)
    return host, port or r.SCHEME_PORTS[scheme or "https"], url.rstrip("/")


def _mounts(comp: Component) -> tuple[r.Mount, ...]:
    """Each file system once (validation refused a second mount of one), paths normalised."""
    out: dict[str, r.Mount] = {}
    for m in comp.mounts:
        out.setdefault(m.filesystem, r.Mount(filesystem=m.filesystem, path=posixpath.normpath(m.path),
                                             read_only=m.read_only))
    return tuple(out.values())


def _tracing(written: Any, default: bool) -> r.Tracing:
    """`true`/`false`, `{sample_rate}` (tracing on at that rate) or nothing (the kind's default)."""
    if written is None:
        return r.Tracing(enabled=default)
    if isinstance(written, bool):
        return r.Tracing(enabled=written)
    return r.Tracing(enabled=True, sample_rate=written.sample_rate)


def _table_key(key: Any) -> r.TableKey:
    """`name` is a string attribute; `{name, type}` as written."""
    return r.TableKey(name=key) if isinstance(key, str) else r.TableKey(name=key.name, type=key.type)


def _workload(spec: Any, port: int | None, protocol: str) -> dict[str, Any]:
    image = str(spec.image) if spec.image is not None else None
    return {"image": image, "command": tuple(spec.command or ()),
            "secrets": tuple(spec.secrets), "probe": _probe(spec.health, port, protocol),
            **hardening(spec.writable, spec.run_as, image)}


# Registry hosts that serve Docker Hub's official images under the same repository names.
_REGISTRIES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/", "mirror.gcr.io/", "public.ecr.aws/docker/",
               "public.ecr.aws/")


def image_repository(ref: str) -> str:
    """An image reference's repository without tag, digest or a public registry's host, the key
    of library/prebuilt_images.json.

    >>> [image_repository(x) for x in ("nginx:1.27", "docker.io/library/nginx@sha256:" + "a" * 64,
    ...                                "public.ecr.aws/nginx/nginx:1", "ghcr.io/acme/app:2")]
    ['nginx', 'nginx', 'nginx', 'ghcr.io/acme/app']
    """
    name = ref.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for host in _REGISTRIES:
        name = name.removeprefix(host)
    name = name.removeprefix("library/")
    return "nginx" if name == "nginx/nginx" else name  # the official image's mirror on ECR Public


def hardening(writable: list[str] | None, run_as: Any, image: str | None) -> dict[str, Any]:
    """Writable directories and user: as written, else from the prebuilt-image table for a known
    image, else /tmp only and UID 10001. Written paths are normalised and kept once each (the
    security pass refuses unsafe ones at their position)."""
    repository = image_repository(image) if image is not None else None
    row = lib.prebuilt_images().get(repository) if repository is not None else None
    assumed: list[str] = []
    paths: list[str] = []
    if writable is not None:
        paths = [posixpath.normpath(p) for p in writable]
    elif row is not None and row.writable:
        paths = list(row.writable)
        assumed.append("writable")
    user = r.RunAs()
    if run_as is not None:
        user = r.RunAs(user=run_as.user, group=run_as.user if run_as.group is None else run_as.group)
    elif row is not None:
        user = r.RunAs(user=row.user, group=row.group)
        assumed.append("run_as")
    return {"writable": tuple(dict.fromkeys([r.ALWAYS_WRITABLE, *paths])), "run_as": user,
            "assumed_from": repository if assumed else None, "assumed": tuple(assumed)}


def _probe(health: Any, port: int | None, protocol: str) -> r.Probe:
    if health is not None and not isinstance(health, str):
        return r.Probe(kind="exec", command=tuple(health.command))
    if port is None:
        return r.Probe(kind="none")
    if protocol == "http" or (protocol == "tcp" and isinstance(health, str)):  # a tcp server may answer HTTP checks
        return r.Probe(kind="http", path=health or "/")
    return r.Probe(kind="grpc" if protocol == "grpc" else "tcp")


def _exposure(public: Any) -> r.Exposure | None:
    if not public:
        return None
    if public is True:
        return r.Exposure()
    return r.Exposure(path=public.path, cdn=public.cdn, host=public.host)


def _rollout(deploy: Any) -> r.Rollout:
    strategy = deploy.strategy if deploy is not None else "rolling"
    if strategy == "canary":
        steps = tuple(deploy.steps) if deploy.steps else r.CANARY_STEPS
    else:
        steps = (100,) if strategy == "blue-green" else ()
    return r.Rollout(strategy=strategy, steps=steps)


def _trigger(t: Any) -> r.Trigger | None:
    if t is None:
        return None
    if hasattr(t, "bucket"):
        return r.BucketTrigger(bucket=t.bucket, events=tuple(t.events))
    if hasattr(t, "queue"):
        return r.QueueTrigger(queue=t.queue, batch_size=t.batch_size)
    if hasattr(t, "table"):
        return r.TableTrigger(table=t.table, batch_size=t.batch_size, starting_position=t.starting_position)
    if hasattr(t, "schedule"):
        return r.ScheduleTrigger(schedule=t.schedule)
    return r.HttpTrigger(path=t.http.path)
