"""`infracc import compose`: a docker-compose file → a commented stack.yaml + lossiness report.

Well-known images become managed components (postgres/mysql/mariadb → databases, redis/valkey →
caches, rabbitmq/elasticmq → queues, minio → buckets); every other compose service becomes an
infracc service (a worker when it has no port). Per workload: image or build (language from the
context's files), ports → `port`/`public`, environment and env files → `env`/`secrets`
(compose_env.py), depends_on/links → `uses`, healthcheck → `health`, command/entrypoint,
deploy.replicas/resources → `replicas`/`cpu`/`memory`; volumes are reported (compose_volumes.py).
"""
from __future__ import annotations

from pathlib import Path as FsPath

from infracc.compiler.diagnostics import Path
from infracc.compiler.importers import compose_workload as workload
from infracc.compiler.importers.compose_context import Context, Imported
from infracc.compiler.importers.compose_env import Target
from infracc.compiler.importers.compose_values import Interp, parse_port, read_env_file
from infracc.compiler.importers.mapping import (
    ENGINE_NOTES,
    component_name,
    engine_version,
    image_parts,
    stack_name,
    store_of,
    unique,
)
from infracc.compiler.importers.report import ImportReport
from infracc.compiler.importers.source import read
from infracc.compiler.importers.stackdoc import StackDoc

_TOP_KNOWN = {"services", "volumes", "networks", "secrets", "configs", "name", "version", "include"}
_CRED_KEYS = {
    "user": ("POSTGRES_USER", "MYSQL_USER", "MARIADB_USER"),
    "password": ("POSTGRES_PASSWORD", "MYSQL_PASSWORD", "MARIADB_PASSWORD", "MYSQL_ROOT_PASSWORD",
                 "MARIADB_ROOT_PASSWORD"),
    "name": ("POSTGRES_DB", "MYSQL_DATABASE", "MARIADB_DATABASE"),
}


def import_compose(path: FsPath, stack_dir: FsPath | None = None) -> Imported:
    folder = path.parent
    stack_dir = stack_dir or folder
    report = ImportReport()
    file, diags = read(path, path.name)
    for d in diags:
        report.add(file, d)
    if file.data is None:
        return Imported(None, report, stack_dir)
    data = file.data
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(services, dict) or not services:
        report.problem("IC-IMPORT-001", file, ("services",) if isinstance(data, dict) and "services" in data else (),
                       "not a compose file: no `services:` mapping", "pass a docker-compose file (compose.yaml)")
        return Imported(None, report, stack_dir)
    dotenv = read_env_file(folder / ".env") or {}
    raw_name = data.get("name") if isinstance(data.get("name"), str) else folder.resolve().name
    doc = StackDoc(stack_name(str(raw_name)),
                   f"Imported by `infracc import compose` from {path.name}.\n"
                   f"`# from {path.name}:N` says where each entry came from; the import printed what it did not carry over.")
    ctx = Context(file, folder, stack_dir, Interp({k: v for k, (v, _) in dotenv.items()}), report, doc, {},
                  set(data.get("volumes") or {}) if isinstance(data.get("volumes"), dict) else set())
    _top_level(ctx, data)
    workloads = _plan(ctx, services)
    for name, spec in workloads:
        workload.translate(ctx, name, spec)
    workload.finish(ctx)
    if not report.ok:
        return Imported(None, report, stack_dir)
    return Imported(doc.text(), report, stack_dir)


def _top_level(ctx: Context, data: dict[str, object]) -> None:
    for key in data:
        if key == "version":
            ctx.report.lossy("dropped", ctx.file, (key,), "`version` is obsolete in the Compose Specification; ignored")
        elif key == "include":
            ctx.report.lossy("decide", ctx.file, (key,), "included compose files are not imported",
                             "import each included file on its own and merge the stacks")
        elif key not in _TOP_KNOWN and not str(key).startswith("x-"):
            ctx.report.lossy("dropped", ctx.file, (key,), f"top-level `{key}` is not a compose setting infracc reads")


