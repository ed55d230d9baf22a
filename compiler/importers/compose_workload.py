"""One compose service → one infracc service (see compose.py for the overall rules)."""
from __future__ import annotations

import os
import re
from pathlib import Path as FsPath

from infracc.compiler import secret_scan
from infracc.compiler.diagnostics import Path, Severity
from infracc.compiler.importers.compose_context import Built, Context
from infracc.compiler.importers.compose_env import Target, classify
from infracc.compiler.importers.compose_values import (
    Port,
    command_list,
    health_command,
    http_health_path,
    parse_port,
    parse_volume,
    read_env_file,
)
from infracc.compiler.importers.mapping import (
    TCP_IMAGES,
    env_key,
    fargate_size,
    image_parts,
    memory_mib,
)
from infracc.compiler.importers.stackdoc import Value
from infracc.schema.types import ENV_VAR_RE

HANDLED = {"image", "build", "command", "entrypoint", "ports", "expose", "environment", "env_file", "secrets",
           "healthcheck", "deploy", "volumes", "depends_on", "links"}
WHY_DROPPED = {
    "restart": "the orchestrator always restarts failed tasks",
    "networks": "network access follows `uses` (default deny otherwise)",
    "container_name": "resource names derive from the stack and component names",
    "hostname": "components reach each other through placeholders and injected variables",
    "user": "infracc runs every container as a non-root UID of its own",
    "privileged": "refused by the security baseline",
    "cap_add": "refused by the security baseline (containers drop all capabilities)",
    "logging": "infracc sends logs to CloudWatch with a retention of its own",
    "labels": "labels are not carried over",
    "init": "not an infracc setting",
    "stdin_open": "interactive terminals are a local-development setting",
    "tty": "interactive terminals are a local-development setting",
    "platform": "infracc chooses the CPU architecture",
    "profiles": "compose profiles have no infracc equivalent",
    "extra_hosts": "host entries are not an infracc setting",
}
LANGUAGE_FILES = (("go", ("go.mod",)), ("java", ("pom.xml", "build.gradle", "build.gradle.kts")),
                  ("node", ("package.json",)),
                  ("python", ("pyproject.toml", "requirements.txt", "uv.lock", "Pipfile", "setup.py", "main.py", "app.py")))


def detect_language(root: FsPath) -> tuple[str, str] | None:
    """(language, the file that told) from a build context's files, as the build-context pass reads them."""
    for language, names in LANGUAGE_FILES:
        for name in names:
            if (root / name).is_file():
                return language, name
    return None


def translate(ctx: Context, raw: str, spec: dict[str, object]) -> None:
    path: Path = ("services", raw)
    target = ctx.hosts[raw]
    if "image" not in spec and "build" not in spec:
        ctx.report.problem("IC-IMPORT-003", ctx.file, path, f"service `{raw}` has neither `image` nor `build`; not imported",
                           "add `image:` or `build:` to the compose service", Severity.WARNING)
        return
    built = Built(raw, target.name, ctx.doc.component("services", target.name, ctx.origin(path)))
    ctx.built.append(built)
    _source(ctx, built, spec, path)
    _command(ctx, built, spec, path)
    _ports(ctx, built, spec, path)
    _environment(ctx, built, spec, path)
    _secrets(ctx, built, spec, path)
    _health(ctx, built, spec, path)
    _deploy(ctx, built, spec, path)
    _volumes(ctx, built, spec, path)
    _depends(ctx, built, spec, path)
    for key in spec:
        if key not in HANDLED:
            why = WHY_DROPPED.get(str(key), "has no infracc equivalent")
            ctx.report.lossy("dropped", ctx.file, (*path, key), f"`{raw}`.{key}: {why}")


