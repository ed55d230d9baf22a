"""One Copilot workload manifest → one infracc service, job or site (see copilot.py)."""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from ruamel.yaml.comments import CommentedMap

from infracc.compiler import secret_scan
from infracc.compiler.diagnostics import Severity
from infracc.compiler.importers.compose_env import escape
from infracc.compiler.importers.compose_values import Interp, health_command, read_env_file
from infracc.compiler.importers.compose_workload import detect_language
from infracc.compiler.importers.copilot_values import cron, duration, export_name
from infracc.compiler.importers.mapping import fargate_size
from infracc.compiler.importers.source import SourceFile
from infracc.compiler.importers.stackdoc import Value

if TYPE_CHECKING:
    from infracc.compiler.importers.copilot import Workspace

P = tuple[str | int, ...]
TYPES = {"Load Balanced Web Service": "services", "Backend Service": "services", "Worker Service": "services",
         "Request-Driven Web Service": "services", "Scheduled Job": "jobs", "Static Site": "sites"}
HANDLED = {"name", "type", "image", "http", "cpu", "memory", "count", "variables", "secrets", "env_file", "command",
           "entrypoint", "environments", "publish", "subscribe", "on", "timeout", "retries", "files", "observability"}
WHY_DROPPED = {
    "platform": "infracc chooses the CPU architecture", "exec": "ECS Exec is not an infracc setting",
    "network": "network access follows `uses` (security groups, placement and Service Connect are infracc's)",
    "logging": "infracc sends logs to CloudWatch with a retention of its own",
    "observability": "infracc sets tracing and alarms", "storage": "volumes and read-only root are infracc's decisions",
    "taskdef_overrides": "CloudFormation patches have no infracc equivalent",
    "deployment": "see `deploy:` (rolling, blue-green, canary) in the spec",
    "sidecars": "infracc runs one container per workload",
}
_DECIDE = {"sidecars"}


def translate(ws: Workspace, file: SourceFile, data: dict[str, object], raw: str) -> None:
    kind = data.get("type")
    section = TYPES.get(str(kind))
    if section is None:
        ws.report.problem("IC-IMPORT-003", file, ("type",) if kind else (), f"Copilot workload type `{kind}` is not "
                          "imported", f"supported: {', '.join(TYPES)}", Severity.WARNING)
        return
    name = ws.workloads[raw]
    comp = ws.doc.component(section, name, ws.origin(file, ("type",)))
    if section == "sites":
        _site(ws, file, data, comp)
        return
    worker = kind == "Worker Service"
    if kind == "Request-Driven Web Service":
        ws.report.lossy("changed", file, ("type",), f"`{raw}` ran on App Runner; it becomes an ECS service behind the "
                        "stack's load balancer")
    _image(ws, file, data, comp, raw, worker)
    _http(ws, file, data, comp, raw, public=kind in ("Load Balanced Web Service", "Request-Driven Web Service"))
    _command(ws, file, data, comp, raw)
    env, per_env = _variables(ws, file, data, raw, ())
    _env_file(ws, file, data, env)
    if env:
        ws.doc.put(comp, "env", env)
    _secrets(ws, file, data.get("secrets"), comp, raw, ("secrets",))
    _size(ws, file, data, comp, raw, ())
    if section == "jobs":
        _job(ws, file, data, comp, raw)
    _overrides(ws, file, data, comp, raw, per_env)
    _messaging(ws, file, data, name)
    _tracing(ws, file, data, comp, raw)
    for key in data:
        if key not in HANDLED:
            why = WHY_DROPPED.get(str(key), "has no infracc equivalent")
            ws.report.lossy("decide" if key in _DECIDE else "dropped", file, (key,), f"`{raw}`.{key}: {why}")


def _tracing(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str) -> None:
    """`observability: {tracing: awsxray}` (Copilot's X-Ray sidecar) is infracc's `tracing: true`
    (an ADOT collector sidecar exporting to X-Ray); the rest of `observability` is infracc's."""
    obs = data.get("observability")
    if not isinstance(obs, dict):
        if obs is not None:
            ws.report.lossy("dropped", file, ("observability",), f"`{raw}`.observability: {WHY_DROPPED['observability']}")
        return
    if obs.get("tracing") == "awsxray":
        ws.doc.put(comp, "tracing", True, ws.origin(file, ("observability", "tracing")))
        ws.report.lossy("changed", file, ("observability", "tracing"), f"`{raw}`: X-Ray tracing becomes `tracing: true` "
                        "(an ADOT collector sidecar; the app's SDK gets the OTEL_* environment, sampled by size)")
    for key in obs:
        if key != "tracing" or obs.get("tracing") != "awsxray":
            ws.report.lossy("dropped", file, ("observability", key),
                            f"`{raw}`.observability.{key}: {WHY_DROPPED['observability']}")


