"""Database and cache credentials without Terraform reading a secret (issue #12).

- No generated Terraform has a data source (or ephemeral resource) that reads a secret value,
  and a generated credential reaches only write-only arguments (`password_wo`,
  `secret_string_wo`): it is in neither state nor plan. The one exception is the ElastiCache AUTH
  token, which has no write-only form in either provider schema (checked here, so the exception
  goes when the provider adds one).
- The pull-request plan role (ReadOnlyAccess only) can run the plan: every data source's read
  is within ReadOnlyAccess (tests/data/aws-readonlyaccess.json) and the plan does not refresh
  (refreshing a secret version calls GetSecretValue).
- Rotation: the database and its connection secret carry the same version, a quarter number.
- Function docs list exactly the Lambda `environment` block.
- Every consumer reads keys the connection secret has (ECS `valueFrom`, ExternalSecrets).
"""
from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tf_real
import yaml
from conftest import EXAMPLES, ROOT, compiled

from infracc.backends.ci import pull_request
from infracc.backends.terraform import stores
from infracc.compiler.pipeline import analyze, emit

# A stack with what the examples lack: MySQL, a cache, functions using both, a declared function
# secret, a public service without a domain (the CloudFront VPC origin's security group is a
# data source) and an eks twin.
EXTRA = """\
infracc: 1
name: creds
region: eu-west-1
platform: {platform}
environments:
  dev: {{size: small}}
  prod: {{size: large}}
functions:
  api:
    runtime: python3.12
    source: .
    handler: app.handler
    trigger: {{http: {{path: /notes}}}}
    env:
      LOG_LEVEL: info
    uses: [notesdb, sessions]
  keeper:
    runtime: python3.12
    source: .
    handler: app.handler
    secrets: [API_KEY]
services:
  web:
    image: ghcr.io/acme/web:1.0
    port: 8080
    public: {{path: /}}
    env:
      DATABASE_URL: ${{notesdb.url}}
      CACHE_PASSWORD: ${{sessions.password}}
    uses: [notesdb, sessions]
databases:
  notesdb: {{engine: mysql}}
caches:
  sessions: {{}}
"""


def _extra(platform: str) -> dict[Path, str]:
    result = analyze(text=EXTRA.format(platform=platform), source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    return {Path(p): t for p, t in result.files.items()}


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[Path, str]]:
    out = {e: {Path(p): t for p, t in compiled(e).files.items()} for e in EXAMPLES}
    out["extra-ecs"] = _extra("ecs")
    out["extra-eks"] = _extra("eks")
    return out


