"""`infracc tasks`: the ordered checklist derived from the IR."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from infracc.compiler import naming
from infracc.compiler import tasks as t
from infracc.compiler.cli import main
from infracc.compiler.pipeline import analyze
from infracc.compiler.tasks import breakdown

THREE_TIER = str(ROOT / "examples" / "three-tier" / "stack.yaml")
# Images and function packages before the apply that points the stack at them (as CI does).
KIND_ORDER = ["approval", "image", "package", "check", "apply", "secret", "migrate", "deploy", "verify", "purchase"]


def _ir(example: str):
    result = analyze(ROOT / "examples" / example / "stack.yaml")
    assert result.ok and result.ir is not None
    return result.ir


@pytest.mark.parametrize("example", EXAMPLES)
def test_order_is_bootstrap_then_environments_in_promotion_order(example: str) -> None:
    ir = _ir(example)
    tasks = breakdown(ir)
    assert tasks[0].kind == "bootstrap"
    envs = [t.env for t in tasks if t.env]
    assert list(dict.fromkeys(envs)) == ir.env_names()
    for env in ir.env_names():
        kinds = [KIND_ORDER.index(t.kind) for t in tasks if t.env == env]
        assert kinds == sorted(kinds), env
    for prev, task in zip(tasks, tasks[1:], strict=False):
        if task.kind != "bootstrap":
            assert prev.id in task.depends_on


def test_every_declared_secret_gets_a_task_named_like_the_backends() -> None:
    ir = _ir("three-tier")
    tasks = breakdown(ir)
    titles = "\n".join(t.title for t in tasks)
    for env in ir.env_names():
        assert naming.secret_name("shop", env, "api", "STRIPE_KEY") in titles
    assert any(t.kind == "migrate" and "manage.py migrate" in (t.command or "") for t in tasks)


def test_one_state_bucket_named_like_the_terraform_backend() -> None:
    """Issue #12: tasks named `shop-tfstate-123456789012`; the backend block says `shop-tfstate`
    (the full check against the generated backend block is in test_one_truth.py)."""
    ir = _ir("three-tier")
    for env in [None, *ir.env_names()]:
        boot = [task for task in breakdown(ir, env) if task.id.startswith("bootstrap-state:")]
        assert [task.id for task in boot] == [f"bootstrap-state:{naming.state_bucket('shop')}"]
        assert "123456789012" not in boot[0].title + (boot[0].command or "")
        assert f"--bucket {naming.state_bucket('shop')} --region eu-west-1" in (boot[0].command or "")


def _stack(region: str):
    result = analyze(text=f"infracc: 1\nname: tiny\nregion: {region}\nbuckets:\n  files: {{}}\n")
    assert result.ok and result.ir is not None
    return result.ir


def _state_commands(ir) -> list[str]:
    boot = next(task for task in breakdown(ir) if task.id.startswith("bootstrap-state:"))
    return (boot.command or "").split(" && ")


def test_state_bucket_in_us_east_1_has_no_location_constraint() -> None:
    """S3 rejects `LocationConstraint=us-east-1`: there the configuration must be left out."""
    commands = _state_commands(_stack("us-east-1"))
    assert commands[0] == "aws s3api create-bucket --bucket tiny-tfstate --region us-east-1"
    assert not any("LocationConstraint" in c for c in commands)
    assert all("--region us-east-1" in c for c in commands)


def test_state_bucket_elsewhere_is_created_in_its_region() -> None:
    commands = _state_commands(_stack("eu-west-1"))
    assert commands[0] == ("aws s3api create-bucket --bucket tiny-tfstate --region eu-west-1 "
                           "--create-bucket-configuration LocationConstraint=eu-west-1")
    assert all("--region eu-west-1" in c for c in commands)
    assert [c.split()[2] for c in commands] == ["create-bucket", "put-bucket-versioning", "put-bucket-encryption",
                                                "put-public-access-block"]


def test_terraform_commands_never_prompt() -> None:
    init, plan, apply = t.terraform_commands("out/terraform/dev", {"image_tag": "$GIT_SHA"})
    assert init == "terraform -chdir=out/terraform/dev init -input=false"
    assert plan == "terraform -chdir=out/terraform/dev plan -input=false -var image_tag=$GIT_SHA -out=tfplan"
    # A saved plan needs no approval, and Terraform refuses -var with one.
    assert apply == "terraform -chdir=out/terraform/dev apply -input=false tfplan"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_terraform_command_is_non_interactive(example: str) -> None:
    for task in breakdown(_ir(example)):
        for command in (task.command or "").split(" && "):
            if command.startswith("terraform ") and command.split()[2] in ("init", "plan", "apply"):
                assert "-input=false" in command.split(), (task.id, command)
            if command.startswith("terraform ") and command.split()[2] == "plan":
                assert "-var image_tag=$GIT_SHA" in command or "-var github_repository=" in command, command


def test_functions_are_packaged_where_terraform_reads_them_before_the_apply() -> None:
    ir = _ir("serverless")
    tasks = breakdown(ir, "dev")
    ids = [task.id for task in tasks]
    assert ids.index("dev:artifacts") < ids.index("dev:package:hello") < ids.index("dev:apply")
    package = tasks[ids.index("dev:package:hello")].command or ""
    assert package.endswith("s3://photos-dev-artifacts/functions/hello/$GIT_SHA.zip")


def test_images_go_to_the_repositories_the_ci_terraform_creates() -> None:
    tasks = breakdown(_ir("three-tier"))
    ci = next(task for task in tasks if task.id == "bootstrap-ci")
    first = next(task for task in tasks if task.id == "dev:image:api")
    assert "`shop/api`" in ci.title and "$REGISTRY/shop/api:$GIT_SHA --push api" in (first.command or "")
    assert "--platform linux/arm64" in (first.command or "")
    assert next(task for task in tasks if task.id == "prod:image:api").command is None  # promoted, not rebuilt


def test_cli_markdown_checklist_and_json() -> None:
    runner = CliRunner()
    md = runner.invoke(main, ["tasks", THREE_TIER])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("# Infrastructure tasks: shop")
    assert "- [ ] Apply the Terraform stack of `prod`" in md.output
    js = runner.invoke(main, ["tasks", THREE_TIER, "--env", "prod", "--format", "json"])
    assert js.exit_code == 0, js.output
    data = json.loads(js.output)
    assert {t["env"] for t in data["tasks"]} == {None, "prod"}
    ids = {t["id"] for t in data["tasks"]}
    assert all(d in ids for t in data["tasks"] for d in t["depends_on"])
    assert [t["kind"] for t in data["tasks"] if t["env"] == "prod"][0] == "approval"


def test_usage_errors_exit_2_without_traceback(tmp_path) -> None:
    runner = CliRunner()
    bad_env = runner.invoke(main, ["tasks", THREE_TIER, "--env", "qa"])
    assert bad_env.exit_code == 2 and "no environment 'qa'" in bad_env.output
    missing = runner.invoke(main, ["tasks", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    broken = tmp_path / "stack.yaml"
    broken.write_text("infracc: 1\nname: X\n")
    spec_error = runner.invoke(main, ["tasks", str(broken)])
    assert spec_error.exit_code == 1 and "Traceback" not in spec_error.output


def test_commitments_become_purchase_tasks_after_the_environment_is_verified() -> None:
    """Issue #13: commitments are bought, not created by Terraform; the tasks say what to buy."""
    ir = _ir("three-tier")
    tasks = [t for t in breakdown(ir) if t.env == "prod"]
    bought = [t for t in tasks if t.kind == "purchase"]
    assert [t.title for t in bought] == [
        "Purchase for `prod`: RDS reserved DB instance for `db`: db.m7g.large, postgres, "
        "Multi-AZ, 1 year, No Upfront, in eu-west-1 (RDS console → Reserved instances → Purchase)",
        "Purchase for `prod`: ElastiCache reserved nodes for `cache`: 2 × cache.m7g.large, 1 year, No Upfront, "
        "in eu-west-1 (ElastiCache console → Reserved nodes → Purchase; a Redis OSS reservation also covers "
        "Valkey nodes of the type)"]
    assert not [t for t in breakdown(ir) if t.kind == "purchase" and t.env != "prod"]