def _plan(ctx: Context, services: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    """Name every compose service, turn stores into components; return the workloads to translate."""
    taken: set[str] = set()
    workloads: list[tuple[str, dict[str, object]]] = []
    for raw, spec in services.items():
        path: Path = ("services", raw)
        if not isinstance(spec, dict):
            ctx.report.problem("IC-IMPORT-002", ctx.file, path, f"service `{raw}` is not a mapping",
                               "each service is a mapping with `image:` or `build:`")
            continue
        name = unique(component_name(str(raw)), taken)
        taken.add(name)
        if name != raw:
            ctx.report.lossy("changed", ctx.file, path, f"service `{raw}` is named `{name}` (infracc names are "
                             "lowercase a-z, 0-9 and -)")
        image = spec.get("image")
        store = store_of(ctx.quiet(image)) if isinstance(image, str) and "build" not in spec else None
        if store is None and isinstance(image, str) and "build" not in spec:
            store = _localstack(ctx, image, spec, path)
        if store is None:
            target = Target(name, "services", _first_port(spec))
            _aliases(ctx, str(raw), spec, target)
            workloads.append((str(raw), spec))
            continue
        section, engine, repo = store
        target = Target(name, section, None, _credentials(ctx, spec, path) if section == "databases" else {})
        if section == "caches":
            target.credentials = _cache_password(ctx, spec, path)
        _aliases(ctx, str(raw), spec, target)
        _store(ctx, str(raw), name, spec, section, engine, repo)
    return workloads


def _localstack(ctx: Context, image: str, spec: dict[str, object], path: Path) -> tuple[str, str | None, str] | None:
    """LocalStack emulating SQS (or only S3) becomes the real service; emulating more is reported."""
    repo, _ = image_parts(ctx.quiet(image))
    if repo != "localstack/localstack":
        return None
    services = {s.strip() for s in _env_pairs(ctx, spec, path).get("SERVICES", "").split(",") if s.strip()}
    if "sqs" in services or services == {"s3"}:
        section = "queues" if "sqs" in services else "buckets"
        if services - {"sqs", "s3"} or services == {"sqs", "s3"}:
            ctx.report.lossy("decide", ctx.file, (*path, "environment"), f"LocalStack emulates {', '.join(sorted(services))}; "
                             f"only {'SQS' if section == 'queues' else 'S3'} is imported (as one {section[:-1]})",
                             "add the other AWS services to stack.yaml (or keep them outside infracc)")
        return section, None, "localstack/localstack"
    return None


def _aliases(ctx: Context, raw: str, spec: dict[str, object], target: Target) -> None:
    ctx.hosts[raw] = target
    hostname = spec.get("hostname")
    if isinstance(hostname, str):
        ctx.hosts.setdefault(hostname, target)


def _first_port(spec: dict[str, object]) -> int | None:
    for key in ("ports", "expose"):
        entries = spec.get(key)
        if isinstance(entries, list):
            for entry in entries:
                port = parse_port(entry)
                if port is not None and port.protocol == "tcp":
                    return port.target
    return None


def _env_pairs(ctx: Context, spec: dict[str, object], path: Path) -> dict[str, str]:
    env = spec.get("environment")
    out: dict[str, str] = {}
    if isinstance(env, dict):
        out = {str(k): ctx.quiet(str(v)) for k, v in env.items() if v is not None}
    elif isinstance(env, list):
        for item in env:
            if isinstance(item, str) and "=" in item:
                key, _, value = item.partition("=")
                out[key] = ctx.quiet(value)
    return out


def _credentials(ctx: Context, spec: dict[str, object], path: Path) -> dict[str, str]:
    env = _env_pairs(ctx, spec, path)
    creds = {role: next((env[k] for k in keys if k in env), "") for role, keys in _CRED_KEYS.items()}
    if not creds["user"]:
        creds["user"] = "postgres" if "POSTGRES_PASSWORD" in env or "POSTGRES_PASSWORD_FILE" in env else (
            "root" if any(k.endswith("ROOT_PASSWORD") or k.endswith("ROOT_PASSWORD_FILE") for k in env) else "")
    return {role: value for role, value in creds.items() if value}


def _cache_password(ctx: Context, spec: dict[str, object], path: Path) -> dict[str, str]:
    command = spec.get("command")
    words = command.split() if isinstance(command, str) else [str(c) for c in command] if isinstance(command, list) else []
    for i, word in enumerate(words[:-1]):
        if word == "--requirepass":
            return {"password": ctx.quiet(words[i + 1])}
    return {}


def _store(ctx: Context, raw: str, name: str, spec: dict[str, object], section: str, engine: str | None,
           repo: str) -> None:
    path: Path = ("services", raw)
    comp = ctx.doc.component(section, name, ctx.origin(path))
    image = ctx.interpolate(str(spec["image"]), (*path, "image"))
    _, tag = image_parts(image)
    kind = {"databases": "database", "caches": "cache", "queues": "queue", "buckets": "bucket"}[section]
    if engine is not None:
        ctx.doc.put(comp, "engine", engine, ctx.origin((*path, "image")))
        version = engine_version(section, engine, tag) if repo in ("postgres", "mysql", "redis", "valkey/valkey") else None
        if version:
            ctx.doc.put(comp, "version", version, ctx.origin((*path, "image")))
        elif tag and tag != "latest":
            ctx.report.lossy("changed", ctx.file, (*path, "image"), f"image tag `{tag}` is not a {engine} version "
                             f"infracc supports; `{name}` gets infracc's default version", "set `version:` to pin one")
    if repo in ENGINE_NOTES:
        ctx.report.lossy("decide" if section == "queues" else "changed", ctx.file, (*path, "image"),
                         f"`{raw}`: {ENGINE_NOTES[repo]}")
    ctx.report.lossy("changed", ctx.file, path, f"`{raw}` ({image}) becomes a managed {kind}; its container "
                     "settings do not apply", None)
    for key in spec:
        if key in ("image", "restart", "networks", "container_name", "hostname"):
            continue
        what = _STORE_KEYS.get(str(key), "is not carried over to a managed {kind}")
        kind_text = what.format(kind=kind, name=name)
        category = "decide" if key == "volumes" else "dropped"
        ctx.report.lossy(category, ctx.file, (*path, key), f"`{raw}`.{key} {kind_text}")


_STORE_KEYS = {
    "volumes": "holds the container's data; the managed {kind} `{name}` starts empty: migrate the data (dump and restore)",
    "environment": "configures the container; credentials and settings of the managed {kind} are infracc's "
                   "(connection values reach users as `${{{name}.…}}` placeholders and injected variables)",
    "healthcheck": "is not needed: AWS monitors the managed {kind}",
    "command": "passes server flags; set them in an RDS/ElastiCache parameter group (not an infracc setting)",
    "ports": "publishes the port locally; the managed {kind} is reachable only from the components that use it",
    "expose": "is not needed: infracc opens the port to the components that use `{name}`",
    "secrets": "mounts credentials; infracc generates and stores the managed {kind}'s credentials",
}
