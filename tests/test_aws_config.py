"""AWS Config under soc2 (issue #16): the recorder, delivery channel and bucket (or the account's
existing recorder), the managed rules of the pack's controls per kind the stack has, cost lines,
the runbook, and the notes for a setting that does nothing or recorders that may collide.

The Terraform goes through terraform validate + mock plan/apply, tf_semantics and checkov."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tf_real
from conftest import ORACLES, ROOT, write_emitted
from test_terraform_real import toolchain, validate_and_mock  # noqa: F401 (fixture)

from infracc.compiler.catalogue import registry
from infracc.compiler.pipeline import analyze, emit
from infracc.compiler.render import position

SPEC = """infracc: 1
name: shop
region: eu-west-1
compliance: [soc2]
environments:
  dev: {size: small}
  staging: {size: medium, aws_config: existing}
  prod: {size: large, region: eu-central-1, account_id: "123456789012"}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    uses: [db, uploads, orders]
databases:
  db: {engine: postgres}
buckets:
  uploads: {}
tables:
  orders: {partition_key: id}
"""


@pytest.fixture(scope="module")
def result() -> Any:
    found = analyze(text=SPEC, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    return found


@pytest.fixture(scope="module")
def out(result: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emitted(result, ["terraform", "docs"], tmp_path_factory.mktemp("aws-config-out"))


def _doc(root: Path, env: str) -> dict[str, Any]:
    return json.loads((root / "terraform" / env / "cdk.tf.json").read_text())


def _identifiers(doc: dict[str, Any]) -> set[str]:
    return {r["source"]["source_identifier"] for r in doc["resource"].get("aws_config_config_rule", {}).values()}


def test_every_soc2_control_rule_comes_from_the_catalogue(result: Any) -> None:
    decision = result.ir.envs["dev"].aws_config
    claimed = {i for rule in registry() for ids in rule.config_rules.values() for i in ids}
    assert {r.identifier for r in decision.rules} <= claimed
    by_id = {r.identifier: r for r in decision.rules}
    assert by_id["RDS_STORAGE_ENCRYPTED"].controls == ["IC-SEC-001"]
    assert by_id["DYNAMODB_PITR_ENABLED"].kinds == ["table"]
    assert by_id["CW_LOGGROUP_RETENTION_PERIOD_CHECK"].parameters == {"MinRetentionTime": "365"}
    # only kinds the stack has: no cache, no file system
    assert "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST" not in by_id and "EFS_ENCRYPTED_CHECK" not in by_id
    # conditional rules: multi-AZ and deletion protection only where the environment has them
    assert "RDS_MULTI_AZ_SUPPORT" not in by_id and "RDS_INSTANCE_DELETION_PROTECTION_ENABLED" not in by_id
    prod = {r.identifier for r in result.ir.envs["prod"].aws_config.rules}
    assert {"RDS_MULTI_AZ_SUPPORT", "RDS_INSTANCE_DELETION_PROTECTION_ENABLED"} <= prod


def test_recorder_bucket_and_channel(out: Path) -> None:
    doc = _doc(out, "dev")
    res = doc["resource"]
    recorder = res["aws_config_configuration_recorder"]["config"]
    assert recorder["recording_group"] == {"all_supported": True, "include_global_resource_types": True}
    channel = res["aws_config_delivery_channel"]["config"]
    assert channel["s3_bucket_name"] == "${aws_s3_bucket.bucket_config.id}"
    assert channel["s3_kms_key_arn"] == "${aws_kms_key.kms_env.arn}"
    assert res["aws_config_configuration_recorder_status"]["config"]["is_enabled"] is True
    sse = res["aws_s3_bucket_server_side_encryption_configuration"]["bucket_config_sse"]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    managed = [a["policy_arn"] for a in res["aws_iam_role_policy_attachment"].values()]
    assert any(m.endswith(":iam::aws:policy/service-role/AWS_ConfigRole") for m in managed)
    statements = doc["data"]["aws_iam_policy_document"]["config_bucket_policy"]["statement"]
    by_sid = {s.get("sid"): s for s in statements}
    assert by_sid["ConfigBucketPermissionsCheck"]["actions"] == ["s3:GetBucketAcl"]
    assert by_sid["ConfigBucketExistenceCheck"]["actions"] == ["s3:ListBucket"]
    delivery = by_sid["ConfigBucketDelivery"]
    assert delivery["principals"] == [{"type": "Service", "identifiers": ["config.amazonaws.com"]}]
    assert delivery["resources"] == ["${aws_s3_bucket.bucket_config.arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/Config/*"]
    assert {c["variable"] for c in delivery["condition"]} == {"aws:SourceAccount", "s3:x-amz-acl"}
    status = "aws_config_configuration_recorder_status.config"
    assert all(r["depends_on"] == [status] for r in res["aws_config_config_rule"].values())


def test_existing_recorder_means_rules_only(out: Path, result: Any) -> None:
    doc = _doc(out, "staging")
    assert "aws_config_configuration_recorder" not in doc["resource"]
    assert "aws_config_delivery_channel" not in doc["resource"] and "bucket_config" not in doc["resource"]["aws_s3_bucket"]
    rules = doc["resource"]["aws_config_config_rule"]
    assert rules and all("depends_on" not in r for r in rules.values())
    assert _identifiers(doc) == {r.identifier for r in result.ir.envs["staging"].aws_config.rules}
    assert all(r["name"].startswith("shop-staging-") for r in rules.values())  # unique per account and region


def test_global_resources_only_in_the_stack_region(out: Path) -> None:
    prod = _doc(out, "prod")["resource"]["aws_config_configuration_recorder"]["config"]
    assert prod["recording_group"]["include_global_resource_types"] is False  # eu-central-1, not the stack's region


def test_no_config_without_soc2_and_a_note_for_the_setting() -> None:
    body = SPEC.replace("compliance: [soc2]\n", "")
    found = analyze(text=body, source_dir=str(ROOT))
    assert all(env.aws_config is None for env in found.ir.envs.values())
    notes = [(d.code, position(d, found.source)) for d in found.diagnostics if d.code == "IC-ENV-006"]
    assert notes == [("IC-ENV-006", (6, 39))], notes  # at `existing`
    emit(found, ["terraform"])
    assert not any("aws_config_" in text for text in found.files.values())


def test_two_recorders_in_one_region_get_a_note() -> None:
    body = SPEC.replace("  staging: {size: medium, aws_config: existing}\n", "  staging: {size: medium}\n")
    found = analyze(text=body, source_dir=str(ROOT))
    notes = [(d.code, position(d, found.source), d.hint) for d in found.diagnostics if d.code == "IC-ENV-007"]
    assert [(c, p) for c, p, _ in notes] == [("IC-ENV-007", (7, 12))], notes  # staging, the second
    assert "aws_config: existing" in notes[0][2]


def test_bad_setting_is_a_schema_error() -> None:
    found = analyze(text=SPEC.replace("aws_config: existing", "aws_config: shared"), skip=frozenset({"cost"}))
    errors = [(d.code, position(d, found.source)) for d in found.diagnostics if d.is_error]
    assert ("IC-SCHEMA-003", (7, 39)) in errors, errors


def test_cost_lines_are_usage_dependent(result: Any) -> None:
    dev = [i for i in result.ir.envs["dev"].cost.items if i.component == "compliance"]
    assert [i.item for i in dev] == ["AWS Config configuration items recorded",
                                     f"AWS Config rule evaluations ({len(result.ir.envs['dev'].aws_config.rules)} managed rules)"]
    assert all(i.quantity is None and i.monthly is None for i in dev)
    staging = [i.item for i in result.ir.envs["staging"].cost.items if i.component == "compliance"]
    assert staging == [f"AWS Config rule evaluations ({len(result.ir.envs['staging'].aws_config.rules)} managed rules)"]


def test_runbook_lists_rules_and_the_existing_mode(out: Path) -> None:
    text = (out / "docs" / "README.md").read_text()
    section = text.split("## AWS Config")[1]
    assert "`aws_config: existing`" in section and "MaxNumberOfConfigurationRecordersExceededException" in section
    assert "`DYNAMODB_PITR_ENABLED` | `shop-dev-dynamodb-pitr-enabled` | IC-SEC-011 | table" in section
    assert "only the rules" in section.split("### staging")[1]


def test_terraform_validates_and_mock_plans(toolchain, out: Path, tmp_path: Path) -> None:  # noqa: F811
    for env in ("dev", "staging"):
        problems = validate_and_mock(toolchain, out / "terraform" / env, tmp_path / env)
        assert not problems, "\n".join(problems)


def test_terraform_semantics(out: Path) -> None:
    for env in ("dev", "staging"):
        code, findings, summary = tf_real.semantics(sorted((out / "terraform" / env).glob("*.tf.json")))
        assert code == 0 and not findings, findings or summary


def test_terraform_checkov_has_no_unsuppressed_failure(out: Path, tmp_path: Path) -> None:
    if not (ORACLES / "checkov").exists():
        pytest.skip("checkov is not installed (make .venv-oracles/.installed)")
    env = out / "terraform" / "dev"
    subprocess.run([str(ORACLES / "checkov"), "-d", str(env), "--framework", "terraform_json", "--skip-download",
                    "-o", "json", "--output-file-path", str(tmp_path)], capture_output=True, text=True, timeout=600)
    data = json.loads((tmp_path / "results_json.json").read_text())
    data = data[0] if isinstance(data, list) else data
    allowed: dict[str, set[str]] = {}
    for named in _doc(out, "dev")["resource"].values():
        for name, attrs in named.items():
            for entry in attrs.get("//", {}).get("checkov", {}).get("skip", []):
                allowed.setdefault(name, set()).add(entry["id"])
    bad = [f"{f['check_id']} {f['resource']}" for f in data["results"]["failed_checks"]
           if f["check_id"] not in allowed.get(f["resource"].split(".")[-1], set())]
    assert not bad, bad
    bucket = {f["check_id"] for f in data["results"]["passed_checks"] if "bucket_config" in f["resource"]}
    assert {"CKV_AWS_145", "CKV_AWS_21", "CKV2_AWS_6", "CKV_AWS_18"} <= bucket  # KMS, versioning, public block, logs
    recorder = {f["check_id"] for f in data["results"]["passed_checks"] if "aws_config" in f["resource"]}
    assert {"CKV2_AWS_45", "CKV2_AWS_48"} <= recorder  # enabled, recording all supported resources


def test_preview_environments_get_no_recorder() -> None:
    body = SPEC.replace("environments:\n", "environments:\n  pr: {preview: true}\n")
    found = analyze(text=body, source_dir=str(ROOT))
    assert found.ok, [d.message for d in found.diagnostics if d.is_error]
    assert found.ir.envs["pr"].aws_config is None and found.ir.envs["dev"].aws_config is not None


def test_tasks_check_the_recorders_before_the_apply(result: Any) -> None:
    from infracc.compiler.tasks import breakdown

    tasks = {t.id: t for t in breakdown(result.ir)}
    dev, staging = tasks["dev:check:aws-config"], tasks["staging:check:aws-config"]
    assert "expect no recorder" in dev.title and "expect a recorder" in staging.title
    assert dev.command == ("aws configservice describe-configuration-recorders --region eu-west-1 "
                           "--query 'ConfigurationRecorders[].name' --output text")
    assert "dev:check:aws-config" in tasks["dev:apply"].depends_on
