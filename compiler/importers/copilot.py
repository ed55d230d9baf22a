"""`infracc import copilot DIR`: an AWS Copilot workspace → a commented stack.yaml + lossiness report.

Reads `copilot/.workspace` (the stack name), `copilot/environments/*/manifest.yml` (environments;
region and account from their certificate ARNs), the pipeline's stage order (promotion order),
every `copilot/<name>/manifest.yml` (copilot_workload.py) and the CloudFormation addons: S3 buckets
and Aurora clusters become components, IAM policies on buckets exported elsewhere become `uses`,
DynamoDB tables are reported (not mapped to `tables:` yet). `publish` topics become queues: the
publisher uses them with `send`, each `subscribe`r with `consume`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from infracc.compiler.diagnostics import Severity
from infracc.compiler.importers import copilot_workload as workload
from infracc.compiler.importers.compose_context import Imported
from infracc.compiler.importers.copilot_values import bucket_mode, read_addon
from infracc.compiler.importers.mapping import component_name, stack_name, unique
from infracc.compiler.importers.report import ImportReport
from infracc.compiler.importers.source import SourceFile, read
from infracc.compiler.importers.stackdoc import StackDoc
from infracc.compiler.sourcemap import SourceMap
from infracc.schema.types import ENV_RE

# Usual promotion order of environment names (unknown names sort between by name).
_RANK = {"dev": 0, "development": 0, "test": 1, "testing": 1, "qa": 2, "uat": 3, "staging": 4, "stage": 4,
         "preview": 5, "preprod": 6, "pre-prod": 6, "prod": 9, "production": 9}
_ARN = re.compile(r"arn:aws:acm:([a-z0-9-]+):(\d{12}):certificate/")


@dataclass
class Workspace:
    root: FsPath
    stack_dir: FsPath
    report: ImportReport
    doc: StackDoc
    envs: list[str]
    app: str
    taken: set[str] = field(default_factory=set)
    buckets: dict[str, str] = field(default_factory=dict)     # CloudFormation prefix → bucket component
    databases: dict[str, str] = field(default_factory=dict)   # CloudFormation prefix → database component
    uses: dict[str, dict[str, str | None]] = field(default_factory=dict)  # workload → {target: mode}
    workloads: dict[str, str] = field(default_factory=dict)   # Copilot name → infracc name
    published: dict[str, tuple[str, SourceFile, tuple[str | int, ...]]] = field(default_factory=dict)
    subscribed: dict[str, list[tuple[str, SourceFile, tuple[str | int, ...]]]] = field(default_factory=dict)
    queue_settings: dict[str, dict[str, object]] = field(default_factory=dict)
    per_env_command: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def name(self, raw: str) -> str:
        name = unique(component_name(raw), self.taken)
        self.taken.add(name)
        return name

    def origin(self, file: SourceFile, path: tuple[str | int, ...]) -> str:
        return f"{file.name}:{file.locate(path)[0]}"


def _placeholder_file(name: str) -> SourceFile:
    return SourceFile(name, SourceMap(name, "", None), None)


def import_copilot(directory: FsPath, stack_dir: FsPath | None = None) -> Imported:
    root = directory.parent if directory.name == "copilot" else directory
    stack_dir = stack_dir or root
    report = ImportReport()
    copilot = root / "copilot"
    manifests = sorted(p for p in copilot.glob("*/manifest.yml") if p.parent.name not in ("environments", "pipelines"))
    if not manifests:
        report.problem("IC-IMPORT-001", _placeholder_file(str(directory)), (),
                       f"no Copilot workspace in `{directory}`: no copilot/<service>/manifest.yml",
                       "pass the folder that contains `copilot/`")
        return Imported(None, report, stack_dir)
    app = _application(root, report)
    env_files = _environment_files(root, report)
    files: list[tuple[SourceFile, dict[str, object]]] = []
    for path in manifests:
        file, diags = read(path, path.relative_to(root).as_posix())
        for d in diags:
            report.add(file, d)
        if isinstance(file.data, dict):
            files.append((file, file.data))
        elif file.data is not None:
            report.problem("IC-IMPORT-002", file, (), "a Copilot manifest is a mapping with `name` and `type`")
    envs = _environment_order(root, env_files, files, report)
    doc = StackDoc(stack_name(app), f"Imported by `infracc import copilot` from {root.name}/copilot (application `{app}`).\n"
                   "`# from FILE:N` says where each entry came from; the import printed what it did not carry over.")
    ws = Workspace(root, stack_dir, report, doc, envs, app)
    _environments(ws, env_files)
    _addons(ws, root / "copilot" / "environments" / "addons", None)
    for file, data in files:
        ws.workloads[str(data.get("name") or FsPath(file.name).parent.name)] = ws.name(str(data.get("name") or FsPath(file.name).parent.name))
    for file, data in files:
        raw = str(data.get("name") or FsPath(file.name).parent.name)
        _addons(ws, root / "copilot" / FsPath(file.name).parent.name / "addons", ws.workloads[raw])
        workload.translate(ws, file, data, raw)
    _topics(ws)
    workload.finish(ws)
    if not report.ok:
        return Imported(None, report, stack_dir)
    return Imported(doc.text(), report, stack_dir)


def _application(root: FsPath, report: ImportReport) -> str:
    path = root / "copilot" / ".workspace"
    if not path.is_file():
        return root.resolve().name
    file, diags = read(path, "copilot/.workspace")
    for d in diags:
        report.add(file, d)
    data = file.data
    if isinstance(data, dict) and isinstance(data.get("application"), str):
        return str(data["application"])
    return root.resolve().name


def _environment_files(root: FsPath, report: ImportReport) -> list[SourceFile]:
    out = []
    for path in sorted((root / "copilot" / "environments").glob("*/manifest.yml")):
        file, diags = read(path, path.relative_to(root).as_posix())
        for d in diags:
            report.add(file, d)
        if isinstance(file.data, dict):
            out.append(file)
    return out


def _environment_order(root: FsPath, env_files: list[SourceFile], files: list[tuple[SourceFile, dict[str, object]]],
                       report: ImportReport) -> list[str]:
    names = [str(f.data.get("name") or FsPath(f.name).parent.name) for f in env_files if isinstance(f.data, dict)]
    for _, data in files:
        overrides = data.get("environments")
        if isinstance(overrides, dict):
            names += [str(n) for n in overrides if str(n) not in names]
    pipeline = sorted((root / "copilot" / "pipelines").glob("*/manifest.yml"))
    staged: list[str] = []
    if pipeline:
        file, _ = read(pipeline[0], pipeline[0].relative_to(root).as_posix())
        stages = file.data.get("stages") if isinstance(file.data, dict) else None
        staged = [str(s["name"]) for s in stages or [] if isinstance(s, dict) and "name" in s]
        report.lossy("dropped", file, (), "Copilot pipeline: infracc generates its own CI workflow (build, scan, "
                     "plan, promote in environment order); its stage order was used as the promotion order")
    ordered = [n for n in staged if n in names or not names] + sorted(
        (n for n in names if n not in staged), key=lambda n: (_RANK.get(n, 5), n))
    return list(dict.fromkeys(ordered)) or ["dev", "staging", "prod"]


def _environments(ws: Workspace, env_files: list[SourceFile]) -> None:
    files = {str(f.data.get("name") or FsPath(f.name).parent.name): f for f in env_files if isinstance(f.data, dict)}
    for name in ws.envs:
        file = files.get(name)
        if not re.match(ENV_RE, name):
            where = file or _placeholder_file("copilot")
            ws.report.problem("IC-IMPORT-002", where, ("name",), f"environment name `{name}` is not a valid infracc "
                              "environment name (lowercase, up to 16 characters)", "rename it in Copilot and import again")
            continue
        settings: dict[str, object] = {}
        if file is not None:
            settings = _environment_settings(ws, file)
        ws.doc.environment(name, settings, ws.origin(file, ()) if file else None)  # type: ignore[arg-type]
        if file is None:
            ws.report.lossy("changed", _placeholder_file("copilot/environments"), (), f"environment `{name}` appears "
                            "only in service overrides (no environment manifest): infracc's defaults apply")
    if len(ws.envs) > 1:
        ws.report.lossy("decide", env_files[0] if env_files else _placeholder_file("copilot/environments"), (),
                        f"environments in promotion order: {', '.join(ws.envs)} (the last one gets size large, "
                        "approval and deletion protection)", "reorder `environments:` if promotion goes differently")


def _environment_settings(ws: Workspace, file: SourceFile) -> dict[str, object]:
    data = file.data if isinstance(file.data, dict) else {}
    settings: dict[str, object] = {}
    found = _ARN.search(repr(data.get("http")))
    if found:
        settings["region"], settings["account_id"] = found[1], found[2]
        ws.report.lossy("changed", file, ("http",), f"region {found[1]} and account {found[2]} are taken from the "
                        "certificate ARN; infracc issues its own certificates when `domain:` is set")
    network = data.get("network")
    vpc = network.get("vpc") if isinstance(network, dict) else None
    if isinstance(vpc, dict) and isinstance(vpc.get("cidr"), str):
        settings["cidr"] = vpc["cidr"]
    for key in data:
        if key in ("name", "type"):
            continue
        what = {"network": "VPC settings: infracc creates the VPC (flow logs, subnets, NAT) itself",
                "http": "load balancer settings (certificates, SSL policy, access logs): infracc sets them",
                "observability": "Container Insights: infracc sets monitoring and alarms",
                "cdn": "CloudFront settings: use `public: {cdn: true}` on a service or a site"}.get(str(key), "not carried over")
        if key == "network" and "cidr" in settings and isinstance(vpc, dict) and set(vpc) == {"cidr"}:
            continue
        ws.report.lossy("dropped", file, (key,), f"environment `{data.get('name')}`.{key}: {what}")
    return settings


def _addons(ws: Workspace, folder: FsPath, owner: str | None) -> None:
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        if path.name.startswith("addons.parameters"):
            continue
        file, diags = read(path, path.relative_to(ws.root).as_posix())
        for d in diags:
            ws.report.add(file, d)
        addon = read_addon(file.data)
        for prefix in addon.buckets:
            name = ws.buckets.setdefault(prefix, ws.name(prefix))
            ws.doc.component("buckets", name, ws.origin(file, ("Resources", prefix + "Bucket")))
            if owner:
                ws.uses.setdefault(owner, {})[name] = None
        for prefix, engine, version in addon.databases:
            name = ws.databases.setdefault(prefix, ws.name(prefix))
            comp = ws.doc.component("databases", name, ws.origin(file, ("Resources", prefix + "DBCluster")))
            ws.doc.put(comp, "engine", engine)
            ws.report.lossy("changed", file, ("Resources", prefix + "DBCluster"), f"Aurora cluster `{prefix}` becomes "
                            f"the RDS {engine} database `{name}` (infracc runs RDS, not Aurora Serverless); version "
                            f"{version or 'default'} → infracc's default", "set `version:` to pin one")
        for table in addon.tables:
            ws.report.problem("IC-IMPORT-003", file, ("Resources", table), f"DynamoDB table `{table}`: infracc has no "
                              "table kind; not imported", "keep the table outside infracc (Terraform or CloudFormation)",
                              Severity.WARNING)
        for kind in sorted(set(addon.other)):
            ws.report.problem("IC-IMPORT-003", file, ("Resources",), f"addon resource type {kind} is not imported",
                              "provision it outside infracc", Severity.WARNING)
        if owner:
            for prefix, actions in addon.grants.items():
                ws.uses.setdefault(owner, {})[_external_bucket(ws, prefix, file)] = bucket_mode(actions)
        if not (addon.buckets or addon.databases or addon.tables or addon.grants or addon.other):
            ws.report.lossy("dropped", file, (), "addon has no resource infracc imports")


def _external_bucket(ws: Workspace, prefix: str, file: SourceFile) -> str:
    """A bucket known only from a CloudFormation export (defined outside this workspace)."""
    if prefix not in ws.buckets:
        name = ws.buckets[prefix] = ws.name(prefix)
        ws.doc.component("buckets", name, ws.origin(file, ()))
        ws.report.lossy("decide", file, (), f"bucket `{prefix}` is defined outside this workspace (a CloudFormation "
                        f"export); imported as the new bucket `{name}`: copy its objects over, or keep the old bucket")
    return ws.buckets[prefix]


def _topics(ws: Workspace) -> None:
    for topic, (publisher, file, path) in ws.published.items():
        name = ws.name(topic)
        comp = ws.doc.component("queues", name, ws.origin(file, path))
        settings = ws.queue_settings.get(topic, {})
        for key, value in settings.items():
            ws.doc.put(comp, key, value)  # type: ignore[arg-type]
        ws.uses.setdefault(publisher, {})[name] = "send"
        subscribers = ws.subscribed.get(topic, [])
        for subscriber, _, _ in subscribers:
            ws.uses.setdefault(subscriber, {})[name] = "consume"
        ws.report.lossy("changed", file, path, f"SNS topic `{topic}` becomes the SQS queue `{name}`: `{publisher}` "
                        f"sends to it (env `{name.upper().replace('-', '_')}_QUEUE_URL` instead of "
                        "COPILOT_SNS_TOPIC_ARNS)" + (", " + ", ".join(f"`{s}`" for s, _, _ in subscribers)
                                                     + " consume(s) it" if subscribers else ""))
        if len(subscribers) > 1:
            ws.report.lossy("decide", subscribers[1][1], subscribers[1][2], f"topic `{topic}` has "
                            f"{len(subscribers)} subscribers; one SQS queue delivers each message to one consumer",
                            "give each subscriber its own queue and send to all of them")
    for topic, subscribers in ws.subscribed.items():
        if topic not in ws.published:
            for _, file, path in subscribers:
                ws.report.lossy("decide", file, path, f"subscribes to topic `{topic}`, which no service of this "
                                "workspace publishes; not imported")
