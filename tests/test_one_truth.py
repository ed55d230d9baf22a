"""One truth: what the runbook (`docs/`) and `infracc tasks` tell an operator to type exists in
the generated Terraform and Kubernetes, per example and environment.

Names are extracted from the text an operator reads (the tasks JSON the CLI prints, the runbook
markdown), never recomputed with `naming`, so a renamed resource on either side fails here.
A check that fails because of a backend defect is a strict xfail naming that defect: it turns
into a failure (remove the mark) once the backend is fixed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, compiled

from infracc.compiler import tasks as t
from infracc.compiler import writer

DEFAULT_ENVS = ["dev", "staging", "prod"]
CI_DIR = "out/ci/terraform"


def _env_names(example: str) -> list[str]:
    spec = yaml.safe_load((ROOT / "examples" / example / "stack.yaml").read_text(encoding="utf-8"))
    return list(spec.get("environments") or DEFAULT_ENVS)


# ---- what the outputs define ---------------------------------------------------------------


@dataclass
class Outputs:
    files: set[str]                    # every generated path, as `out/...`
    terraform: dict[str, dict]         # `out/terraform/<env>` and `out/ci/terraform` → Terraform JSON
    k8s_names: set[str]                # metadata.name / namespace of the environment's manifests

    def tf(self, directory: str) -> dict:
        return self.terraform.get(directory, {})

    def names(self, directory: str, rtype: str, attr: str) -> set[str]:
        return {b.get(attr) for b in self.tf(directory).get("resource", {}).get(rtype, {}).values()}

    def addresses(self, directory: str) -> set[str]:
        return {f"{rtype}.{label}" for rtype, blocks in self.tf(directory).get("resource", {}).items() for label in blocks}

    def strings(self, directory: str) -> set[str]:
        """Every literal string in the resources (names, hosts, keys…) plus the Kubernetes names."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, str):
                found.add(node)
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.tf(directory).get("resource", {}))
        return found | self.k8s_names


@cache
def outputs(example: str, env: str) -> Outputs:
    # What the writer puts in out/: the backends' files plus its `.gitignore` and lock file.
    files = {str(p): text for p, text in writer.with_lock(compiled(example).files, "test").items()}
    terraform = {f"out/{p.rsplit('/', 1)[0]}": json.loads(text) for p, text in files.items()
                 if p.endswith(".tf.json") and (p.startswith(f"terraform/{env}/") or p.startswith("ci/terraform/"))}
    k8s: set[str] = set()
    for path, text in files.items():
        if path.startswith(f"kubernetes/{env}/") and path.endswith(".yaml"):
            for doc in yaml.safe_load_all(text):
                meta = (doc or {}).get("metadata", {})
                k8s |= {v for v in (meta.get("name"), meta.get("namespace")) if v}
    return Outputs({f"out/{p}" for p in files}, terraform, k8s)


# ---- what the operator reads ---------------------------------------------------------------


@dataclass
class Text:
    """The commands and the prose of one source (tasks or runbook) for one environment."""

    source: str
    commands: list[str]   # single commands (`a && b` split)
    prose: str            # everything, for backticked names

    def code(self) -> list[str]:
        return re.findall(r"`([^`\n]+)`", self.prose)


@cache
def task_text(example: str, env: str) -> Text:
    result = compiled(example)
    # What `infracc tasks stack.yaml --env <env> --format json` prints.
    data = json.loads(t.as_json(result.ir, t.breakdown(result.ir, env)))
    commands = [c for task in data["tasks"] for c in (task["command"] or "").split(" && ") if c]
    prose = "\n".join(f"{task['title']}\n`{task['command']}`" if task["command"] else task["title"] for task in data["tasks"])
    return Text("tasks", commands, prose)