def _site(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap) -> None:
    files = data.get("files")
    first = files[0] if isinstance(files, list) and files and isinstance(files[0], dict) else {}
    source = ws.root / str(first.get("source", "."))
    ws.doc.put(comp, "source", _relative(ws, source), ws.origin(file, ("files",)))
    if isinstance(files, list) and (len(files) > 1 or set(first) - {"source", "recursive"}):
        ws.report.lossy("decide", file, ("files",), "only the first `files` source is imported, as the site folder "
                        "(exclude patterns and destinations are not carried over)", "point `source:` at the built site")
    for key in data:
        if key not in ("name", "type", "files"):
            ws.report.lossy("dropped" if key != "http" else "decide", file, (key,), f"static site `{data.get('name')}`.{key} "
                            "is not carried over" + (" (aliases need `domain:` and `host:`)" if key == "http" else ""))


def _relative(ws: Workspace, path: FsPath) -> str:
    rel = FsPath(os.path.relpath(path.resolve(), ws.stack_dir.resolve())).as_posix()
    return rel if rel.startswith(".") else f"./{rel}"


def _image(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str, worker: bool) -> None:
    image = data.get("image")
    if not isinstance(image, dict) or ("build" not in image and "location" not in image):
        ws.report.lossy("decide", file, ("image",) if "image" in data else (), f"`{raw}` names no image "
                        "(`image.build` or `image.location`; it is supplied at deploy time): stack.yaml has none",
                        "set `image:` (a pinned reference) or `build:` for it")
        image = image if isinstance(image, dict) else {}
        _port_and_probe(ws, file, image, comp, raw, worker)
        return
    if "location" in image:
        ws.doc.put(comp, "image", str(image["location"]), ws.origin(file, ("image", "location")))
    else:
        _build(ws, file, image["build"], comp, raw)
    _port_and_probe(ws, file, image, comp, raw, worker)


def _port_and_probe(ws: Workspace, file: SourceFile, image: dict[str, object], comp: CommentedMap, raw: str,
                    worker: bool) -> None:
    port = image.get("port")
    if isinstance(port, int) and not worker:
        ws.doc.put(comp, "port", port, ws.origin(file, ("image", "port")))
    check = image.get("healthcheck")
    if isinstance(check, dict) and "command" in check:
        command = health_command(check["command"], Interp({}))
        if command and "port" not in comp:
            ws.doc.put(comp, "health", {"command": command}, ws.origin(file, ("image", "healthcheck")))
    for key in image:
        if key not in ("build", "location", "port", "healthcheck"):
            ws.report.lossy("dropped", file, ("image", key), f"`{raw}`.image.{key} is not carried over")


def _build(ws: Workspace, file: SourceFile, build: object, comp: CommentedMap, raw: str) -> None:
    options = build if isinstance(build, dict) else {"dockerfile": str(build)}
    dockerfile = str(options.get("dockerfile", "Dockerfile"))
    context = ws.root / str(options.get("context", FsPath(dockerfile).parent))
    entry: dict[str, Value] = {"context": _relative(ws, context)}
    found = detect_language(context)
    if found:
        entry["language"] = found[0]
        ws.report.lossy("changed", file, ("image", "build"), f"`{raw}` is built as {found[0]} (from {found[1]}): infracc "
                        "generates a hardened Dockerfile", "set `language: dockerfile` to keep your own")
    else:
        entry["language"] = "dockerfile"
        inside = os.path.relpath((ws.root / dockerfile).resolve(), context.resolve())
        if inside != "Dockerfile":
            entry["dockerfile"] = FsPath(inside).as_posix()
    ws.doc.put(comp, "build", entry, ws.origin(file, ("image", "build")))
    for key in options:
        if key not in ("dockerfile", "context"):
            ws.report.lossy("dropped", file, ("image", "build", key), f"`{raw}`: build.{key} is not carried over")