def _source(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    build = spec.get("build")
    if build is None:
        image = ctx.interpolate(str(spec["image"]), (*path, "image"))
        ctx.doc.put(built.comp, "image", image, ctx.origin((*path, "image")))
        return
    if "image" in spec:
        ctx.report.lossy("changed", ctx.file, (*path, "image"), f"`{built.raw}` is built; `image` only names the "
                         "build's tag in compose, and infracc tags images itself")
    options: dict[str, object] = build if isinstance(build, dict) else {"context": build}
    context = ctx.interpolate(str(options.get("context", ".")), (*path, "build"))
    if re.match(r"^[a-z]+://|^git@", context):
        ctx.report.problem("IC-IMPORT-003", ctx.file, (*path, "build"), f"build context `{context}` is a remote URL; "
                           "infracc builds from a folder next to stack.yaml", "clone it into the repository",
                           Severity.WARNING)
    root = (ctx.folder / context).resolve()
    built.context = root
    rel = FsPath(os.path.relpath(root, ctx.stack_dir.resolve())).as_posix()
    entry: dict[str, Value] = {"context": rel if rel.startswith(".") else f"./{rel}"}
    found = detect_language(root)
    dockerfile = options.get("dockerfile")
    if found is not None:
        entry["language"] = found[0]
        ctx.report.lossy("changed", ctx.file, (*path, "build"), f"`{built.raw}` is built as {found[0]} (from "
                         f"{found[1]} in `{context}`): infracc generates a hardened Dockerfile instead of using "
                         f"`{dockerfile or 'Dockerfile'}`", "set `language: dockerfile` to keep your own Dockerfile")
    else:
        entry["language"] = "dockerfile"
        if isinstance(dockerfile, str) and dockerfile != "Dockerfile":
            entry["dockerfile"] = dockerfile
    ctx.doc.put(built.comp, "build", entry, ctx.origin((*path, "build")))
    for key in options:
        if key in ("target", "args"):
            what = ("multi-stage target" if key == "target" else "build arguments")
            ctx.report.lossy("decide", ctx.file, (*path, "build", key), f"`{built.raw}`: {what} not carried over "
                             "(infracc builds the final stage without arguments)",
                             "make the final stage the one to deploy, with defaults for the arguments")
        elif key not in ("context", "dockerfile"):
            ctx.report.lossy("dropped", ctx.file, (*path, "build", key), f"`{built.raw}`: build.{key} is not carried over")


def _command(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    entry = command_list(spec["entrypoint"], ctx.interp) if "entrypoint" in spec else None
    command = command_list(spec["command"], ctx.interp) if "command" in spec else None
    for key, value in (("entrypoint", entry), ("command", command)):
        if key in spec and value is None:
            ctx.report.problem("IC-IMPORT-002", ctx.file, (*path, key), f"`{built.raw}`.{key} cannot be read as a command",
                               "use a string or a list of strings")
    full = [*(entry or []), *(command or [])]
    if not full:
        return
    key = "entrypoint" if entry else "command"
    if any(secret_scan.find_secret(word) for word in full):
        ctx.report.lossy("decide", ctx.file, (*path, key), f"`{built.raw}`.{key} contains what looks like a credential; "
                         "not carried over", "pass it through `secrets:` and read it from the environment")
        return
    if entry:
        ctx.report.lossy("decide", ctx.file, (*path, "entrypoint"), f"`{built.raw}`: entrypoint and command are joined "
                         "into `command`; infracc sets the container command only, the image's ENTRYPOINT stays",
                         "check that the image has no ENTRYPOINT, or drop its part from `command`")
    ctx.doc.put(built.comp, "command", full, ctx.origin((*path, key)))


def _ports(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    found: list[tuple[Port, Path, bool]] = []
    for key in ("ports", "expose"):
        entries = spec.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            ctx.report.problem("IC-IMPORT-002", ctx.file, (*path, key), f"`{built.raw}`.{key} must be a list")
            continue
        for i, entry in enumerate(entries):
            port = parse_port(entry)
            if port is None:
                ctx.report.problem("IC-IMPORT-002", ctx.file, (*path, key, i), f"cannot read port `{entry}`",
                                   "use `HOST:CONTAINER`, `CONTAINER` or the long syntax")
            elif port.protocol != "tcp":
                ctx.report.lossy("dropped", ctx.file, (*path, key, i), f"{port.protocol} port {port.target}: infracc "
                                 "services speak tcp (http, grpc)")
            else:
                found.append((port, (*path, key, i), key == "ports"))
    if not found:
        return
    chosen, where, published = found[0]
    built.port = chosen.target
    ctx.doc.put(built.comp, "port", chosen.target, ctx.origin(where))
    repo, _ = image_parts(str(spec.get("image", "")))
    tcp = repo in TCP_IMAGES
    if tcp:
        ctx.doc.put(built.comp, "protocol", "tcp", ctx.origin(where))
    if published and chosen.loopback:
        ctx.report.lossy("changed", ctx.file, where, f"port {chosen.target} of `{built.raw}` is published on "
                         f"{chosen.host_ip} only: imported as private (reachable by the components that use it)")
    elif published and not tcp:
        built.public = True
        if chosen.published and chosen.published != str(chosen.target):
            ctx.report.lossy("changed", ctx.file, where, f"`{built.raw}` was published on host port {chosen.published}; "
                             "the load balancer serves it on HTTPS/HTTP under a path instead")
    elif published:
        ctx.report.lossy("decide", ctx.file, where, f"`{built.raw}` publishes tcp port {chosen.target}; imported as "
                         "private: a public tcp service faces the internet on a Network Load Balancer without WAF, "
                         "which needs your reason", "to expose it, add `public: true` and `allow: [{rule: IC-SEC-009, "
                         "reason: ...}]` (without a `domain` also IC-SEC-002)")
    for port, other, _ in found[1:]:
        if port.target != chosen.target:
            ctx.report.lossy("dropped", ctx.file, other, f"port {port.target} of `{built.raw}`: an infracc service has "
                             f"one port ({chosen.target})", "split the container, or move the second listener to this port")


def _environment(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    pairs: dict[str, tuple[str | None, Path, str]] = {}
    for file_path, values, where in _env_files(ctx, built, spec, path):
        for key, (value, line) in values.items():
            pairs[key] = (ctx.interp(value), where, f" (from {file_path}:{line})")
    env = spec.get("environment")
    if isinstance(env, dict):
        for key, value in env.items():
            item_path = (*path, "environment", key)
            text = None if value is None else ctx.interpolate(_text(value), item_path)
            pairs[str(key)] = (text, item_path, "")
    elif isinstance(env, list):
        for i, item in enumerate(env):
            key, eq, value = str(item).partition("=")
            pairs[key] = (ctx.interpolate(value, (*path, "environment", i)) if eq else None, (*path, "environment", i), "")
    elif env is not None:
        ctx.report.problem("IC-IMPORT-002", ctx.file, (*path, "environment"), "`environment` must be a mapping or a list")
    _env_values(ctx, built, pairs)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _env_files(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> list[tuple[str, dict[str, tuple[str, int]], Path]]:
    raw = spec.get("env_file")
    entries = [raw] if isinstance(raw, str | dict) else raw if isinstance(raw, list) else []
    out = []
    for i, entry in enumerate(entries):
        where: Path = (*path, "env_file", i) if isinstance(raw, list) else (*path, "env_file")
        name = entry.get("path") if isinstance(entry, dict) else entry
        required = not isinstance(entry, dict) or entry.get("required", True) is not False
        values = read_env_file(ctx.folder / str(name))
        if values is None:
            if required:
                ctx.report.lossy("decide", ctx.file, where, f"env file `{name}` of `{built.raw}` cannot be read; its "
                                 "variables are not imported", "create it next to the compose file and import again")
            continue
        out.append((str(name), values, where))
    return out


def _env_values(ctx: Context, built: Built, pairs: dict[str, tuple[str | None, Path, str]]) -> None:
    env: dict[str, str] = {}
    secrets: list[str] = []
    mapped: dict[str, Target] = {}
    hosts = {host: t for host, t in ctx.hosts.items() if t.name != built.name}  # its own name is no reference
    origins: dict[str, Path] = {}
    for key, (value, where, note) in pairs.items():
        if not re.fullmatch(ENV_VAR_RE.strip("^$"), key):
            ctx.report.lossy("decide", ctx.file, where, f"`{key}`{note} is not an environment variable name infracc "
                             "accepts (letters, digits and `_`); not imported",
                             "pass the setting another way (a config file in the image, or an option in `command`)")
            continue
        if value is None:
            ctx.report.lossy("decide", ctx.file, where, f"`{key}` takes its value from the shell that runs compose{note}; "
                             "not imported", "add it to `env` or `secrets` in stack.yaml")
            continue
        if value.startswith("/run/secrets/"):
            ctx.report.lossy("decide", ctx.file, where, f"`{key}` points at the compose secret file `{value}`{note}; "
                             "infracc delivers secrets as environment variables, not files: not imported")
            continue
        result = classify(key, value, hosts, mapped)
        if result.kind == "placeholder":
            assert result.target is not None
            built.uses.setdefault(result.target, where)
            injected = f"{result.target.upper().replace('-', '_')}_{result.value.split('.')[-1].rstrip('}').upper()}"
            if key == injected and result.value.count("${") == 1:
                ctx.report.lossy("changed", ctx.file, where, f"`{key}`{note}: infracc injects it from `uses: [{result.target}]`")
                continue
            if result.value.endswith(".host}"):
                mapped[key] = next(t for t in ctx.hosts.values() if t.name == result.target)
            env[key], origins[key] = result.value, where
            if result.note:
                ctx.report.lossy("changed", ctx.file, where, result.note + note)
        elif result.kind == "secret":
            secrets.append(key)
            origins.setdefault(key, where)
            ctx.report.lossy("secret", ctx.file, where, f"`{key}`{note} looks like a credential: its value is not copied; "
                             "`" + key + "` is listed under `secrets:`", "store the value in the secret store (the runbook says how)")
        elif result.kind == "dropped":
            ctx.report.lossy("decide", ctx.file, where, (result.decide or f"`{key}` not imported") + note)
        else:
            env[key], origins[key] = result.value, where
            if result.decide:
                ctx.report.lossy("decide", ctx.file, where, result.decide + note)
            elif re.search(r"\b(localhost|127\.0\.0\.1)\b", value):
                ctx.report.lossy("decide", ctx.file, where, f"`{key}`{note} points at localhost, which is the container "
                                 "itself on AWS: copied as written", "set the deployed URL (per environment in `overrides`)")
    if env:
        ctx.doc.put(built.comp, "env", env)
        for key in env:
            ctx.doc._comment(built.comp["env"], key, ctx.origin(origins[key]))
    if secrets:
        ctx.doc.put(built.comp, "secrets", list(dict.fromkeys(secrets)))


def _secrets(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    entries = spec.get("secrets")
    if not isinstance(entries, list):
        return
    names = list(built.comp.get("secrets", []))
    for i, entry in enumerate(entries):
        source = entry.get("source") if isinstance(entry, dict) else entry
        target = entry.get("target", source) if isinstance(entry, dict) else entry
        key = env_key(str(target).rsplit("/", 1)[-1])
        names.append(key)
        ctx.report.lossy("decide", ctx.file, (*path, "secrets", i), f"compose mounts secret `{source}` as the file "
                         f"/run/secrets/{target}; infracc delivers it as the environment variable `{key}`",
                         f"read `{key}` from the environment in `{built.raw}` (or write it to a file at start-up)")
    if names:
        ctx.doc.put(built.comp, "secrets", list(dict.fromkeys(names)), ctx.origin((*path, "secrets")))


def _health(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    check = spec.get("healthcheck")
    if not isinstance(check, dict):
        return
    where = (*path, "healthcheck")
    if check.get("disable") is True or "test" not in check:
        ctx.report.lossy("dropped", ctx.file, where, f"`{built.raw}`: disabled health check; infracc probes services "
                         "with a port on `/` by default")
        return
    command = health_command(check["test"], ctx.interp)
    if command is None:
        ctx.report.lossy("dropped", ctx.file, (*where, "test"), f"`{built.raw}`: health check test not read")
        return
    probe = http_health_path(command, built.port)
    ctx.doc.put(built.comp, "health", probe if probe else {"command": command}, ctx.origin((*where, "test")))
    if probe:
        ctx.report.lossy("changed", ctx.file, (*where, "test"), f"`{built.raw}`: the curl/wget probe becomes the HTTP "
                         f"health path `{probe}`")
    timing = [k for k in check if k in ("interval", "timeout", "retries", "start_period", "start_interval")]
    if timing:
        ctx.report.lossy("dropped", ctx.file, (*where, timing[0]), f"`{built.raw}`: health check {', '.join(timing)} "
                         "not carried over; infracc sets probe timing")


def _deploy(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    deploy = spec.get("deploy")
    if not isinstance(deploy, dict):
        return
    where = (*path, "deploy")
    replicas = deploy.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas >= 0:
        ctx.doc.put(built.comp, "replicas", replicas, ctx.origin((*where, "replicas")))
    limits = (deploy.get("resources") or {}).get("limits") if isinstance(deploy.get("resources"), dict) else None
    if isinstance(limits, dict) and ("cpus" in limits or "memory" in limits):
        cpus = float(limits["cpus"]) if re.fullmatch(r"\d+(\.\d+)?", str(limits.get("cpus", ""))) else None
        memory = memory_mib(limits["memory"]) if isinstance(limits.get("memory"), str | int) else None
        size = fargate_size(cpus, memory)
        if size is None:
            ctx.report.lossy("decide", ctx.file, (*where, "resources"), f"`{built.raw}`: resource limits do not fit "
                             "a Fargate size; not carried over")
        else:
            ctx.doc.put(built.comp, "cpu", size[0], ctx.origin((*where, "resources", "limits")))
            ctx.doc.put(built.comp, "memory", size[1], ctx.origin((*where, "resources", "limits")))
            ctx.report.lossy("changed", ctx.file, (*where, "resources", "limits"), f"`{built.raw}`: limits "
                             f"cpus={limits.get('cpus')} memory={limits.get('memory')} become the Fargate size "
                             f"cpu {size[0]:g}, memory {size[1]} (the smallest that holds them)")
    for key in deploy:
        if key not in ("replicas", "resources"):
            ctx.report.lossy("dropped", ctx.file, (*where, key), f"`{built.raw}`: deploy.{key} is not carried over "
                             "(infracc decides placement, restarts and rollout; see `deploy:` in the spec)")


def _volumes(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    entries = spec.get("volumes")
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        volume = parse_volume(entry, ctx.named_volumes)
        where = (*path, "volumes", i)
        if volume.kind == "bind":
            source = (ctx.folder / str(volume.source)).resolve()
            if built.context is not None and source.is_relative_to(built.context):
                ctx.report.lossy("dropped", ctx.file, where, f"`{built.raw}`: `{volume.source}` mounts source code for "
                                 "live reload; the deployed image contains the code")
            else:
                ctx.report.lossy("decide", ctx.file, where, f"`{built.raw}`: host file `{volume.source}` mounted at "
                                 f"`{volume.target}`; containers on AWS cannot mount files from a host",
                                 "copy it into the image (a Dockerfile COPY), or build `"
                                 + built.raw + "` from a context that contains it")
        elif volume.kind in ("anonymous", "tmpfs"):
            ctx.report.lossy("dropped", ctx.file, where, f"`{built.raw}`: {volume.kind} volume at `{volume.target}` "
                             "(scratch space) is not carried over")
        elif volume.kind == "volume":
            shared = [b for b in _users_of(ctx, str(volume.source)) if b != built.raw]
            also = f", shared with {', '.join(f'`{s}`' for s in shared)}" if shared else ""
            ctx.report.lossy("decide", ctx.file, where, f"`{built.raw}`: named volume `{volume.source}` at "
                             f"`{volume.target}`{also} is not carried over: Fargate tasks have no persistent disk",
                             "store files in a bucket (add one to `buckets:` and to `uses`), or use `platform: eks` "
                             "with `stateful: true`")
        else:
            ctx.report.problem("IC-IMPORT-002", ctx.file, where, f"cannot read volume `{entry}`")


def _users_of(ctx: Context, volume: str) -> list[str]:
    data = ctx.file.data
    services = data.get("services", {}) if isinstance(data, dict) else {}
    out = []
    for raw, spec in services.items():
        for entry in (spec.get("volumes") or []) if isinstance(spec, dict) else []:
            if parse_volume(entry, ctx.named_volumes).source == volume:
                out.append(str(raw))
                break
    return out


def _depends(ctx: Context, built: Built, spec: dict[str, object], path: Path) -> None:
    for key in ("depends_on", "links"):
        value = spec.get(key)
        items = list(value) if isinstance(value, dict | list) else []
        for i, item in enumerate(items):
            raw = str(item).split(":", 1)[0]
            where: Path = (*path, key, item if isinstance(value, dict) else i)
            target = ctx.hosts.get(raw)
            if target is None:
                ctx.report.problem("IC-IMPORT-002", ctx.file, where, f"`{built.raw}`.{key} names `{raw}`, which is not a "
                                   "service of this compose file")
            elif target.name != built.name:
                built.uses.setdefault(target.name, where)


def finish(ctx: Context) -> None:
    """Now that every service is known: drop `uses` of workers, break cycles, give public services paths."""
    _inferred_ports(ctx)
    ports = {b.name: b.port for b in ctx.built}
    raw_of = {b.name: b.raw for b in ctx.built}
    for built in ctx.built:
        for name, where in list(built.uses.items()):
            if name in ports and ports[name] is None:
                del built.uses[name]
                ctx.report.lossy("decide", ctx.file, where, f"`{built.raw}` waits for `{raw_of[name]}`, which has no "
                                 "port in compose (`ports`/`expose`): nothing to connect to, removed from `uses`",
                                 f"if `{built.raw}` connects to it, set `port:` on `{name}` and add it to `uses`")
    _break_cycles(ctx)
    paths_taken = False
    for built in ctx.built:
        if built.uses:
            ctx.doc.put(built.comp, "uses", list(built.uses))
        if built.public:
            if not paths_taken:
                ctx.doc.put(built.comp, "public", True)
                paths_taken = True
            else:
                ctx.doc.put(built.comp, "public", {"path": f"/{built.name}"})
                ctx.report.lossy("decide", ctx.file, ("services", built.raw, "ports"), f"`{built.raw}` had a host port "
                                 f"of its own; behind one load balancer it is routed by path `/{built.name}`",
                                 "the application must serve under that prefix, or set `public.host` with a `domain`")


def _inferred_ports(ctx: Context) -> None:
    for built in ctx.built:
        target = ctx.hosts[built.raw]
        if built.port is None and target.port is not None and target.inferred_from:
            built.port = target.port
            ctx.doc.put(built.comp, "port", target.port)
            ctx.report.lossy("changed", ctx.file, ("services", built.raw), f"`{built.raw}` declares no port; "
                             f"{target.port} is taken from `{target.inferred_from}`, which another service points at it")


def _break_cycles(ctx: Context) -> None:
    by_name = {b.name: b for b in ctx.built}
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        state[name] = 1
        built = by_name[name]
        for target in list(built.uses):
            if target not in by_name:
                continue
            if state.get(target) == 1:
                where = built.uses.pop(target)
                ctx.report.lossy("decide", ctx.file, where, f"`{built.raw}` and `{by_name[target].raw}` refer to each "
                                 f"other; infracc services cannot use each other in a cycle, so `{target}` is removed "
                                 f"from `{built.name}`.uses", "decide which of the two calls the other")
            elif target not in state:
                visit(target)
        state[name] = 2

    for name in by_name:
        if name not in state:
            visit(name)