def _terraform(outputs: dict[str, dict[Path, str]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack, files in outputs.items():
        for path, text in sorted(files.items()):
            if path.name.endswith(".tf.json"):
                yield f"{stack}/{path}", json.loads(text)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "//":
                yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


# --------------------------------------------------------------------------------------------
# Nothing secret is read, stored or planned
# --------------------------------------------------------------------------------------------
# Data sources whose result is secret material (it would land in state and plan, and their read
# needs a secret permission).
SECRET_READING_DATA = {"aws_secretsmanager_secret_version", "aws_secretsmanager_random_password",
                       "aws_ssm_parameter", "aws_ssm_parameters_by_path", "aws_kms_secrets", "aws_kms_secret",
                       "aws_secretsmanager_secret_versions"}
# Write-only arguments the output uses: never stored in state, never shown in a plan.
WRITE_ONLY = {("aws_db_instance", "password_wo"), ("aws_secretsmanager_secret_version", "secret_string_wo")}
# Secret arguments without a write-only form in provider 5.100 or 6.x: the value is in the state.
STATE_HELD = {("aws_elasticache_replication_group", "auth_token"): "auth_token_wo"}


def _secret_sources(doc: dict[str, Any]) -> list[str]:
    """Expressions that carry a credential: the generated credential locals and the AUTH tokens."""
    creds = [f"local.{n}" for n, v in (doc.get("locals") or {}).items() if "uuid()" in v]
    tokens = [f"aws_elasticache_replication_group.{n}.auth_token"
              for n in ((doc.get("resource") or {}).get("aws_elasticache_replication_group") or {})]
    return creds + tokens


def test_no_data_source_reads_a_secret_and_nothing_is_ephemeral(outputs) -> None:
    checked = 0
    for where, doc in _terraform(outputs):
        assert "ephemeral" not in doc, f"{where}: ephemeral resources are opened at plan time (by the plan role)"
        found = SECRET_READING_DATA & set(doc.get("data") or {})
        assert not found, f"{where}: data sources reading a secret value: {sorted(found)}"
        checked += 1
    assert checked >= 10


def test_credentials_reach_only_write_only_arguments(outputs) -> None:
    """Every string that references a credential is a write-only argument (or a state-held one the
    schema offers no write-only form of); no output, plain `secret_string`, tag or environment
    variable carries one; RDS never manages a master secret Terraform would have to read."""
    seen: set[tuple[str, str]] = set()
    for where, doc in _terraform(outputs):
        sources = _secret_sources(doc)
        for type_, blocks in (doc.get("resource") or {}).items():
            for name, attrs in blocks.items():
                assert "manage_master_user_password" not in attrs and "password" not in attrs, f"{where}: {type_}.{name}"
                for path, text in _strings(attrs):
                    if path.startswith("lifecycle."):
                        continue
                    hits = [s for s in sources if re.search(re.escape(s) + r"\b", text)]
                    if not hits:
                        continue
                    top = re.split(r"[.\[]", path)[0]
                    assert (type_, top) in WRITE_ONLY or (type_, top) in STATE_HELD, (
                        f"{where}: {type_}.{name}.{path} takes {hits}: a credential only goes to a write-only argument")
                    seen.add((type_, top))
        for name, out in (doc.get("output") or {}).items():
            assert not any(s in json.dumps(out) for s in sources), f"{where}: output {name} exposes a credential"
        for type_, arg in WRITE_ONLY | set(STATE_HELD):
            for name, attrs in ((doc.get("resource") or {}).get(type_) or {}).items():
                if arg in attrs:  # an expression, never a literal
                    assert str(attrs[arg]).startswith("${") and str(attrs[arg]).endswith("}"), f"{where}: {type_}.{name}.{arg}"
    # The examples exercise both write-only arguments and the AUTH token.
    assert seen == WRITE_ONLY | set(STATE_HELD), seen


def _semantics_findings(tmp_path: Path, resources: dict[str, Any]) -> list[str]:
    doc = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}},
           "provider": {"aws": {"region": "eu-west-1"}}, "resource": resources}
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, findings, _ = tf_real.semantics([path])
    return findings


def test_write_only_arguments_exist_in_the_6x_schema(tmp_path: Path) -> None:
    """tf_semantics' 6.x schema knows each write-only argument and its version, and still has no
    write-only AUTH token (`auth_token_wo` came in a later 6.x: the cdktn-provider-aws 25.x bindings,
    hashicorp/aws 6.69, have it; the 5.100 mirror does not). When the oracles accept it, this test
    fails: write the token through it and drop STATE_HELD."""
    assert not _semantics_findings(tmp_path, {
        "aws_db_instance": {"x": {"instance_class": "db.t4g.micro", "password_wo": "${uuid()}", "password_wo_version": 1}},
        "aws_secretsmanager_secret_version": {"x": {"secret_id": "s", "secret_string_wo": "${uuid()}",
                                                   "secret_string_wo_version": 1}}})
    for (type_, _), wo in STATE_HELD.items():
        findings = _semantics_findings(tmp_path, {type_: {"x": {
            "replication_group_id": "x", "description": "x", wo: "${uuid()}", f"{wo}_version": 1}}})
        assert any(wo in f for f in findings), f"tf_semantics now accepts {type_}.{wo}: write the token through it"


