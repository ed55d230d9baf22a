"""DynamoDB tables (issue #16): decisions, diagnostics, Terraform (ECS task roles; the examples
cover EKS Pod Identity and Lambda), compose stand-in, cost lines, docs.

The Terraform of the ECS spec below goes through the oracles of tests/test_terraform_real.py:
terraform init/validate, `terraform test` with the mock provider, tf_semantics and checkov."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tf_real
import yaml
from conftest import ORACLES, ROOT
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.backends.compose import standins
from infracc.compiler.pipeline import analyze, emit
from infracc.compiler.render import position

SPEC = """infracc: 1
name: shop
region: eu-west-1
compliance: [soc2]
environments: {dev: {}, prod: {}}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    env: {ORDERS: "${orders.name}"}
    uses: [orders, sessions:read]
jobs:
  rollup:
    image: ghcr.io/acme/rollup:1.0.0
    schedule: "0 3 * * *"
    uses: [orders:write]
functions:
  audit:
    runtime: python3.12
    source: ./f
    handler: app.handler
    uses: [sessions:read]
  changes:
    runtime: python3.12
    source: ./f
    handler: app.handler
    trigger: {table: orders, starting_position: trim-horizon, batch_size: 50}
tables:
  orders:
    partition_key: customer_id
    sort_key: {name: created_at, type: number}
    indexes:
      by-status: {partition_key: status, sort_key: {name: created_at, type: number}, projection: keys-only}
    ttl_attribute: expires_at
    stream: new-and-old-images
    overrides:
      prod: {capacity: provisioned, read_units: 20}
  sessions:
    partition_key: id
    contains_pii: true
