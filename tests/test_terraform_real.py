"""Terraform validated for real (see ../shared/ORACLES.md): every example's Terraform output, per
environment directory under `terraform/` and the CI stack under `ci/terraform/`, goes through

  1. `terraform init -backend=false` against the machine's local filesystem mirror of hashicorp/aws
     (a generated CLI config: nothing is downloaded; a plugin cache shared by all test processes),
  2. `terraform validate -json`: no errors,
  3. `terraform test` with `mock_provider "aws"`: one `run` with `command = plan`, one with
     `command = apply`,
  4. `tf_semantics.py` (the 6.x provider schema from the typed bindings) on the unmodified output: no
     findings.

The output targets provider 6.x and the mirror holds 5.100.0: before steps 1–3 the constructs in
`REWRITES` (and only those, and only when the mirror predates them) are rewritten. Steps 1–3 skip,
with the reason, when terraform or the mirror is absent; step 4 always runs. Each test prints one
`tf-real:` line saying what ran (`pytest -rA … | grep tf-real:` shows them).

Run: `.venv/bin/python -m pytest -n 2 -rs tests/test_terraform_real.py`
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tf_real
from conftest import EXAMPLES, ROOT, compiled
from tf_real import Toolchain, block, hcl, version_key


# --------------------------------------------------------------------------------------------
# The one rewrite table: 6.x-only constructs our output uses, rewritten for an older mirror.
# Sources: hashicorp/terraform-provider-aws CHANGELOG.md (the 6.x file on main).
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rewrite:
    construct: str
    introduced: str  # provider version that introduced it
    changelog: str  # the CHANGELOG entry
    rewrite: str  # what the test does on an older provider
    apply: Callable[[dict[str, Any], str], int]  # (document, mirror version) → places rewritten


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _ecs_services(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((doc.get("resource") or {}).get("aws_ecs_service") or {}).values())


def _aws_constraint(doc: dict[str, Any], mirror: str) -> int:
    aws = ((doc.get("terraform") or {}).get("required_providers") or {}).get("aws") or {}
    constraint = aws.get("version", "")
    if re.search(r"(^|,)\s*(~>|>=|=)?\s*6\.", constraint):
        aws["version"] = f"= {mirror}"
        return 1
    return 0


_REGION_ATTR = re.compile(r"(data\.aws_region\.[A-Za-z_][A-Za-z0-9_-]*(?:\[[^\]]*\])?)\.region\b")


def _region_attribute(doc: dict[str, Any], _: str) -> int:
    count = 0

    def sub(text: str) -> str:
        nonlocal count
        text, n = _REGION_ATTR.subn(r"\1.name", text)
        count += n
        return text

    doc.update(_map_strings(doc, sub))
    return count


def _ecs_deployment_configuration(doc: dict[str, Any], _: str) -> int:
    return sum(svc.pop("deployment_configuration", None) is not None for svc in _ecs_services(doc))


def _ecs_lb_advanced_configuration(doc: dict[str, Any], _: str) -> int:
    count = 0
    for svc in _ecs_services(doc):
        lbs = svc.get("load_balancer") or []
        for lb in lbs if isinstance(lbs, list) else [lbs]:
            count += lb.pop("advanced_configuration", None) is not None
    return count


CHANGELOG = "https://github.com/hashicorp/terraform-provider-aws/blob/main/CHANGELOG.md"
REWRITES: tuple[Rewrite, ...] = (
    Rewrite("terraform.required_providers.aws.version `~> 6.0`", "6.0.0",
            f"{CHANGELOG}#600-june-18-2025 (the 6.0.0 major release)",
            "constraint set to `= <mirror version>`", _aws_constraint),
    Rewrite("data.aws_region attribute `region`", "6.0.0",
            f"{CHANGELOG}#600-june-18-2025 NOTES: \"data-source/aws_region: The `name` attribute has been deprecated. "
            "All configurations using `name` should be updated to use the `region` attribute instead\" (#42131)",
            "`data.aws_region.<n>.region` → `data.aws_region.<n>.name` in every expression", _region_attribute),
    Rewrite("aws_ecs_service block `deployment_configuration` (`strategy`, `bake_time_in_minutes`; its "
            "`canary_configuration`/`linear_configuration` and strategies CANARY/LINEAR came in 6.21.0, #44842)",
            "6.4.0",
            f"{CHANGELOG}#640-july-17-2025 \"resource/aws_ecs_service: Add `deployment_configuration` argument\" "
            "(#43434); 6.21.0: \"Add support for `LINEAR` and `CANARY` deployment strategies with "
            "`deployment_configuration.linear_configuration` and `deployment_configuration.canary_configuration` "
            "blocks\" (#44842)",
            "block removed (5.x deploys rolling)", _ecs_deployment_configuration),
    Rewrite("aws_ecs_service `load_balancer.advanced_configuration` (alternate target group, listener rule, role)",
            "6.4.0",
            f"{CHANGELOG}#640-july-17-2025 \"resource/aws_ecs_service: Add `load_balancer.advanced_configuration` "
            "argument\" (#43434)",
            "nested block removed", _ecs_lb_advanced_configuration),
)


def rewrite(doc: dict[str, Any], mirror: str) -> dict[str, int]:
    """Apply the table entries the mirrored provider predates; {construct: places rewritten}."""
    return {r.construct: r.apply(doc, mirror) for r in REWRITES if version_key(mirror) < version_key(r.introduced)}


# --------------------------------------------------------------------------------------------
# Mock provider values: what plan/apply with `mock_provider "aws"` needs to pass the provider's own
# argument validation (a mock yields random 8-character strings for computed attributes).
# --------------------------------------------------------------------------------------------
ACCOUNT = "123456789012"
MOCK_DATA: dict[str, Callable[[str], dict[str, Any]]] = {
    # policy arguments are validated as JSON policies
    "aws_iam_policy_document": lambda region: {"json": '{"Version":"2012-10-17","Statement":[]}'},
    # subnets index `names`; an empty list fails
    "aws_availability_zones": lambda region: {"names": [f"{region}{z}" for z in "abc"],
                                              "zone_ids": [f"az{i}" for i in (1, 2, 3)]},
    "aws_caller_identity": lambda region: {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                           "user_id": ACCOUNT},
    "aws_partition": lambda region: {"partition": "aws", "dns_suffix": "amazonaws.com",
                                     "reverse_dns_prefix": "com.amazonaws"},
    "aws_region": lambda region: {"name": region},  # 5.x attribute (see REWRITES)
}
# (No secret-reading data sources and no RDS-managed master secret any more: credentials are
# write-only, see tests/test_credentials.py.)
MOCK_RESOURCE: dict[str, Callable[[str], dict[str, Any]]] = {}
# ACM certificates: the real provider knows `domain_validation_options` at plan time (the validation
# records' for_each needs its keys), a mock does not: override it during plan, with every other
# computed attribute fixed too (otherwise the mock re-rolls them at apply: "inconsistent final plan").
PLAN_TIME = {"aws_acm_certificate": lambda attrs: {"domain_validation_options": [
    {"domain_name": d, "resource_record_name": f"_mock.{d}.", "resource_record_type": "CNAME",
     "resource_record_value": "_mock.acm-validations.aws."}
    for d in dict.fromkeys([attrs.get("domain_name", "example.com"), *attrs.get("subject_alternative_names", [])])]}}
KNOWN_VARIABLES = {"image_tag": "0123456789abcdef", "github_repository": "example-org/example-repo"}
ARN_SERVICE = {"cloudwatch_log_group": "logs", "cloudwatch_event": "events", "cloudwatch_metric": "cloudwatch",
               "lb": "elasticloadbalancing", "db": "rds", "appautoscaling": "application-autoscaling",
               "service_discovery": "servicediscovery", "scheduler": "scheduler", "vpc": "ec2", "subnet": "ec2",
               "security_group": "ec2", "default_security_group": "ec2", "route_table": "ec2",
               "internet_gateway": "ec2", "eip": "ec2", "flow_log": "ec2", "nat_gateway": "ec2"}


def _arn(type_: str, attribute: str, region: str) -> str:
    name = type_.removeprefix("aws_")
    service = next((s for prefix, s in sorted(ARN_SERVICE.items(), key=lambda i: -len(i[0]))
                    if name == prefix or name.startswith(prefix + "_")), name.split("_")[0])
    where = "" if service in ("iam", "s3", "cloudfront", "route53", "wafv2") else region
    return f"arn:aws:{service}:{where}:{ACCOUNT}:{name}/mock-{attribute}"


def _placeholder(type_: str, attribute: str, spec: dict[str, Any], region: str) -> Any:
    kind = spec.get("type")
    if kind == "string":
        return _arn(type_, attribute, region) if attribute == "arn" or attribute.endswith("_arn") else f"mock-{attribute}"
    if kind == "bool":
        return False
    if kind == "number":
        return 0
    if isinstance(kind, list) and kind[0] in ("list", "set"):
        return []
    if isinstance(kind, list) and kind[0] == "map":
        return {}
    return None


def _region(doc: dict[str, Any]) -> str:
    configs = (doc.get("provider") or {}).get("aws") or [{}]
    region = (configs if isinstance(configs, list) else [configs])[0].get("region", "")
    if region.startswith("${var."):
        region = ((doc.get("variable") or {}).get(region[6:-1]) or {}).get("default", "")
    return region if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region or "") else "us-east-1"


def _variable_value(name: str, spec: dict[str, Any]) -> Any:
    if name in KNOWN_VARIABLES:
        return KNOWN_VARIABLES[name]
    kind = str(spec.get("type", "string"))
    return [] if kind.startswith(("list", "set", "tuple")) else {} if kind.startswith(("map", "object")) else \
        1 if kind == "number" else True if kind == "bool" else "mock"


def mock_test_file(doc: dict[str, Any], schema: dict[str, Any], runs: str = "") -> str:
    """`infracc.tftest.hcl`: a mock per provider configuration, plan then apply."""
    region = _region(doc)
    blocks = []
    for kind, mock in (("data", "mock_data"), ("resource", "mock_resource")):
        for type_ in sorted(doc.get(kind) or {}):
            attrs = schema[kind].get(type_, {})
            defaults = {a: _arn(type_, a, region) for a, s in attrs.items()
                        if s.get("computed") and not s.get("optional") and s.get("type") == "string"
                        and (a == "arn" or a.endswith("_arn"))}
            extra = (MOCK_DATA if kind == "data" else MOCK_RESOURCE).get(type_)
            if extra:
                defaults.update(extra(region))
            if defaults:
                blocks.append(block(f'{mock} "{type_}"', {"defaults": defaults}))
    out = []
    for alias in tf_real.provider_aliases(doc):
        out.append(block('mock_provider "aws"', {"alias": alias} if alias else {}, blocks))
    for type_, values in PLAN_TIME.items():
        attrs = schema["resource"].get(type_, {})
        for name, config in sorted(((doc.get("resource") or {}).get(type_) or {}).items()):
            fixed = {a: _placeholder(type_, a, s, region) for a, s in attrs.items()
                     if s.get("computed") and a not in config}
            fixed = {**{a: v for a, v in fixed.items() if v is not None}, **values(config)}
            out.append(f"override_resource {{\n  target          = {type_}.{name}\n  override_during = plan\n"
                       f"  values = {hcl(fixed, 1)}\n}}\n")
    variables = {n: _variable_value(n, s) for n, s in sorted((doc.get("variable") or {}).items()) if "default" not in s}
    if variables:
        out.append(block("variables", variables))
    out.append(runs or 'run "plan" {\n  command = plan\n}\n\nrun "apply" {\n  command = apply\n}\n')
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# What is checked: every example × (terraform/<env>, ci/terraform)
# --------------------------------------------------------------------------------------------
def _dirs() -> list[tuple[str, str]]:
    from infracc.compiler.pipeline import analyze

    out = []
    for example in EXAMPLES:
        ir = analyze(ROOT / "examples" / example / "stack.yaml").ir
        if "terraform" in ir.targets:
            out += [(example, f"terraform/{env}") for env in ir.envs]
        if "ci" in ir.targets:
            out.append((example, "ci/terraform"))
    return out


DIRS = _dirs()
IDS = [f"{e}:{d}" for e, d in DIRS]


def report(line: str) -> None:
    print(f"tf-real: {line}")


@pytest.fixture(scope="session")
def toolchain() -> Iterator[Toolchain]:
    found = tf_real.discover()
    if isinstance(found, str):
        pytest.skip(f"real-Terraform checks (init/validate/test) skipped: {found}")
    server = tf_real.ProviderServer(found)
    try:
        yield dataclasses.replace(found, reattach=server.reattach)
    finally:
        server.stop()


class Workspace:
    """Per test process: compiled outputs on disk, rewritten + initialised copies (each made once)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.outputs: dict[str, Path] = {}

    def output(self, example: str) -> Path:
        if example not in self.outputs:
            root = self.base / example / "out"
            write_output(compiled(example).files, root)
            self.outputs[example] = root
        return self.outputs[example]