@cache
def doc_text(example: str, env: str) -> Text:
    files = {str(p): text for p, text in compiled(example).files.items()}
    prose = files["docs/README.md"] + "\n" + files[f"docs/{env}.md"]
    blocks = re.findall(r"```sh\n(.*?)```", prose, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", prose, flags=re.S))
    commands = [c.strip() for line in lines + inline for c in line.split(" && ") if c.strip()]
    return Text("docs", commands, prose)


def texts(example: str, env: str) -> list[Text]:
    return [task_text(example, env), doc_text(example, env)]


def _mine(directory: str, env: str) -> bool:
    """A Terraform directory this environment's case checks (others are checked in their own case)."""
    return directory in (f"out/terraform/{env}", CI_DIR)


def _prefix(example: str, env: str) -> str:
    return f"{compiled(example).ir.name}-{env}"


# ---- the checks ------------------------------------------------------------------------------


def check_state_bucket(example: str, env: str) -> list[str]:
    """Issue #12: tasks said `shop-tfstate-123456789012`, the backend block `shop-tfstate`."""
    backend = outputs(example, env).tf(f"out/terraform/{env}")["terraform"]["backend"]["s3"]
    problems = []
    for text in texts(example, env):
        found = {(m[1], m[2]) for c in text.commands
                 if (m := re.match(r"aws s3api create-bucket --bucket (\S+)(?: --region (\S+))?", c))}
        if found != {(backend["bucket"], backend["region"])}:
            problems.append(f"{text.source}: creates {sorted(found)}; the backend of {env} uses "
                            f"{backend['bucket']} in {backend['region']}")
        configured = {m[1] for c in text.commands if (m := re.match(r"aws s3api put-\S+ --bucket (\S+)", c))}
        if configured != {backend["bucket"]}:
            problems.append(f"{text.source}: configures buckets {sorted(configured)}")
    return problems


def _terraform(command: str, env: str = "") -> tuple[str, str, list[str]] | None:
    """(directory, subcommand, arguments) of `terraform -chdir=DIR sub ...`; a `<env>`
    placeholder in DIR stands for every environment."""
    m = re.match(r"terraform -chdir=(\S+) (\w+)(.*)$", command)
    return (m[1].strip('"').replace("<env>", env), m[2], m[3].split()) if m else None


def check_terraform_commands(example: str, env: str) -> list[str]:
    """Issue #12: no terraform command may prompt (input or approval); plan gets every variable
    declared without a default; apply applies a saved plan (Terraform refuses -var with one) or
    passes every variable with -auto-approve."""
    problems, out = [], outputs(example, env)
    for text in texts(example, env):
        for command in text.commands:
            if command.startswith("terraform") and not command.startswith("terraform -chdir="):
                problems.append(f"{text.source}: `{command}` does not name its directory")
                continue
            parsed = _terraform(command, env)
            if parsed is None or not _mine(parsed[0], env):
                continue
            directory, sub, args = parsed
            if directory not in out.terraform:
                problems.append(f"{text.source}: `{command}`: no Terraform in {directory}")
                continue
            declared = out.tf(directory).get("variable", {})
            required = {name for name, v in declared.items() if "default" not in v}
            given = {a.split("=", 1)[0] for prev, a in zip(args, args[1:], strict=False) if prev == "-var"}
            if sub in ("init", "plan", "apply") and "-input=false" not in args:
                problems.append(f"{text.source}: `{command}` lacks -input=false")
            if sub not in ("plan", "apply"):
                continue
            if given - set(declared):
                problems.append(f"{text.source}: `{command}` sets undeclared {sorted(given - set(declared))}")
            saved = sub == "apply" and args and not args[-1].startswith("-")
            if saved and given:
                problems.append(f"{text.source}: `{command}` sets variables on a saved plan")
            elif not saved and required - given:
                problems.append(f"{text.source}: `{command}` does not set {sorted(required - given)}")
            if sub == "apply" and not saved and "-auto-approve" not in args:
                problems.append(f"{text.source}: `{command}` waits for approval")
    return problems


def check_terraform_outputs_and_targets(example: str, env: str) -> list[str]:
    problems, out = [], outputs(example, env)
    for text in texts(example, env):
        for command in text.commands:
            for directory, name in re.findall(r"terraform -chdir=(\S+) output -raw ([A-Za-z0-9_]+)", command):
                directory, name = directory.replace("<env>", env), name.rstrip(")\"")
                if _mine(directory, env) and name not in out.tf(directory).get("output", {}):
                    problems.append(f"{text.source}: output `{name}` is not declared in {directory}")
            parsed = _terraform(command, env)
            for arg in parsed[2] if parsed and _mine(parsed[0], env) else []:
                if arg.startswith("-target=") and arg.removeprefix("-target=") not in out.addresses(parsed[0]):
                    problems.append(f"{text.source}: `{arg}`: no such resource in {parsed[0]}")
    return problems


def check_secrets(example: str, env: str) -> list[str]:
    stack, out = compiled(example).ir.name, outputs(example, env)
    existing = out.names(f"out/terraform/{env}", "aws_secretsmanager_secret", "name")
    problems = []
    for text in texts(example, env):
        named = {m[1] for c in text.commands if (m := re.search(r"--secret-id (\S+)", c)) and m[1] != "NAME"}
        named |= {c for c in text.code() if c.startswith(f"{stack}/{env}/")}
        problems += [f"{text.source}: secret `{n}` is not created" for n in sorted(named - existing)]
    return problems


def check_alarms(example: str, env: str) -> list[str]:
    """Every alarm the tasks verify and the runbook's alarm table names is a CloudWatch alarm (or,
    for a job's failed runs on ECS, the EventBridge rule that notifies the same topic)."""
    out, tf = outputs(example, env), f"out/terraform/{env}"
    existing = out.names(tf, "aws_cloudwatch_metric_alarm", "alarm_name") | out.names(tf, "aws_cloudwatch_event_rule", "name")
    problems = []
    for source, names in _alarm_mentions(example, env).items():
        problems += [f"{source}: alarm `{n}` is not created" for n in sorted(names - existing)]
    return problems


def _alarm_mentions(example: str, env: str) -> dict[str, set[str]]:
    """Alarm names of `env` in the tasks' verify step and in the runbook's alarm table."""
    prefix = _prefix(example, env) + "-"
    named = {n for line in task_text(example, env).prose.splitlines() if line.startswith("Verify the") and " alarms of " in line
             for n in re.findall(r"`([^`]+)`", line) if n.startswith(prefix)}
    table = re.search(r"## Alarms\n(.*?)\n## ", doc_text(example, env).prose, flags=re.S)
    rows = {m[1] for m in re.finditer(r"^\| `[^`]+` \| `[^`]+` \| `([^`]+)` \|", table[1] if table else "", flags=re.M)}
    return {"tasks": named, "docs": {r for r in rows if r.startswith(prefix)}}


def check_buckets(example: str, env: str) -> list[str]:
    """`s3://bucket/key` destinations exist; function packages go where the function reads them."""
    out, tf = outputs(example, env), f"out/terraform/{env}"
    buckets = out.names(tf, "aws_s3_bucket", "bucket")
    keys = {k.replace("${var.image_tag}", t.RELEASE) for k in out.names(tf, "aws_lambda_function", "s3_key") if k}
    problems = []
    for text in texts(example, env):
        for command in text.commands:
            for bucket, key in re.findall(r"s3://([\w.-]+)(/\S*)?", command):
                if not bucket.startswith(_prefix(example, env) + "-"):
                    continue
                if bucket not in buckets:
                    problems.append(f"{text.source}: bucket `{bucket}` is not created")
                elif key.startswith("/functions/") and key.lstrip("/") not in keys:
                    problems.append(f"{text.source}: no function reads s3://{bucket}{key}")
    return problems


def check_image_repositories(example: str, env: str) -> list[str]:
    repos = outputs(example, env).names(CI_DIR, "aws_ecr_repository", "name")
    problems = []
    for text in texts(example, env):
        pushed = {m for c in text.commands for m in re.findall(r"\$REGISTRY/([\w./-]+):", c)}
        pushed |= {m for c in text.commands for m in re.findall(r"\$REGISTRY/([\w./-]+)(?:\s|$)", c)}
        problems += [f"{text.source}: ECR repository `{r}` is not created" for r in sorted(pushed - repos)]
    return problems


def check_files(example: str, env: str) -> list[str]:
    """Generated paths the commands use (`out/docker/api/Dockerfile`, `out/helm/<stack>`, …) exist."""
    files = outputs(example, env).files
    problems = []
    for text in texts(example, env):
        for command in text.commands:
            for path in re.findall(r"(?<![\w/$])(out/[\w./-]+)", command):
                if "<" in path:
                    continue
                if _env_of(path) not in (None, env):
                    continue
                if path not in files and not any(f.startswith(path.rstrip("/") + "/") for f in files):
                    problems.append(f"{text.source}: `{path}` is not generated")
    return problems


def _env_of(path: str) -> str | None:
    m = re.match(r"out/terraform/([\w-]+)", path) or re.search(r"values-([\w-]+)\.yaml$", path)
    return m[1] if m else None


def check_clusters_and_namespaces(example: str, env: str) -> list[str]:
    out, tf = outputs(example, env), f"out/terraform/{env}"
    clusters = out.names(tf, "aws_ecs_cluster", "name") | out.names(tf, "aws_eks_cluster", "name")
    prefix, problems = _prefix(example, env), []
    for text in texts(example, env):
        for command in text.commands:
            named = re.findall(r"update-kubeconfig --name (\S+)", command)
            named += [m[0] for m in re.findall(r"ecs\.sh (?:rollout|migrate|restore) (\S+)", command)]
            problems += [f"{text.source}: cluster `{c}` is not created" for c in named if c == prefix and c not in clusters]
            for ns in re.findall(r"--namespace (\S+)", command):
                if ns == prefix and ns not in out.k8s_names:
                    problems.append(f"{text.source}: namespace `{ns}` is not in kubernetes/{env}")
    return problems


def check_ecs_services(example: str, env: str) -> list[str]:
    """`ecs.sh rollout|migrate CLUSTER SERVICE [FAMILY]`: the service and the task family exist."""
    out, tf = outputs(example, env), f"out/terraform/{env}"
    services = out.names(tf, "aws_ecs_service", "name")
    families = out.names(tf, "aws_ecs_task_definition", "family")
    problems = []
    for text in texts(example, env):
        for command in text.commands:
            m = re.search(r"ecs\.sh (rollout|migrate) (\S+) (\S+)(?: (\S+))?", command)
            if m is None or m[2] != _prefix(example, env):
                continue
            if m[3] not in services:
                problems.append(f"{text.source}: ECS service `{m[3]}` is not created (services: {sorted(services)})")
            if m[1] == "migrate" and m[4] not in families:
                problems.append(f"{text.source}: task definition family `{m[4]}` is not created")
    return problems


def check_named_resources(example: str, env: str) -> list[str]:
    """Catch-all: every backticked name of this environment (`shop-prod-…`, `shop/prod/…`,
    `alias/shop-prod…`) is a literal name somewhere in its Terraform or Kubernetes."""
    stack, out = compiled(example).ir.name, outputs(example, env)
    strings = out.strings(f"out/terraform/{env}") | set(out.tf(f"out/terraform/{env}").get("output", {}))
    problems, alarms = [], _alarm_mentions(example, env)  # alarms have their own check
    pattern = re.compile(rf"^(?:alias/)?{re.escape(stack)}[-/]{re.escape(env)}(?:[-/][\w./-]*[\w])?$")
    for text in texts(example, env):
        for name in sorted({c for c in text.code() if pattern.match(c)} - alarms[text.source]):
            if name not in strings:
                problems.append(f"{text.source}: `{name}` names nothing in terraform/{env} or kubernetes/{env}")
    return problems


def check_endpoint_hosts(example: str, env: str) -> list[str]:
    """Hosts of the URLs to verify are DNS records, certificate names or ingress hosts."""
    out = outputs(example, env)
    strings = out.strings(f"out/terraform/{env}")
    problems = []
    for text in texts(example, env):
        for line in text.prose.splitlines():
            if f"`{env}`" not in line or "Verify the public endpoint" not in line:
                continue
            for host in re.findall(r"https://([\w.-]+)", line):
                if host not in strings:
                    problems.append(f"{text.source}: host {host} has no DNS record, certificate or ingress")
    return problems


CHECKS = {name.removeprefix("check_"): fn for name, fn in sorted(globals().items()) if name.startswith("check_")}

# Backend defects found by these checks go here as strict xfails (a fix turns them into
# failures; remove the entry then). The ECS service name and the eks job alarm were fixed.
XFAIL: dict[tuple[str, str, str], str] = {}


def _cases() -> list[Any]:
    cases = []
    for example in EXAMPLES:
        for env in _env_names(example):
            for check in CHECKS:
                reason = XFAIL.get((example, env, check))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                cases.append(pytest.param(example, env, check, marks=marks, id=f"{example}-{env}-{check}"))
    return cases


@pytest.mark.parametrize(("example", "env", "check"), _cases())
def test_named_in_tasks_and_runbook_exists(example: str, env: str, check: str) -> None:
    problems = CHECKS[check](example, env)
    assert not problems, "\n".join(problems)


def test_every_xfail_names_a_case() -> None:
    known = {(e, env, c) for e in EXAMPLES for env in _env_names(e) for c in CHECKS}
    assert set(XFAIL) <= known


def test_extraction_finds_what_it_checks() -> None:
    """The checks are not vacuous: each kind of name is found in some example."""
    tasks, docs = task_text("three-tier", "prod"), doc_text("three-tier", "prod")
    assert any(c.startswith("aws s3api create-bucket") for c in tasks.commands + docs.commands)
    assert any(_terraform(c) and _terraform(c)[1] == "plan" for c in tasks.commands)
    assert any(_terraform(c) and _terraform(c)[1] == "plan" and _mine(_terraform(c)[0], "prod") for c in docs.commands)
    assert any("--secret-id shop/prod/api/STRIPE_KEY" in c for c in tasks.commands)
    assert any(re.search(r"ecs\.sh rollout shop-prod ", c) for c in docs.commands)
    assert "`shop-prod-web-cpu-high`" in tasks.prose and "`shop-prod-web-cpu-high`" in docs.prose
    serverless = doc_text("serverless", "dev")
    assert any("output -raw site_app_bucket" in c for c in serverless.commands)
    assert any("-target=aws_s3_bucket.bucket_artifacts" in c for c in serverless.commands)
    assert any("s3://photos-dev-artifacts/functions/" in c for c in task_text("serverless", "dev").commands)
    assert any("--namespace marketplace-dev" in c for c in doc_text("microservices", "dev").commands)