"""


@pytest.fixture(scope="module")
def result() -> Any:
    found = analyze(text=SPEC, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


def _graph(result: Any, env: str = "dev") -> Any:
    return result.ir.envs[env].graph


def test_grants_follow_the_mode_and_reach_indexes_only_for_reads(result: Any) -> None:
    g = _graph(result)
    rw = {c.target: c for c in g.uses("service.api")}["table.orders"].grant
    write = {c.target: c for c in g.uses("job.rollup")}["table.orders"].grant
    read = {c.target: c for c in g.uses("service.api")}["table.sessions"].grant
    assert rw.actions == sorted(set(read.actions) | set(write.actions))
    assert "dynamodb:PutItem" in write.actions and "dynamodb:GetItem" not in write.actions
    assert "dynamodb:PutItem" not in read.actions and "dynamodb:Query" in read.actions
    assert not any(a.startswith(("dynamodb:Create", "dynamodb:Delete" + "Table", "dynamodb:PartiQL")) for a in rw.actions)
    assert rw.index_actions == ["dynamodb:Query", "dynamodb:Scan"]
    assert write.index_actions == []  # a writer never touches the indexes
    assert read.index_actions == []  # sessions has no index
    assert rw.kms and rw.kms_via_service == "dynamodb"


def test_security_and_sizing_decisions(result: Any) -> None:
    dev, prod = _graph(result, "dev"), _graph(result, "prod")
    orders, sessions = dev.component("table.orders"), dev.component("table.sessions")
    assert orders.retention.point_in_time_recovery and not orders.retention.deletion_protection
    assert prod.component("table.orders").retention.deletion_protection  # soc2: the last environment
    assert orders.retention.backup_plan_days == 7 and prod.component("table.orders").retention.backup_plan_days == 14
    assert sessions.encryption.dedicated and not orders.encryption.dedicated
    assert orders.retention.alarms == ["read-throttles", "write-throttles"]
    assert orders.sizing.capacity_mode == "on-demand" and orders.sizing.read_units is None
    sz = prod.component("table.orders").sizing
    assert (sz.capacity_mode, sz.read_units, sz.write_units, sz.max_units_factor) == ("provisioned", 20, 100, 4)
    assert result.ir.envs["dev"].network.dynamodb_gateway_endpoint


def test_injected_variables_and_placeholders(result: Any) -> None:
    env = {v.name: v for v in _graph(result).component("service.api").env}
    assert {"ORDERS_NAME", "ORDERS_ARN", "SESSIONS_NAME", "SESSIONS_ARN", "ORDERS"} <= set(env)
    assert not any(env[n].secret for n in ("ORDERS_NAME", "ORDERS_ARN", "ORDERS"))


def test_cost_lines_are_priced_from_the_dynamodb_rows(result: Any) -> None:
    """eu-west-1 rows (library/prices.json, Q:processed/dynamodb.json): 0.000735/WCU-hour
    ["Provisioned Write Units"], 0.000147/RCU-hour ["Provisioned Read Units"]; 730 h."""
    items = {i.item: i for i in result.ir.envs["prod"].cost.items if i.component == "orders"}
    writes = items["DynamoDB provisioned writes 100 WCU × 2"]
    reads = items["DynamoDB provisioned reads 20 RCU × 2"]
    assert writes.monthly == round(0.000735 * 730 * 100 * 2, 4) and reads.monthly == round(0.000147 * 730 * 20 * 2, 4)
    assert not any(d.code == "IC-COST-006" for d in result.diagnostics)
    dev = {i.item: i for i in result.ir.envs["dev"].cost.items if i.component == "orders"}
    on_demand = dev["DynamoDB on-demand write request units"]
    assert on_demand.monthly is None and on_demand.unit_price == 0.705 and "usage.writes" in (on_demand.assumption or "")
    assert dev["DynamoDB point-in-time recovery"].unit_price == 0.22


def test_on_demand_requests_are_priced_from_usage() -> None:
    spec = SPEC.replace("    overrides:\n      prod: {capacity: provisioned, read_units: 20}\n",
                        "    usage: {storage_gb: 10, reads: 4000000, writes: 1000000}\n", 1)
    assert spec != SPEC
    found = analyze(text=spec, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    items = {i.item: i for i in found.ir.envs["prod"].cost.items if i.component == "orders"}
    assert items["DynamoDB on-demand write request units"].monthly == round(0.705 * 1.0, 4)
    assert items["DynamoDB on-demand read request units"].monthly == round(0.1415 * 4.0, 4)
    assert items["DynamoDB storage (Standard)"].monthly == round(0.283 * 10, 4)
    assert items["DynamoDB point-in-time recovery"].monthly == round(0.22 * 10, 4)


@pytest.mark.parametrize(("body", "code", "where"), [
    ("tables:\n  t:\n    partition_key: id\n    sort_key: id\n", "IC-TABLE-002", (6, 15)),
    ("tables:\n  t:\n    partition_key: id\n    ttl_attribute: id\n", "IC-TABLE-002", (6, 20)),
    ("tables:\n  t:\n    partition_key: id\n    indexes:\n      by-x: {partition_key: {name: id, type: number}}\n",
     "IC-TABLE-001", (7, 29)),
    ("tables:\n  t:\n    partition_key: id\n    write_units: 5\n", "IC-TABLE-003", (6, 18)),
    ("tables:\n  t:\n    partition_key: id\n    stream: everything\n", "IC-SCHEMA-003", (6, 13)),
    ("tables:\n  t: {}\n", "IC-SCHEMA-002", (4, 6)),
    ("services:\n  a: {image: 'ghcr.io/a/a:1', uses: ['t:consume']}\ntables:\n  t: {partition_key: id}\n",
     "IC-REF-002", (4, 38)),
])
def test_bad_tables_are_reported_at_the_field(body: str, code: str, where: tuple[int, int]) -> None:
    found = analyze(text="infracc: 1\nname: shop\n" + body, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert (code, where) in errors, errors
    assert all(d.hint for d in found.diagnostics if d.is_error)


@pytest.fixture(scope="module")
def terraform(result: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    emit(result, ["terraform", "compose", "docs"])
    root = tmp_path_factory.mktemp("tables-out")
    for rel, text in result.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


def test_terraform_table_and_least_privilege_task_roles(terraform: Path) -> None:
    dev, prod = _doc(terraform, "dev"), _doc(terraform, "prod")
    t = dev["resource"]["aws_dynamodb_table"]["table_orders"]
    assert t["billing_mode"] == "PAY_PER_REQUEST" and t["hash_key"] == "customer_id" and t["range_key"] == "created_at"
    assert t["attribute"] == [{"name": "created_at", "type": "N"}, {"name": "customer_id", "type": "S"},
                              {"name": "status", "type": "S"}]
    assert t["global_secondary_index"] == [{"name": "by-status", "hash_key": "status", "range_key": "created_at",
                                            "projection_type": "KEYS_ONLY"}]
    assert t["point_in_time_recovery"] == {"enabled": True} and t["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    assert t["stream_view_type"] == "NEW_AND_OLD_IMAGES" and "kms_env" in t["server_side_encryption"]["kms_key_arn"]
    s = dev["resource"]["aws_dynamodb_table"]["table_sessions"]
    assert "kms_table_sessions" in s["server_side_encryption"]["kms_key_arn"] and s["tags"]["data-classification"] == "pii"
    p = prod["resource"]["aws_dynamodb_table"]["table_orders"]
    assert p["billing_mode"] == "PROVISIONED" and p["read_capacity"] == 20 and p["deletion_protection_enabled"]
    targets = prod["resource"]["aws_appautoscaling_target"]
    assert {v["scalable_dimension"] for k, v in targets.items() if k.startswith("table_orders")} == {
        "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits",
        "dynamodb:index:ReadCapacityUnits", "dynamodb:index:WriteCapacityUnits"}
    policies = dev["data"]["aws_iam_policy_document"]
    job = policies["job_rollup_grants"]["statement"]
    assert [s["resources"] for s in job if s["sid"] == "Tableorders"] == [["${aws_dynamodb_table.table_orders.arn}"]]
    assert not any("/index/" in r for s in job for r in s["resources"])
    api = policies["service_api_grants"]["statement"]
    index = next(s for s in api if s["sid"] == "Tableordersindexes")
    assert index["actions"] == ["dynamodb:Query", "dynamodb:Scan"]
    assert index["resources"] == ["${aws_dynamodb_table.table_orders.arn}/index/*"]
    key = next(s for s in api if s["sid"] == "Keysessions")
    assert key["actions"] == ["kms:Decrypt", "kms:DescribeKey"] and key["condition"][0]["variable"] == "kms:ViaService"
    fn = policies["function_audit_grants"]["statement"]
    assert any(s["sid"] == "Tablesessions" and "dynamodb:PutItem" not in s["actions"] for s in fn)
    container = json.loads(dev["resource"]["aws_ecs_task_definition"]["service_api_task"]["container_definitions"])[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["ORDERS_NAME"] == env["ORDERS"] == "${aws_dynamodb_table.table_orders.name}"
    assert "dynamodb_endpoint" in dev["resource"]["aws_vpc_endpoint"]
    assert {"table_orders_arn", "table_sessions_arn"} <= set(dev["output"])
    alarms = dev["resource"]["aws_cloudwatch_metric_alarm"]
    assert alarms["alarm_table_orders_read-throttles".replace("-", "_")]["dimensions"] == {
        "TableName": "${aws_dynamodb_table.table_orders.name}"}


def test_stream_trigger_reads_only_that_tables_stream(result: Any, terraform: Path) -> None:
    grant = _graph(result).component("function.changes").trigger_grant
    assert grant is not None and grant.resource == "table.orders" and "dynamodb:GetRecords" in grant.actions
    assert not any(a.endswith(("Item", "Query", "Scan")) for a in grant.actions)
    dev = _doc(terraform, "dev")
    mapping = dev["resource"]["aws_lambda_event_source_mapping"]["function_changes_from_table"]
    assert mapping["event_source_arn"] == "${aws_dynamodb_table.table_orders.stream_arn}"
    assert mapping["starting_position"] == "TRIM_HORIZON" and mapping["batch_size"] == 50
    assert mapping["destination_config"]["on_failure"]["destination_arn"] == "${aws_sqs_queue.function_changes_dlq.arn}"
    statements = dev["data"]["aws_iam_policy_document"]["function_changes_grants"]["statement"]
    stream = next(s for s in statements if s["sid"] == "ReadTableStream")
    assert stream["resources"] == ["${aws_dynamodb_table.table_orders.arn}/stream/*"]
    assert not any(s["sid"].startswith("Table") for s in statements)  # no item access without `uses`


def test_stream_trigger_needs_a_stream() -> None:
    body = ("tables:\n  t: {partition_key: id}\nfunctions:\n  f:\n    runtime: python3.12\n    source: .\n"
            "    handler: a.h\n    trigger: {table: t}\n")
    found = analyze(text="infracc: 1\nname: shop\n" + body, skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert ("IC-TABLE-004", (10, 22)) in errors, errors


def test_terraform_validates_and_mock_plans(toolchain, terraform: Path, tmp_path: Path) -> None:  # noqa: F811
    for env in ("dev", "prod"):
        problems = validate_and_mock(toolchain, terraform / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


def test_terraform_semantics(terraform: Path) -> None:
    for env in ("dev", "prod"):
        code, findings, summary = tf_real.semantics(sorted((terraform / "terraform" / env).glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


def test_terraform_checkov_has_no_unsuppressed_failure(terraform: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    for env in ("dev", "prod"):
        out = terraform / "terraform" / env
        report = tmp_path / env
        subprocess.run([str(ORACLES / "checkov"), "-d", str(out), "--framework", "terraform_json", "--skip-download",
                        "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True, timeout=600)
        data = json.loads((report / "results_json.json").read_text())
        data = data[0] if isinstance(data, list) else data
        allowed: dict[str, set[str]] = {}
        for named in _doc(terraform, env)["resource"].values():
            for name, attrs in named.items():
                for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                    allowed.setdefault(name, set()).add(entry["id"])
        bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
               if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
        passed = {f["check_id"] for f in data["results"]["passed_checks"] if "table_orders" in f["resource"]}
        assert not bad, bad
        assert {"CKV_AWS_28", "CKV_AWS_119"} <= passed  # point-in-time recovery, customer-managed key


def test_compose_runs_dynamodb_local_and_creates_the_tables(terraform: Path) -> None:
    doc = yaml.safe_load((terraform / "compose" / "compose.yaml").read_text())
    services = doc["services"]
    assert services[standins.DYNAMODB]["image"] == standins.DYNAMODB_LOCAL and "healthcheck" in services[standins.DYNAMODB]
    script = services[standins.DYNAMODB_INIT]["entrypoint"][-1]
    assert "--table-name orders" in script and "--table-name sessions" in script
    assert '"IndexName":"by-status"' in script and "StreamViewType=NEW_AND_OLD_IMAGES" in script
    assert "AttributeName=created_at,AttributeType=N" in script
    api = services["api"]
    assert api["depends_on"][standins.DYNAMODB_INIT] == {"condition": "service_completed_successfully"}
    assert api["environment"]["AWS_ENDPOINT_URL_DYNAMODB"] == f"http://{standins.DYNAMODB}:8000"
    assert api["environment"]["ORDERS_NAME"] == "orders"


def test_docs_list_backups_alarms_and_connection_names(terraform: Path) -> None:
    text = (terraform / "docs" / "README.md").read_text()
    assert "restore-table-to-point-in-time" in text and "read-throttles" in text
    # ecs without Kubernetes output: no connection secret for the table (only ExternalSecrets read
    # its names; decided.has_connection_secret), so the runbook names none.
    assert "shop/dev/orders/connection" not in text


def test_preview_copy_keeps_tables_and_drops_other_environments_overrides() -> None:
    from infracc.compiler.preview import copy_spec

    data = yaml.safe_load(SPEC.replace("environments: {dev: {}, prod: {}}", "environments: {pr: {preview: true}, prod: {}}"))
    out, template = copy_spec(data, 7)
    assert template == "pr" and "overrides" not in out["tables"]["orders"]  # the prod override has no env here
    out["targets"] = [t for t in out.get("targets") or ["terraform", "docker", "compose", "ci", "docs"] if t != "ci"]
    # (the copy is what `infracc preview` compiles; CI refuses a template with functions, IC-CI-001)
    found = analyze(text=yaml.safe_dump(out, sort_keys=False), source_dir=str(ROOT), skip=frozenset({"cost"}))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    assert found.ir.envs["pr-7"].graph.component("table.orders").sizing.capacity_mode == "on-demand"