def write_output(files: dict[Path, str], root: Path) -> None:
    for rel, text in files.items():
        if rel.parts[0] == "terraform" or rel.parts[:2] == ("ci", "terraform"):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")


def prepare(tc: Toolchain, source: Path, workdir: Path):
    """Copy, rewrite (REWRITES), `terraform init`: (workdir, init process, rewrites, seconds)."""
    shutil.copytree(source, workdir)
    applied: dict[str, int] = {}
    for path in sorted(workdir.glob("*.tf.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for construct, n in rewrite(doc, tc.provider_version).items():
            applied[construct] = applied.get(construct, 0) + n
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    start = time.monotonic()
    proc = tf_real.init(tc, workdir)
    return workdir, proc, applied, time.monotonic() - start


@pytest.fixture(scope="session")
def workspace() -> Iterator[Workspace]:
    # Not tmp_path_factory: other pytest sessions on the machine prune old basetemp dirs, and
    # `terraform test` still needs its working directory for the teardown.
    base = Path(tempfile.mkdtemp(prefix="infracc-tf-real-"))
    yield Workspace(base)
    shutil.rmtree(base, ignore_errors=True)


def _docs(workdir: Path) -> dict[str, Any]:
    """The directory's Terraform JSON files as one document (blocks merged per type)."""
    merged: dict[str, Any] = {}
    for path in sorted(workdir.glob("*.tf.json")):
        for section, value in json.loads(path.read_text(encoding="utf-8")).items():
            if section in ("resource", "data"):
                for type_, named in value.items():
                    merged.setdefault(section, {}).setdefault(type_, {}).update(named)
            elif isinstance(value, dict):
                merged.setdefault(section, {}).update(value)
            else:
                merged[section] = value
    return merged


def validate_and_mock(tc: Toolchain, source: Path, workdir: Path, plan_apply: bool = True) -> list[str]:
    """Copy `source` to `workdir`, rewrite, init, `terraform validate` and (with `plan_apply`)
    `terraform test` with the mock provider: the problems found, [] when all passed. For tests
    that check one directory of their own output (the examples' tests below report more)."""
    workdir, proc, _, _ = prepare(tc, source, workdir)
    if proc.returncode:
        return [f"terraform init {source}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"]
    problems = []
    proc = tc.run(["validate", "-json", "-no-color"], workdir)
    errors, _ = tf_real.diagnostics(proc)
    if errors or proc.returncode:
        problems.append(f"terraform validate {source}:\n" + "\n".join(errors or [proc.stderr]))
    if plan_apply:
        (workdir / "infracc.tftest.hcl").write_text(mock_test_file(_docs(workdir), tf_real.provider_schema(tc)),
                                                    encoding="utf-8")
        proc = tc.run(["test", "-no-color"], workdir)
        if proc.returncode:
            problems.append(f"terraform test {source}:\n{_failures(proc.stdout + proc.stderr)}")
    return problems


def _failures(output: str) -> str:
    """The `Error:` sections of `terraform test` output (first 40), else its tail."""
    sections = re.split(r"\n(?=Error: )", output)
    errors = [" ".join(s.split())[:600] for s in sections if s.startswith("Error: ")]
    return "\n".join(errors[:40]) + (f"\n… {len(errors) - 40} more" if len(errors) > 40 else "") if errors \
        else output[-4000:]


@pytest.mark.parametrize(("example", "rel"), DIRS, ids=IDS)
def test_terraform_validate_and_mock_plan_apply(toolchain: Toolchain, workspace: Workspace,
                                                example: str, rel: str) -> None:
    """Checks 1–3 on one directory, in one test so the directory is initialised once. Validate
    and the mock run both always run; the test fails with whatever either found."""
    source = workspace.output(example) / rel
    assert source.is_dir() and any(source.glob("*.tf.json")), f"{example}: no Terraform JSON under {rel}/"
    workdir, proc, applied, seconds = prepare(toolchain, source, workspace.base / example / "tf" / rel)
    assert proc.returncode == 0, f"terraform init failed in {example}/{rel}:\n{proc.stdout}\n{proc.stderr}"
    report(f"init {example}/{rel}: ok ({seconds:.1f}s; {toolchain.describe()}); rewrites: "
           + (", ".join(f"{c.split(' (')[0]} ×{n}" for c, n in applied.items() if n) or "none"))
    problems = []

    start = time.monotonic()
    proc = toolchain.run(["validate", "-json", "-no-color"], workdir)
    errors, warnings = tf_real.diagnostics(proc)
    report(f"validate {example}/{rel}: {len(errors)} errors, {len(warnings)} warnings ({time.monotonic() - start:.1f}s)")
    for w in warnings:
        report(f"  warning: {w}")
    if errors or proc.returncode:
        problems.append("terraform validate:\n" + "\n".join(errors or [proc.stderr]))

    test_file = workdir / "infracc.tftest.hcl"
    test_file.write_text(mock_test_file(_docs(workdir), tf_real.provider_schema(toolchain)), encoding="utf-8")
    start = time.monotonic()
    proc = toolchain.run(["test", "-no-color"], workdir)
    outcome = re.search(r"(Success|Failure)! .*", proc.stdout)
    report(f"test (mock_provider aws: run plan, run apply) {example}/{rel}: "
           f"{outcome[0] if outcome else 'rc=' + str(proc.returncode)} ({time.monotonic() - start:.1f}s)")
    if proc.returncode:
        problems.append(f"terraform test with mock_provider ({test_file}):\n{_failures(proc.stdout + proc.stderr)}")
    assert not problems, f"{example}/{rel}:\n" + "\n\n".join(problems)


@pytest.mark.parametrize(("example", "rel"), DIRS, ids=IDS)
def test_tf_semantics(workspace: Workspace, example: str, rel: str) -> None:
    assert tf_real.SEMANTICS.is_file(), f"tf_semantics.py not found at {tf_real.SEMANTICS} (set TF_SEMANTICS_TOOL)"
    files = sorted((workspace.output(example) / rel).glob("*.tf.json"))
    assert files, f"{example}: no Terraform JSON under {rel}/"
    code, findings, summary = tf_real.semantics(files)
    report(f"tf_semantics {example}/{rel}: {summary}")
    assert code == 0 and not findings, f"tf_semantics, {example}/{rel}:\n" + "\n".join(findings or [summary])


def test_rewrite_table_has_no_unused_entry(toolchain: Toolchain) -> None:
    """Every entry the mirror needs must still match the output somewhere (a stale entry goes)."""
    used: dict[str, int] = {}
    for example in EXAMPLES:
        for rel, text in compiled(example).files.items():
            if rel.name.endswith(".tf.json"):
                for construct, n in rewrite(json.loads(text), toolchain.provider_version).items():
                    used[construct] = used.get(construct, 0) + n
    for construct, n in used.items():
        report(f"rewrite table: {construct}: {n} place(s) across the examples")
    assert all(used.values()), f"rewrite entries that match nothing: {[c for c, n in used.items() if not n]}"


# --------------------------------------------------------------------------------------------
# Escapes: a literal `${`/`%{` must reach Terraform JSON as `$${`/`%%{`
# --------------------------------------------------------------------------------------------
ESCAPES_SPEC = """\
infracc: 1
name: esc
region: eu-west-1
platform: ecs
targets: [terraform]
environments:
  dev: {size: small}
jobs:
  tidy:
    image: public.ecr.aws/docker/library/busybox:1.36
    command: [sh, -c, 'echo "$${X:-y}" > /tmp/out']
    schedule: "0 3 * * *"
    env:
      X: "$${user}"
      Y: "100%{done}"
"""


@pytest.fixture(scope="module")
def escapes(workspace: Workspace):
    from infracc.compiler import resolved
    from infracc.compiler.pipeline import analyze, emit

    result = analyze(text=ESCAPES_SPEC)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    root = workspace.base / "escapes" / "out"
    write_output(result.files, root)
    job = next(c for c in result.ir.envs["dev"].graph if c.name == "tidy")
    env = {v.name: "".join(s for s in v.segments if isinstance(s, str)) for v in job.env if v.name in ("X", "Y")}
    return root, {"command": list(resolved.workload(job).command), "env": env}


def _task(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    tasks = doc["resource"]["aws_ecs_task_definition"]
    return next((n, t) for n, t in tasks.items() if "tidy" in n)


def test_literal_dollar_brace_is_escaped_in_terraform_json(escapes) -> None:
    """What the container receives, after Terraform evaluates the template escapes, is what the
    compiler meant (the IR): env `X: "$${user}"` → `${user}`, `Y: "100%{done}"` → `100%{done}`, the
    command exactly as the spec wrote it."""
    root, expected = escapes
    doc = json.loads((root / "terraform/dev/cdk.tf.json").read_text())
    name, task = _task(doc)
    text, interpolations = tf_real.template_parts(task["container_definitions"])
    container = json.loads(text)[0]
    got = {"command": container.get("command"),
           "env": {e["name"]: e["value"] for e in container["environment"] if e["name"] in ("X", "Y")}}
    report(f"escapes: aws_ecs_task_definition.{name}: container gets {got}, IR says {expected}")
    assert got == expected, (
        f"aws_ecs_task_definition.{name}.container_definitions: after Terraform's template evaluation the "
        f"container gets {got}, the IR says {expected} (interpolations Terraform sees: "
        f"{[i for i in interpolations if 'user' in i or 'done' in i or 'X:-' in i]}); "
        "literal text must be written with `${` → `$${` and `%{` → `%%{`")
    code, findings, summary = tf_real.semantics([root / "terraform/dev/cdk.tf.json"])
    assert code == 0 and not findings, "\n".join(findings or [summary])


def test_literal_dollar_brace_reaches_the_container_under_terraform(escapes, toolchain: Toolchain) -> None:
    """The same, asked of Terraform itself: validate, then apply with a mock provider and assert the
    decoded container definition."""
    root, expected = escapes
    workdir, proc, _, _ = prepare(toolchain, root / "terraform/dev", root.parent / "tf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    errors, _ = tf_real.diagnostics(toolchain.run(["validate", "-json", "-no-color"], workdir))
    report(f"escapes: terraform validate: {len(errors)} errors")
    assert not errors, "terraform validate:\n" + "\n".join(errors)
    doc = _docs(workdir)
    name, _ = _task(doc)
    container = f"jsondecode(aws_ecs_task_definition.{name}.container_definitions)[0]"
    runs = (f'run "apply" {{\n  command = apply\n'
            f'  assert {{\n    condition     = {container}.command == {hcl(expected["command"], 2)}\n'
            f'    error_message = "command"\n  }}\n'
            f'  assert {{\n    condition     = {{ for e in {container}.environment : e.name => e.value if contains(["X", "Y"], e.name) }}'
            f' == {hcl(expected["env"], 2)}\n    error_message = "environment"\n  }}\n}}\n')
    (workdir / "escapes.tftest.hcl").write_text(mock_test_file(doc, tf_real.provider_schema(toolchain), runs))
    proc = toolchain.run(["test", "-no-color"], workdir)
    report(f"escapes: terraform test: rc={proc.returncode}")
    assert proc.returncode == 0, _failures(proc.stdout + proc.stderr)