@pytest.fixture(scope="module")
def mirror_schema() -> dict[str, Any]:
    found = tf_real.discover()
    if isinstance(found, str):
        pytest.skip(f"provider 5.100 schema check skipped: {found}")
    scratch = Path(tf_real.STATE) / "credentials-schema"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": {
        "aws": {"source": "hashicorp/aws", "version": found.provider_version}}}}))
    with tf_real.locked("credentials-schema"):
        proc = tf_real.init(found, scratch)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = found.run(["providers", "schema", "-json"], scratch)
    assert proc.returncode == 0, proc.stderr
    schema: dict[str, Any] = json.loads(proc.stdout)["provider_schemas"][tf_real.PROVIDER]
    return schema


def test_write_only_arguments_are_write_only_in_the_mirrored_provider(mirror_schema) -> None:
    resources = mirror_schema["resource_schemas"]
    for type_, arg in WRITE_ONLY:
        attrs = resources[type_]["block"]["attributes"]
        assert attrs[arg].get("write_only") is True, f"{type_}.{arg} is not write-only in the mirror"
        assert f"{arg}_version" in attrs
    for (type_, arg), wo in STATE_HELD.items():
        attrs = resources[type_]["block"]["attributes"]
        assert attrs[arg].get("sensitive") and wo not in attrs, f"{type_}: {wo} appeared; use it"


# --------------------------------------------------------------------------------------------
# The pull-request plan role can run the plan
# --------------------------------------------------------------------------------------------
# What reading each data source calls (plan time), from the provider's data source code
# (hashicorp/terraform-provider-aws internal/service/<service>/*_data_source.go) and the IAM
# Service Authorization Reference. Empty: computed inside the provider, no AWS call.
PLAN_READS: dict[str, tuple[str, ...]] = {
    "aws_iam_policy_document": (),  # rendered locally (iam/policy_document_data_source.go)
    "aws_partition": (),  # from the provider's region metadata (meta/partition_data_source.go)
    "aws_elb_service_account": (),  # a table of per-region account IDs (elb/service_account_data_source.go)
    "aws_region": ("ec2:DescribeRegions",),  # only for a region other than the provider's; listed to be safe
    "aws_caller_identity": ("sts:GetCallerIdentity",),
    "aws_availability_zones": ("ec2:DescribeAvailabilityZones",),
    "aws_route53_zone": ("route53:ListHostedZones", "route53:GetHostedZone", "route53:ListTagsForResource"),
    "aws_security_group": ("ec2:DescribeSecurityGroups",),
}
# The plan job also reads the state (S3 backend, `-lock=false`: no lock object is written).
STATE_READS = ("s3:GetObject", "s3:ListBucket")


def _read_only() -> list[str]:
    data = json.loads((ROOT / "tests/data/aws-readonlyaccess.json").read_text(encoding="utf-8"))
    actions: list[str] = data["actions"]
    assert len(actions) > 2000
    return actions


def _allowed(action: str, patterns: list[str]) -> bool:
    service, _, name = action.partition(":")
    return any(p.partition(":")[0] == service and fnmatch.fnmatchcase(name.lower(), p.partition(":")[2].lower())
               for p in patterns)


def test_the_permission_table_matches_real_policy_semantics() -> None:
    ro = _read_only()
    assert _allowed("ec2:DescribeSecurityGroups", ro) and _allowed("sts:GetCallerIdentity", ro)
    # What the old output needed and the plan role lacks: the reason it failed on pull requests.
    for denied in ("secretsmanager:GetSecretValue", "secretsmanager:GetRandomPassword", "kms:Decrypt"):
        assert not _allowed(denied, ro), denied