def _http(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str, public: bool) -> None:
    http = data.get("http")
    if http is False or not isinstance(http, dict):
        if public and http is not False and "port" in comp:
            ws.doc.put(comp, "public", True)
        return
    check = http.get("healthcheck")
    path = check if isinstance(check, str) else check.get("path") if isinstance(check, dict) else None
    if isinstance(path, str) and "port" in comp:
        ws.doc.put(comp, "health", path, ws.origin(file, ("http", "healthcheck")))
    if public:
        route = http.get("path", "/")
        route = "/" + str(route).strip("/") if str(route) not in ("", "/") else "/"
        ws.doc.put(comp, "public", True if route == "/" else {"path": route}, ws.origin(file, ("http", "path")))
    elif "path" in http:
        ws.report.lossy("changed", file, ("http",), f"`{raw}` had an internal load balancer; infracc services reach it "
                        "through `uses` (its URL is `${" + ws.workloads[raw] + ".url}`)")
    for key in http:
        if key == "alias":
            ws.report.lossy("decide", file, ("http", key), f"`{raw}`: domain aliases are not carried over",
                            "set the stack `domain:` and `public: {host: …}` for each host")
        elif key not in ("path", "healthcheck"):
            ws.report.lossy("dropped", file, ("http", key), f"`{raw}`: http.{key} is not carried over")


def _command(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str) -> None:
    parts: list[str] = []
    for key in ("entrypoint", "command"):
        value = data.get(key)
        if isinstance(value, str):
            parts += shlex.split(value)
        elif isinstance(value, list):
            parts += [str(v) for v in value]
    if not parts:
        return
    where: P = ("command",) if "command" in data else ("entrypoint",)
    parts = [p.replace("${COPILOT_APPLICATION_NAME}", ws.app).replace("${COPILOT_SERVICE_NAME}", raw) for p in parts]
    if any(secret_scan.find_secret(p) for p in parts) or any(
            re.search(r"\$\{(?!COPILOT_ENVIRONMENT_NAME\})", p) for p in parts):
        ws.report.lossy("decide", file, where, f"`{raw}`: the command uses variables Copilot resolved at deploy time, "
                        "or a credential; not carried over", "write it in `command:` by hand")
        return
    if any("${COPILOT_ENVIRONMENT_NAME}" in p for p in parts):
        for env in ws.envs:
            ws.per_env_command.setdefault(ws.workloads[raw], {})[env] = [
                p.replace("${COPILOT_ENVIRONMENT_NAME}", env) for p in parts]
        ws.report.lossy("changed", file, where, f"`{raw}`: the command names the environment: written per "
                        "environment in `overrides`")
        return
    if "entrypoint" in data:
        ws.report.lossy("decide", file, ("entrypoint",), f"`{raw}`: entrypoint and command are joined into `command` "
                        "(the image's ENTRYPOINT stays)", "check the image has no ENTRYPOINT")
    ws.doc.put(comp, "command", parts, ws.origin(file, ("entrypoint",) if "entrypoint" in data else ("command",)))


