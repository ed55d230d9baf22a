"""`infracc tasks`: the ordered checklist derived from the IR."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from infracc.compiler import naming
from infracc.compiler.cli import main
from infracc.compiler.pipeline import analyze
from infracc.compiler.tasks import breakdown

THREE_TIER = str(ROOT / "examples" / "three-tier" / "stack.yaml")
KIND_ORDER = ["approval", "apply", "secret", "image", "migrate", "deploy", "verify"]


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
    assert naming.state_bucket("shop", "123456789012") in titles
    assert any(t.kind == "migrate" and "manage.py migrate" in (t.command or "") for t in tasks)


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
    assert data["tasks"][1]["kind"] == "approval"


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