def test_pr_plan_role_can_run_the_plan(outputs) -> None:
    ro = _read_only()
    types: set[str] = set()
    for where, doc in _terraform(outputs):
        for type_ in doc.get("data") or {}:
            assert type_ in PLAN_READS, (f"{where}: data source {type_} has no entry in PLAN_READS: add what its read "
                                         "calls, and check the plan role may call it")
            types.add(type_)
    for type_ in sorted(types):
        for action in PLAN_READS[type_]:
            assert _allowed(action, ro), f"data.{type_} calls {action}, which ReadOnlyAccess does not allow"
    for action in STATE_READS:
        assert _allowed(action, ro), action
    assert {"aws_route53_zone", "aws_security_group", "aws_availability_zones"} <= types  # the tables are exercised
    for stack, files in outputs.items():
        ci = files.get(Path("ci/terraform/github-oidc.tf.json"))
        if ci is None:
            continue
        doc = json.loads(ci)
        res = doc["resource"]
        # The plan role has ReadOnlyAccess and nothing else.
        attached = [a["policy_arn"] for a in res["aws_iam_role_policy_attachment"].values() if "aws_iam_role.plan" in a["role"]]
        assert attached == ["arn:aws:iam::aws:policy/ReadOnlyAccess"], (stack, attached)
        inline = [p for p in (res.get("aws_iam_role_policy") or {}).values() if "aws_iam_role.plan" in p["role"]]
        assert not inline, (stack, inline)
        workflow = next(t for p, t in files.items() if p.parts[:3] == ("ci", ".github", "workflows"))
        jobs = yaml.safe_load(workflow)["jobs"]
        plans = [s["run"] for name, job in jobs.items() if name.startswith("plan-")
                 for s in job["steps"] if "terraform" in s.get("run", "") and " plan " in s["run"]]
        assert plans, stack
        for run in plans:
            # No refresh: refreshing aws_secretsmanager_secret_version calls GetSecretValue
            # (secretsmanager/secret_version.go, resourceSecretVersionRead).
            assert "-refresh=false" in run.split() and "-lock=false" in run.split(), run
    assert pull_request.PLAN_FLAGS == ("-refresh=false",)


# --------------------------------------------------------------------------------------------
# Rotation
# --------------------------------------------------------------------------------------------
def test_database_and_its_secret_rotate_together(outputs) -> None:
    count = 0
    for _where, doc in _terraform(outputs):
        res = doc.get("resource") or {}
        for name, db in (res.get("aws_db_instance") or {}).items():
            conn = res["aws_secretsmanager_secret_version"][f"{name}_connection"]
            assert db["password_wo_version"] == conn["secret_string_wo_version"] == "${local.credential_rotation}"
            password = db["password_wo"][2:-1]
            assert re.fullmatch(r"local\.\w+_credential", password), password
            assert f"password = {password}," in conn["secret_string_wo"]
            # A replaced instance is created with a new credential: the secret is written again.
            assert conn["lifecycle"]["replace_triggered_by"] == [f"aws_db_instance.{name}.resource_id"]
            assert doc["variable"]["rotate_credentials"]["default"] == 0
            count += 1
        for name in res.get("aws_elasticache_replication_group") or {}:
            rg = res["aws_elasticache_replication_group"][name]
            assert rg["lifecycle"]["ignore_changes"] == ["auth_token"]  # set once: a new run's value is ignored
            conn = res["aws_secretsmanager_secret_version"][f"{name}_connection"]
            assert conn["lifecycle"]["replace_triggered_by"] == [f"aws_elasticache_replication_group.{name}"]
    assert count >= 3


@pytest.mark.parametrize(("timestamp", "quarter"), [("2026-12-03T12:00:00Z", 2026 * 4 + 3),
                                                    ("2027-01-01T00:00:00Z", 2027 * 4 + 0),
                                                    ("2027-03-31T23:59:59Z", 2027 * 4 + 0),
                                                    ("2027-04-01T00:00:00Z", 2027 * 4 + 1)])