def _variables(ws: Workspace, file: SourceFile, data: dict[str, object], raw: str, at: P) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Base env and per-environment env (values naming ${COPILOT_ENVIRONMENT_NAME} are expanded per environment)."""
    base: dict[str, str] = {}
    per_env: dict[str, dict[str, str]] = {}
    variables = data.get("variables")
    for key, value in variables.items() if isinstance(variables, dict) else []:
        where = (*at, "variables", key)
        if isinstance(value, dict):
            _from_cfn(ws, file, where, str(key), value, raw, base)
            continue
        text = value if isinstance(value, str) else ("true" if value else "false") if isinstance(value, bool) else str(value)
        if secret_scan.find_secret(text, str(key)) is not None:
            ws.uses.setdefault("#secrets:" + ws.workloads[raw], {})[str(key)] = None
            ws.report.lossy("secret", file, where, f"`{key}` looks like a credential: its value is not copied; listed "
                            "under `secrets:`", "store the value in the secret store")
            continue
        text = text.replace("${COPILOT_APPLICATION_NAME}", ws.app).replace("${COPILOT_SERVICE_NAME}", raw)
        if "${COPILOT_ENVIRONMENT_NAME}" in text:
            for env in ws.envs:
                per_env.setdefault(env, {})[str(key)] = escape(text.replace("${COPILOT_ENVIRONMENT_NAME}", env))
            ws.report.lossy("changed", file, where, f"`{key}` names the environment: written per environment in `overrides`")
            continue
        if re.search(r"\$\{[A-Za-z_]", text):
            ws.report.lossy("decide", file, where, f"`{key}` uses a variable Copilot resolved at deploy time; not imported",
                            "write the value per environment in `overrides`")
            continue
        base[str(key)] = escape(text)
    return base, per_env


def _from_cfn(ws: Workspace, file: SourceFile, where: P, key: str, value: dict[str, object], raw: str,
              env: dict[str, str]) -> None:
    export = export_name(str(value.get("from_cfn", "")))
    name = ws.workloads[raw]
    if export and export[1] == "BucketName":
        from infracc.compiler.importers.copilot import _external_bucket

        bucket = ws.buckets.get(export[0]) or _external_bucket(ws, export[0], file)
        env[key] = f"${{{bucket}.bucket}}"
        ws.uses.setdefault(name, {}).setdefault(bucket, None)
        return
    ws.report.lossy("decide", file, where, f"`{key}` reads the CloudFormation export `{value.get('from_cfn')}`; "
                    "not imported", "replace it with a `${component.output}` placeholder of the component that holds it")


def _env_file(ws: Workspace, file: SourceFile, data: dict[str, object], env: dict[str, str]) -> None:
    name = data.get("env_file")
    if not isinstance(name, str):
        return
    values = read_env_file(ws.root / name)
    if values is None:
        ws.report.lossy("decide", file, ("env_file",), f"env file `{name}` cannot be read; not imported")
        return
    for key, (value, line) in values.items():
        if secret_scan.find_secret(value, key) is not None:
            ws.report.lossy("secret", file, ("env_file",), f"`{key}` (from {name}:{line}) looks like a credential: "
                            "not copied, listed under `secrets:`")
            ws.uses.setdefault("#secrets:" + ws.workloads[str(data.get("name"))], {})[key] = None
        else:
            env.setdefault(key, escape(value))


def _secrets(ws: Workspace, file: SourceFile, secrets: object, comp: CommentedMap, raw: str, at: P) -> None:
    names = ws.uses.setdefault("#secrets:" + ws.workloads[raw], {})
    for key, value in secrets.items() if isinstance(secrets, dict) else []:
        if isinstance(value, dict) and "from_cfn" in value:
            export = export_name(str(value["from_cfn"]))
            if export and export[1] == "AuroraSecret" and export[0] in ws.databases:
                db = ws.databases[export[0]]
                ws.uses.setdefault(ws.workloads[raw], {}).setdefault(db, None)
                ws.report.lossy("decide", file, (*at, key), f"`{key}` was the Aurora secret (JSON with host, username, "
                                f"password…); infracc injects `{db.upper().replace('-', '_')}_HOST`, `…_PASSWORD` … "
                                f"from `uses: [{db}]` instead", "read the separate variables, or `${" + db + ".url}`")
                continue
        names[str(key)] = None
        ws.report.lossy("secret", file, (*at, key), f"secret `{key}`: its store path is not carried over; set the value "
                        "in infracc's secret store (the runbook says how)")


def _size(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str, at: P) -> None:
    cpu, memory = data.get("cpu"), data.get("memory")
    if isinstance(cpu, int) or isinstance(memory, int):
        size = fargate_size(cpu / 1024 if isinstance(cpu, int) else None, memory if isinstance(memory, int) else None)
        if size:
            ws.doc.put(comp, "cpu", size[0], ws.origin(file, (*at, "cpu")))
            ws.doc.put(comp, "memory", size[1], ws.origin(file, (*at, "memory")))
    count = data.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        ws.doc.put(comp, "replicas", count, ws.origin(file, (*at, "count")))
    elif isinstance(count, dict):
        _autoscaling(ws, file, count, comp, raw, (*at, "count"))


def _autoscaling(ws: Workspace, file: SourceFile, count: dict[str, object], comp: CommentedMap, raw: str, at: P) -> None:
    bounds = count.get("range")
    low = high = None
    if isinstance(bounds, str) and re.fullmatch(r"\d+-\d+", bounds):
        low, high = (int(x) for x in bounds.split("-"))
    elif isinstance(bounds, dict):
        low, high = bounds.get("min"), bounds.get("max")
    if isinstance(low, int) and isinstance(high, int):
        replicas: dict[str, Value] = {"min": low, "max": high}
        target = count.get("cpu_percentage")
        if isinstance(target, int):
            replicas["cpu_target"] = target
        ws.doc.put(comp, "replicas", replicas, ws.origin(file, at))
    for key in count:
        if key not in ("range", "cpu_percentage"):
            ws.report.lossy("dropped", file, (*at, key), f"`{raw}`: count.{key} is not carried over (infracc scales on CPU)")


def _job(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str) -> None:
    on = data.get("on")
    schedule = on.get("schedule") if isinstance(on, dict) else None
    if isinstance(schedule, str):
        text = cron(schedule)
        if text:
            ws.doc.put(comp, "schedule", text, ws.origin(file, ("on", "schedule")))
            if text != schedule:
                ws.report.lossy("changed", file, ("on", "schedule"), f"schedule `{schedule}` is written as the cron `{text}` (UTC)")
        else:
            ws.report.lossy("decide", file, ("on", "schedule"), f"schedule `{schedule}` has no 5-field cron form; "
                            "imported as a run-once job", "write `schedule:` as a cron expression")
    timeout = data.get("timeout")
    if isinstance(timeout, str):
        value = duration(timeout)
        if value:
            ws.doc.put(comp, "timeout", value, ws.origin(file, ("timeout",)))
    if isinstance(data.get("retries"), int):
        ws.doc.put(comp, "retries", data["retries"], ws.origin(file, ("retries",)))  # type: ignore[arg-type]


def _overrides(ws: Workspace, file: SourceFile, data: dict[str, object], comp: CommentedMap, raw: str,
               per_env: dict[str, dict[str, str]]) -> None:
    overrides = data.get("environments")
    out: dict[str, dict[str, Value]] = {env: {"env": dict(values)} for env, values in per_env.items()}
    for env, command in ws.per_env_command.get(ws.workloads[raw], {}).items():
        out.setdefault(env, {})["command"] = list(command)
    for env, override in overrides.items() if isinstance(overrides, dict) else []:
        if not isinstance(override, dict) or str(env) not in ws.envs:
            continue
        at: P = ("environments", env)
        part = CommentedMap()
        _size(ws, file, override, part, raw, at)
        values, expanded = _variables(ws, file, override, raw, at)
        values.update(expanded.get(str(env), {}))
        _secrets(ws, file, override.get("secrets"), comp, raw, (*at, "secrets"))
        entry = out.setdefault(str(env), {})
        if values:
            entry["env"] = {**(entry.get("env") or {}), **values}  # type: ignore[dict-item]
        for key in ("cpu", "memory", "replicas"):
            value = part.get(key)
            if isinstance(value, str | int | float):
                entry[key] = value
            elif isinstance(value, CommentedMap):
                entry[key] = {str(k): v for k, v in value.items()}
        for key in override:
            if key not in ("count", "cpu", "memory", "variables", "secrets"):
                why = WHY_DROPPED.get(str(key), "is not carried over")
                ws.report.lossy("decide" if key in _DECIDE else "dropped", file, (*at, key), f"`{raw}` in `{env}`: {key} {why}")
    out = {env: entry for env, entry in out.items() if entry}
    if out:
        ws.doc.put(comp, "overrides", {env: out[env] for env in ws.envs if env in out}, ws.origin(file, ("environments",)))


def _messaging(ws: Workspace, file: SourceFile, data: dict[str, object], name: str) -> None:
    publish = data.get("publish")
    topics = publish.get("topics") if isinstance(publish, dict) else None
    for i, topic in enumerate(topics if isinstance(topics, list) else []):
        if isinstance(topic, dict) and "name" in topic:
            ws.published[str(topic["name"])] = (name, file, ("publish", "topics", i))
            if topic.get("fifo"):
                ws.queue_settings.setdefault(str(topic["name"]), {})["fifo"] = True
    subscribe = data.get("subscribe")
    if not isinstance(subscribe, dict):
        return
    for i, topic in enumerate(subscribe.get("topics") or []):
        if isinstance(topic, dict) and "name" in topic:
            ws.subscribed.setdefault(str(topic["name"]), []).append((name, file, ("subscribe", "topics", i)))
    queue = subscribe.get("queue")
    if isinstance(queue, dict):
        for topic in subscribe.get("topics") or []:
            settings = ws.queue_settings.setdefault(str(topic.get("name")), {})
            if queue.get("fifo"):
                settings["fifo"] = True
            if isinstance(queue.get("timeout"), str) and duration(queue["timeout"]):
                settings["visibility_timeout"] = duration(queue["timeout"])
            if isinstance(queue.get("retention"), str) and duration(queue["retention"]):
                settings["retention"] = duration(queue["retention"])
            tries = (queue.get("dead_letter") or {}).get("tries") if isinstance(queue.get("dead_letter"), dict) else None
            if isinstance(tries, int):
                settings["dead_letter"] = {"max_receives": tries}


def finish(ws: Workspace) -> None:
    """Write `secrets` and `uses` collected from variables, addons and topics."""
    for section in ("services", "jobs"):
        for name, comp in ws.doc.components(section).items():
            secrets = list(ws.uses.get("#secrets:" + name, {}))
            if secrets:
                env = comp.get("env") or {}
                ws.doc.put(comp, "secrets", [s for s in secrets if s not in env])
            uses = ws.uses.get(name, {})
            if uses:
                ws.doc.put(comp, "uses", [t if mode is None else f"{t}:{mode}" for t, mode in uses.items()])