def test_rotation_version_is_the_quarter_under_terraform(timestamp: str, quarter: int, tmp_path: Path) -> None:
    """Terraform itself evaluates the generated expression (plan time fixed to `timestamp`)."""
    found = tf_real.discover()
    if isinstance(found, str):
        pytest.skip(found)
    expr = stores.ROTATION[2:-1].replace("plantimestamp()", json.dumps(timestamp)).replace("var.rotate_credentials", "0")
    proc = subprocess.run([found.terraform, "console"], input=expr + "\n", capture_output=True, text=True,
                          cwd=tmp_path, env=found.env(reattach=False), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(quarter)


def test_credential_is_unknown_at_plan_and_one_value_per_apply(tmp_path: Path) -> None:
    """Under Terraform itself, with the generated local: a plan holds no value (`uuid()` is impure,
    unknown until apply), two references in one apply see the same value (what the database and
    its secret both get), a second apply makes a new one; 40 hex characters (MySQL allows 41 at
    most, ElastiCache AUTH 16–128 without punctuation)."""
    found = tf_real.discover()
    if isinstance(found, str):
        pytest.skip(found)
    doc = next(d for _, d in _terraform({"three-tier": {Path(p): t for p, t in compiled("three-tier").files.items()}})
               if "db_credential" in (d.get("locals") or {}))
    config = {"locals": {"db_credential": doc["locals"]["db_credential"]},
              "output": {"database": {"value": "${local.db_credential}"}, "secret": {"value": "${local.db_credential}"}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(config), encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([found.terraform, *args], capture_output=True, text=True, cwd=tmp_path,
                              env=found.env(reattach=False), timeout=120)

    assert run("init", "-input=false", "-no-color").returncode == 0
    assert run("plan", "-input=false", "-no-color", "-out=tfplan").returncode == 0
    plan = json.loads(run("show", "-json", "tfplan").stdout)
    assert all(change["after_unknown"] is True for change in plan["output_changes"].values()), plan["output_changes"]
    values = []
    for _ in range(2):
        assert run("apply", "-input=false", "-no-color", "-auto-approve").returncode == 0
        out = json.loads(run("output", "-json").stdout)
        assert out["database"]["value"] == out["secret"]["value"]
        values.append(out["database"]["value"])
    assert values[0] != values[1] and all(re.fullmatch(r"[0-9a-f]{40}", v) for v in values), values


# --------------------------------------------------------------------------------------------
# Consumers read keys the connection secrets have
# --------------------------------------------------------------------------------------------
def _body_keys(secret_string: str) -> list[str]:
    inner = secret_string.removeprefix("${jsonencode({").removesuffix("})}")
    return re.findall(r"(?:^|, )(\w+) = ", inner)


def test_connection_secret_keys_and_their_consumers(outputs) -> None:
    for where, doc in _terraform(outputs):
        res = doc.get("resource") or {}
        kinds = {**{n: "database" for n in res.get("aws_db_instance") or {}},
                 **{n: "cache" for n in res.get("aws_elasticache_replication_group") or {}}}
        for name, kind in kinds.items():
            conn = res["aws_secretsmanager_secret_version"][f"{name}_connection"]
            assert "secret_string" not in conn
            assert tuple(_body_keys(conn["secret_string_wo"])) == stores.CONNECTION_KEYS[kind], where
        # ECS: `valueFrom` is `<connection secret arn>:<key>::`.
        for task in (res.get("aws_ecs_task_definition") or {}).values():
            for container in json.loads(tf_real.template_parts(task["container_definitions"])[0]):
                for s in container.get("secrets") or []:
                    m = re.search(r"aws_secretsmanager_secret\.secret_(\w+)_connection\.arn\}:(\w+)::$", s["valueFrom"])
                    if m and m[1] in kinds:
                        assert m[2] in stores.CONNECTION_KEYS[kinds[m[1]]], s
    # Kubernetes: each ExternalSecret entry of a database/cache connection secret names a key it has.
    checked = 0
    for stack, files in outputs.items():
        for path, text in files.items():
            if path.parts[0] != "kubernetes" or path.suffix != ".yaml":
                continue
            tf = json.loads(files[Path("terraform", path.parts[1], "cdk.tf.json")])["resource"]
            kinds = {**{n: "database" for n in tf.get("aws_db_instance") or {}},
                     **{n: "cache" for n in tf.get("aws_elasticache_replication_group") or {}}}
            for obj in yaml.safe_load_all(text):
                if not obj or obj.get("kind") != "ExternalSecret":
                    continue
                for item in obj["spec"]["data"]:
                    ref = item["remoteRef"]
                    parts = ref["key"].split("/")
                    if parts[-1] == "connection" and parts[-2].replace("-", "_") in kinds:
                        assert ref["property"] in stores.CONNECTION_KEYS[kinds[parts[-2].replace("-", "_")]], (stack, path, ref)
                        checked += 1
    assert checked, "no ExternalSecret reads a database or cache connection secret"


# --------------------------------------------------------------------------------------------
# Function environment docs = the Lambda environment block
# --------------------------------------------------------------------------------------------
def _doc_tables(markdown: str) -> dict[str, list[tuple[str, str, str]]]:
    section = markdown.split("## Environment variables", 1)[1]
    out: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in section.splitlines():
        if line.startswith("## "):
            break
        m = re.match(r"### `([^`]+)`", line)
        if m:
            current = m[1]
            out[current] = []
        row = re.match(r"\| `([^`]+)` \| ([^|]+) \| (.*) \|$", line)
        if row and current:
            out[current].append((row[1], row[2].strip(), row[3].strip()))
    return out


def test_function_docs_list_exactly_the_lambda_environment(outputs) -> None:
    checked = 0
    for stack, files in outputs.items():
        for path, text in files.items():
            if path.parts[0] != "terraform" or path.name != "cdk.tf.json":
                continue
            env = path.parts[1]
            doc = json.loads(text)
            secrets = {f"${{aws_secretsmanager_secret.{n}.arn}}": s["name"]
                       for n, s in doc["resource"].get("aws_secretsmanager_secret", {}).items()}
            tables = _doc_tables(files[Path(f"docs/{env}.md")])
            for name, fn in doc["resource"].get("aws_lambda_function", {}).items():
                function = name.removeprefix("function_")
                variables = fn.get("environment", {}).get("variables", {})
                rows = tables.get(function, [])
                delivered = {n: (how, value) for n, how, value in rows if how != "not set"}
                assert sorted(delivered) == sorted(variables), (stack, env, function, sorted(delivered), sorted(variables))
                for var, value in variables.items():
                    how, text_ = delivered[var]
                    if value in secrets:
                        assert how == "secret ARN" and f"ARN of `{secrets[value]}`" in text_, (var, text_)
                    else:
                        assert how == "plain", (var, how)
                not_set = [n for n, how, _ in rows if how == "not set"]
                assert not set(not_set) & set(variables)
                checked += 1
    assert checked >= 4
    # The extra stack: the secret ARNs are there and nothing is "not set" (a function `env`
    # value taking a secret output is refused at validate, IC-TF-002).
    dev = _doc_tables(outputs["extra-ecs"][Path("docs/dev.md")])["api"]
    assert "not set" not in [h for _, h, _ in dev]
    assert {"NOTESDB_SECRET_ARN", "SESSIONS_SECRET_ARN"} <= {n for n, _, _ in dev}
    assert not {"NOTESDB_PASSWORD", "NOTESDB_URL", "SESSIONS_PASSWORD"} & {n for n, _, _ in dev}


# --------------------------------------------------------------------------------------------
# The extra stack (MySQL, cache, functions with secrets) under real Terraform and tf_semantics
# --------------------------------------------------------------------------------------------
def test_extra_stack_validates_and_plans_under_terraform(outputs, tmp_path: Path) -> None:
    import test_terraform_real as real

    files = {p: t for p, t in outputs["extra-ecs"].items() if p.parts[:2] == ("terraform", "prod")}
    root = tmp_path / "out"
    real.write_output(files, root)
    code, findings, summary = tf_real.semantics(sorted((root / "terraform/prod").glob("*.tf.json")))
    assert code == 0 and not findings, "\n".join(findings or [summary])
    found = tf_real.discover()
    if isinstance(found, str):
        pytest.skip(f"terraform validate/test skipped: {found}")
    workdir, proc, _, _ = real.prepare(found, root / "terraform/prod", tmp_path / "tf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    errors, _ = tf_real.diagnostics(found.run(["validate", "-json", "-no-color"], workdir))
    assert not errors, "terraform validate:\n" + "\n".join(errors)
    (workdir / "infracc.tftest.hcl").write_text(real.mock_test_file(real._docs(workdir), tf_real.provider_schema(found)))
    proc = found.run(["test", "-no-color"], workdir)
    assert proc.returncode == 0, real._failures(proc.stdout + proc.stderr)
